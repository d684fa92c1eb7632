// HTTP requests the runner makes itself (the Bitwarden identity token, the Public API, notifications,
// heartbeats): Node's http(s) client, or with a proxy configured, undici's fetch through its
// EnvHttpProxyAgent (reads HTTP(S)_PROXY and NO_PROXY, either case), as bwdc 2026.6 honours them; Node
// 20's fetch does not. Not Node's global fetch: its first use loads Node's bundled undici (~50 ms of
// CPU, ~20 MB in `schedule`). undici itself is imported only with a proxy (~0.1 s). A private CA comes
// through NODE_EXTRA_CA_CERTS, as for bwdc.
import { proxyConfigured } from './proxy-env.js';
import { http, https } from './node-http.js';

export interface HttpReply {
  status: number;
  text: string;
  /** The Retry-After header, as sent (seconds or an HTTP date), for 429 and 503 answers. */
  retryAfter?: string;
  /** The Location header of a redirect. */
  location?: string;
}

export interface HttpRequest {
  method: 'GET' | 'POST';
  url: string;
  headers: Record<string, string>;
  body?: string;
  signal: AbortSignal;
  /** Hand redirects back (status and location) rather than follow them. Node's http never follows. */
  manualRedirects?: boolean;
}

type Send = (req: HttpRequest) => Promise<HttpReply>;
let viaProxy: Promise<Send> | undefined;

export function httpRequest(req: HttpRequest, env: NodeJS.ProcessEnv = process.env): Promise<HttpReply> {
  if (!proxyConfigured(env)) return direct(req);
  viaProxy ??= import('undici').then((u) => {
    const dispatcher = new u.EnvHttpProxyAgent();
    return async ({ method, url, headers, body, signal, manualRedirects }) => {
      const redirect = manualRedirects ? 'manual' : 'follow';
      const res = await u.fetch(url, { method, body, headers, signal, dispatcher, redirect });
      const location = res.headers.get('location') ?? undefined;
      const retryAfter = res.headers.get('retry-after') ?? undefined;
      return { status: res.status, text: await res.text().catch(() => ''), location, retryAfter };
    };
  });
  return viaProxy.then((send) => send(req));
}

async function direct({ method, url, headers, body, signal }: HttpRequest): Promise<HttpReply> {
  const { request } = url.startsWith('https:') ? https() : http;
  return new Promise<HttpReply>((resolve, reject) => {
    const length = body === undefined ? {} : { 'Content-Length': String(Buffer.byteLength(body)) };
    const req = request(url, { method, signal, headers: { ...headers, ...length } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      const retryAfter = res.headers['retry-after'];
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          text: Buffer.concat(chunks).toString('utf8'),
          location: res.headers.location,
          retryAfter,
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Why a request failed, without anything of the request: a code such as ECONNREFUSED, or "timed out". */
export function failureReason(err: unknown, timedOut: boolean): string {
  if (timedOut) return 'timed out';
  const e = err as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  return e.cause?.code ?? e.cause?.message ?? e.code ?? e.message ?? String(err);
}
