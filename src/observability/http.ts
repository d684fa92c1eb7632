// The endpoints of `schedule`, on node's own http module: /healthz (the process and its event loop
// answer), /readyz (configuration loaded, scheduler running), /metrics (Prometheus text) and
// /status (JSON: every instance's schedule, last run, outcome, failure class, next run, staleness).
import type { Server } from 'node:http';
import { http } from '../shared/node-http.js';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { redactor } from './redact.js';

export interface HttpSources {
  ready(): boolean;
  metrics(): Promise<string>;
  metricsContentType: string;
  status(): unknown;
}

export interface HttpEndpoints {
  port: number;
  close(): Promise<void>;
}

export async function startHttp(port: number, host: string, sources: HttpSources): Promise<HttpEndpoints> {
  const lag = monitorEventLoopDelay({ resolution: 20 });
  lag.enable();
  const server: Server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const send = (status: number, type: string, body: string) => {
      // Belt and braces: nothing secret is put in these bodies, and nothing secret leaves in them.
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(redactor.scrub(body));
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'text/plain', 'method not allowed\n');
    switch (path) {
      case '/healthz':
        return send(
          200,
          'application/json',
          JSON.stringify({ status: 'ok', eventLoopDelayP99Ms: Math.round(lag.percentile(99) / 1e6) }),
        );
      case '/readyz':
        return sources.ready()
          ? send(200, 'application/json', '{"status":"ready"}')
          : send(503, 'application/json', '{"status":"not ready"}');
      case '/metrics':
        sources.metrics().then(
          (text) => send(200, sources.metricsContentType, text),
          (err) => send(500, 'text/plain', `metrics failed: ${String(err)}\n`),
        );
        return;
      case '/status':
        return send(200, 'application/json', JSON.stringify(sources.status(), null, 2));
      default:
        return send(404, 'text/plain', 'not found: try /healthz, /readyz, /metrics, /status\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        lag.disable();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
