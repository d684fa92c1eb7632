// The endpoints of `schedule`, on node's own http module: /healthz (the process and its event loop
// answer), /readyz (configuration loaded, scheduler running), /metrics (Prometheus text), /status (JSON:
// every instance's schedule, last run, outcome, failure class, next run, staleness, pause), / (the same
// as an HTML page, docs/operations.md "The status page"), /instances/NAME/history (JSON), and only with an
// admin token configured, POST /instances/NAME/{pause,resume,run,approve} (docs/operations.md "Admin
// endpoints"): without one those paths do not exist (404); a wrong or missing token gets 401.
import type { IncomingMessage, Server } from 'node:http';
import { http } from '../shared/node-http.js';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { AdminToken } from './admin-token.js';
import { redactor } from './redact.js';

export const adminActions = ['pause', 'resume', 'run', 'approve'] as const;
export type AdminAction = (typeof adminActions)[number];

export interface Answer {
  status: number;
  body: unknown;
}

export interface HttpSources {
  ready(): boolean;
  metrics(): Promise<string>;
  metricsContentType: string;
  status(): unknown;
  /** The status page's HTML. */
  page?(): Promise<string>;
  /** An instance's history (undefined: no such instance). */
  history?(instance: string, sinceMs: number | undefined): Promise<unknown>;
  admin?: {
    token: AdminToken;
    act(instance: string, action: AdminAction, body: Record<string, unknown>, peer: string): Promise<Answer>;
  };
}

export interface HttpEndpoints {
  port: number;
  close(): Promise<void>;
}

const maxAdminBody = 64 * 1024;
const instancePath = /^\/instances\/([^/]+)\/([a-z]+)$/;

export async function startHttp(port: number, host: string, sources: HttpSources): Promise<HttpEndpoints> {
  const lag = monitorEventLoopDelay({ resolution: 20 });
  lag.enable();
  const server: Server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    const send = (status: number, type: string, body: string) => {
      // Belt and braces: nothing secret is put in these bodies, and nothing secret leaves in them.
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(redactor.scrub(body));
    };
    const json = (a: Answer) => send(a.status, 'application/json', JSON.stringify(a.body, null, 2));
    const failed = (err: unknown) => send(500, 'text/plain', `failed: ${String(err)}\n`);
    const m = instancePath.exec(path);
    const name = m ? decodeURIComponent(m[1]!) : '';
    if (req.method === 'POST' && m && (adminActions as readonly string[]).includes(m[2]!)) {
      if (!sources.admin) return send(404, 'text/plain', 'not found: no admin token is configured\n');
      if (sources.admin.token.check(req.headers.authorization) !== 'ok')
        return send(401, 'application/json', '{"error":"unauthorized: Authorization: Bearer <admin token>"}');
      readJson(req)
        .then(
          (body) => sources.admin!.act(name, m[2] as AdminAction, body, req.socket.remoteAddress ?? '?').then(json),
          (err: Error) => json({ status: 400, body: { error: err.message } }),
        )
        .catch(failed);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'text/plain', 'method not allowed\n');
    if (m && m[2] === 'history' && sources.history) {
      const since = url.searchParams.get('since');
      const sinceMs = since ? Date.parse(since) : undefined;
      if (since && Number.isNaN(sinceMs)) return json({ status: 400, body: { error: 'since: expected an ISO time' } });
      sources
        .history(name, sinceMs)
        .then(
          (h) =>
            json(
              h === undefined ? { status: 404, body: { error: `no instance "${name}"` } } : { status: 200, body: h },
            ),
          failed,
        );
      return;
    }
    switch (path) {
      case '/':
        if (!sources.page) break;
        sources.page().then((html) => send(200, 'text/html; charset=utf-8', html), failed);
        return;
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
    }
    return send(404, 'text/plain', 'not found: try /, /healthz, /readyz, /metrics, /status\n');
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

/** An admin call's JSON body: optional, an object, at most 64 KiB. */
async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  let text = '';
  for await (const c of req as AsyncIterable<Buffer>) {
    text += c.toString('utf8');
    if (text.length > maxAdminBody) throw new Error('body too large');
  }
  if (text.trim() === '') return {};
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new Error('body: expected JSON, e.g. {"reason": "AD migration"}');
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('body: expected a JSON object');
  return v as Record<string, unknown>;
}
