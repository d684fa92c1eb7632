// A Vault-API-compatible test server (no Vault or OpenBao can be installed here), held to Vault's
// documented HTTP API for what the runner uses:
//   GET  /v1/sys/internal/ui/mounts/<path>   mount path, type and options.version (vault CLI preflight)
//   GET  /v1/<mount>/data/<path>             KV v2: {data: {data, metadata}}
//   GET  /v1/<mount>/<path>                  KV v1: {data}
//   POST /v1/auth/<mount>/login              kubernetes {role, jwt}; approle {role_id, secret_id}
//   POST /v1/auth/token/renew-self           {auth: {client_token, lease_duration, renewable}}
//   POST /v1/auth/token/revoke-self          204, the token is gone
// Headers X-Vault-Token and X-Vault-Namespace; errors {"errors": [...]}: 400 bad input, 403
// "permission denied" (no/expired/unknown token, or a denied path), 404 {"errors": []}, 503
// "Vault is sealed". Tokens have a TTL, a max TTL and expire for real.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { randomBytes, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';

export interface Mount {
  version: 1 | 2;
  type?: string;
  data: Record<string, Record<string, unknown>>;
}

interface TokenInfo {
  namespace: string;
  expiresAt: number;
  maxExpiresAt: number;
  ttlSec: number;
  renewable: boolean;
}

export interface VaultServerOptions {
  /** namespace ('' = root) -> mount path without slashes -> mount */
  namespaces?: Record<string, Record<string, Mount>>;
  /** Static tokens accepted as is: token -> namespace. */
  tokens?: Record<string, string>;
  kubernetes?: { mount?: string; role: string; jwt: string; ttlSec: number; maxTtlSec?: number; namespace?: string };
  approle?: {
    mount?: string;
    roleId: string;
    secretId: string;
    ttlSec: number;
    maxTtlSec?: number;
    namespace?: string;
  };
  /** Paths (as requested after /v1/) that answer 403 for everyone. */
  deny?: string[];
  /** Refuse the mount-detection preflight (a policy without sys/internal/ui/mounts). */
  denyPreflight?: boolean;
  /** Serve HTTPS with this key and certificate. */
  tls?: { key: string; cert: string };
}

export class VaultTestServer {
  private server: Server | undefined;
  readonly tokens = new Map<string, TokenInfo>();
  sealed = false;
  delayMs = 0;
  /** Every request: method, path, namespace header. */
  readonly requests: Array<{ method: string; path: string; namespace: string | undefined }> = [];
  logins = 0;
  renewals = 0;
  revocations = 0;
  /** Answer the next N requests with 500, then recover. */
  failNext = 0;

  constructor(readonly options: VaultServerOptions) {
    for (const [token, ns] of Object.entries(options.tokens ?? {})) {
      this.tokens.set(token, {
        namespace: ns,
        expiresAt: Infinity,
        maxExpiresAt: Infinity,
        ttlSec: 0,
        renewable: false,
      });
    }
  }

  get url(): string {
    const a = this.server!.address() as AddressInfo;
    return `${this.options.tls ? 'https' : 'http'}://127.0.0.1:${a.port}`;
  }

  /** Tokens issued by a login that are still alive (static tokens not counted). */
  get liveLoginTokens(): number {
    const now = Date.now();
    return [...this.tokens.values()].filter((t) => t.expiresAt !== Infinity && t.expiresAt > now).length;
  }

  /** Adds a static token (as `vault token create` would), e.g. a rotated one. */
  addToken(token: string, namespace = ''): void {
    this.tokens.set(token, { namespace, expiresAt: Infinity, maxExpiresAt: Infinity, ttlSec: 0, renewable: false });
  }

  revokeToken(token: string): void {
    this.tokens.delete(token);
  }

  setSecret(namespace: string, mount: string, path: string, data: Record<string, unknown>): void {
    this.options.namespaces![namespace]![mount]!.data[path] = data;
  }

