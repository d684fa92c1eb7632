// An HTTP server on 127.0.0.1 with a random port, whose handler gets the whole request body: the shape
// of every stand-in server in the tests. Started unref'd: a test process whose tests are done exits
// without stopping it.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export async function listenLoopback(
  handle: (req: IncomingMessage, res: ServerResponse, body: string) => void,
): Promise<Server> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => handle(req, res, body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  server.unref();
  return server;
}

export function loopbackUrl(server: Server): string {
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
