// An HTTP receiver on loopback for webhooks and heartbeat pings: records every request; `mode` decides
// how it answers (ok, 500, or never).
import { after } from 'node:test';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  method: string;
  path: string;
  body: string;
}

export interface Receiver {
  url: string;
  got: Received[];
  mode: 'ok' | '500' | 'hang';
  server: Server;
}

export async function receiver(): Promise<Receiver> {
  const r = { url: '', got: [] as Received[], mode: 'ok' as Receiver['mode'], server: undefined as unknown as Server };
  r.server = createServer((req: IncomingMessage, res) => {
    let b = '';
    req.on('data', (c: Buffer) => (b += c.toString()));
    req.on('end', () => {
      r.got.push({ method: req.method!, path: req.url!, body: b });
      if (r.mode === 'hang') return; // never answers
      res.writeHead(r.mode === '500' ? 500 : 200).end('ok');
    });
  });
  await new Promise<void>((done) => r.server.listen(0, '127.0.0.1', done));
  r.url = `http://127.0.0.1:${(r.server.address() as AddressInfo).port}`;
  after(() => r.server.closeAllConnections?.() ?? r.server.close());
  r.server.unref();
  return r;
}