  async start(): Promise<this> {
    const onRequest = (req: IncomingMessage, res: ServerResponse) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        setTimeout(() => this.handle(req, res, body), this.delayMs);
      });
    };
    this.server = this.options.tls ? createTlsServer(this.options.tls, onRequest) : createServer(onRequest);
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => this.server?.close(() => r()) ?? r());
  }

  private send(res: ServerResponse, status: number, body: unknown): void {
    if (res.destroyed) return;
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  private issue(namespace: string, ttlSec: number, maxTtlSec: number) {
    const token = `hvs.${randomBytes(12).toString('base64url')}`;
    const now = Date.now();
    this.tokens.set(token, {
      namespace,
      expiresAt: now + ttlSec * 1000,
      maxExpiresAt: now + maxTtlSec * 1000,
      ttlSec,
      renewable: true,
    });
    return {
      client_token: token,
      accessor: randomUUID(),
      policies: ['default', 'bwdc'],
      token_policies: ['default', 'bwdc'],
      metadata: {},
      lease_duration: ttlSec,
      renewable: true,
      entity_id: '',
      token_type: 'service',
      orphan: true,
    };
  }

  private envelope(data: unknown, extra: Record<string, unknown> = {}) {
    return {
      request_id: randomUUID(),
      lease_id: '',
      renewable: false,
      lease_duration: 0,
      data,
      wrap_info: null,
      warnings: null,
      auth: null,
      ...extra,
    };
  }

  private handle(req: IncomingMessage, res: ServerResponse, raw: string): void {
    const url = new URL(req.url ?? '/', 'http://x');
    const path = decodeURIComponent(url.pathname).replace(/^\/v1\//, '');
    const nsHeader = req.headers['x-vault-namespace'] as string | undefined;
    const namespace = (nsHeader ?? '').replace(/^\/|\/$/g, '');
    this.requests.push({ method: req.method ?? 'GET', path, namespace: nsHeader });
    if (this.sealed) return this.send(res, 503, { errors: ['Vault is sealed'] });
    if (this.failNext > 0) {
      this.failNext--;
      return this.send(res, 500, { errors: ['internal error'] });
    }
    let body: Record<string, unknown>;
    try {
      body = raw ? JSON.parse(raw) : {};
    } catch {
      return this.send(res, 400, { errors: ['failed to parse JSON input'] });
    }

    // Logins need no token.
    const login = /^auth\/([^/]+)\/login$/.exec(path);
    if (login && req.method === 'POST') return this.login(res, login[1]!, body, namespace);

    const tokenHeader = req.headers['x-vault-token'] as string | undefined;
    const token = tokenHeader ? this.tokens.get(tokenHeader) : undefined;
    if (!token || token.expiresAt <= Date.now() || token.namespace !== namespace)
      return this.send(res, 403, { errors: ['permission denied'] });

    if (path === 'auth/token/revoke-self' && req.method === 'POST') {
      this.tokens.delete(tokenHeader!);
      this.revocations++;
      res.writeHead(204).end();
      return;
    }
    if (path === 'auth/token/renew-self' && req.method === 'POST') {
      if (!token.renewable) return this.send(res, 400, { errors: ['lease is not renewable'] });
      const now = Date.now();
      token.expiresAt = Math.min(now + token.ttlSec * 1000, token.maxExpiresAt);
      this.renewals++;
      const lease = Math.max(0, Math.round((token.expiresAt - now) / 1000));
      return this.send(
        res,
        200,
        this.envelope(null, {
          auth: {
            client_token: tokenHeader,
            lease_duration: lease,
            renewable: token.expiresAt < token.maxExpiresAt,
            policies: ['default', 'bwdc'],
          },
        }),
      );
    }
    if (req.method !== 'GET') return this.send(res, 405, { errors: ['unsupported operation'] });
    if ((this.options.deny ?? []).includes(path)) return this.send(res, 403, { errors: ['permission denied'] });

    const mounts = this.options.namespaces?.[namespace] ?? {};
    const preflight = /^sys\/internal\/ui\/mounts\/(.+)$/.exec(path);
    if (preflight) {
      if (this.options.denyPreflight) return this.send(res, 403, { errors: ['permission denied'] });
      const first = preflight[1]!.split('/')[0]!;
      const m = mounts[first];
      if (!m)
        return this.send(res, 400, {
          errors: [
            `preflight capability check returned 403, please ensure client's policies grant access to path "${preflight[1]}/"`,
          ],
        });
      return this.send(
        res,
        200,
        this.envelope({
          path: `${first}/`,
          type: m.type ?? 'kv',
          description: '',
          options: m.version === 2 ? { version: '2' } : null,
          config: {},
          local: false,
          seal_wrap: false,
        }),
      );
    }

    const [first, ...restParts] = path.split('/');
    const m = mounts[first!];
    if (!m) return this.send(res, 403, { errors: ['permission denied'] });
    if (m.version === 2) {
      if (restParts[0] !== 'data') {
        // What KV v2 answers to a v1-style read: 404 with a warning.
        return this.send(res, 404, {
          errors: [],
          warnings: [
            "Invalid path for a versioned K/V secrets engine. See the API docs for the appropriate API endpoints to use. If using the Vault CLI, use 'vault kv get' for this operation.",
          ],
        });
      }
      const data = m.data[restParts.slice(1).join('/')];
      if (!data) return this.send(res, 404, { errors: [] });
      return this.send(
        res,
        200,
        this.envelope({
          data,
          metadata: {
            created_time: new Date().toISOString(),
            custom_metadata: null,
            deletion_time: '',
            destroyed: false,
            version: 1,
          },
        }),
      );
    }
    const data = m.data[restParts.join('/')];
    if (!data) return this.send(res, 404, { errors: [] });
    return this.send(res, 200, this.envelope(data, { lease_duration: 2764800 }));
  }

  private login(res: ServerResponse, mount: string, body: Record<string, unknown>, namespace: string): void {
    const k = this.options.kubernetes;
    if (k && mount === (k.mount ?? 'kubernetes')) {
      if (typeof body.role !== 'string' || typeof body.jwt !== 'string')
        return this.send(res, 400, { errors: ['missing role or jwt'] });
      if (body.role !== k.role) return this.send(res, 400, { errors: [`invalid role name "${body.role}"`] });
      if (body.jwt !== k.jwt || namespace !== (k.namespace ?? ''))
        return this.send(res, 403, { errors: ['permission denied'] });
      this.logins++;
      return this.send(
        res,
        200,
        this.envelope(null, { auth: this.issue(namespace, k.ttlSec, k.maxTtlSec ?? k.ttlSec * 10) }),
      );
    }
    const a = this.options.approle;
    if (a && mount === (a.mount ?? 'approle')) {
      if (body.role_id !== a.roleId) return this.send(res, 400, { errors: ['invalid role ID'] });
      if (body.secret_id !== a.secretId || namespace !== (a.namespace ?? ''))
        return this.send(res, 400, { errors: ['invalid secret id'] });
      this.logins++;
      return this.send(
        res,
        200,
        this.envelope(null, { auth: this.issue(namespace, a.ttlSec, a.maxTtlSec ?? a.ttlSec * 10) }),
      );
    }
    return this.send(res, 400, { errors: [`no handler for route "auth/${mount}/login". route entry not found.`] });
  }
}
