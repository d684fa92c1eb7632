// A stand-in for the Bitwarden server as bwdc and the runner meet it (docs/upstream/bitwarden-server.md): the
// identity endpoint for organization API keys and the Public API's import. Tokens are real JWTs
// (HS256, with `exp`), which bwdc decodes and never verifies; the server does verify its own.
//   POST {base}/identity/connect/token   form: grant_type=client_credentials, scope=api.organization,
//                                         client_id=organization.<uuid>, client_secret -> 200 {access_token,
//                                         expires_in, token_type: "Bearer", scope}; 400 {"error":"invalid_client"}
//   POST {base}/api/public/organization/import   Authorization: Bearer <token> -> 200, or 400 with the
//                                         server's message; applied to the organization (organization.ts)
//   GET  {base}/api/public/members, /members/{id}/group-ids, /groups, /groups/{id}/member-ids,
//        /organization/subscription (400 "Only allowed when not self hosted." when self-hosted)
// Knobs: failNext (answer N identity requests 500), failApiNext (N Public API requests 503), delayMs,
// tokenTtlSec; every request is counted. Per organization: failImports (these import requests answered 500),
// hangImport (this import request applied and never answered).
import { createHmac, randomBytes } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { listenLoopback, loopbackUrl } from '../helpers/loopback.js';
import { ImportError, Organization, ServerFault, type ImportBody } from './organization.js';

export interface TokenRequestSeen {
  headers: IncomingMessage['headers'];
  /** The form fields in the order they were sent. */
  fields: Array<[string, string]>;
}

export class BitwardenTestServer {
  private server: Server | undefined;
  private readonly key = randomBytes(32);
  /** client_id -> the client secrets it accepts (a rotation may leave two valid for a while). */
  readonly clients = new Map<string, Set<string>>();
  readonly tokenRequests: TokenRequestSeen[] = [];
  readonly imports: Array<{ orgId: string; body: unknown }> = [];
  /** Public API requests (method and path), for tests that count them. */
  readonly apiRequests: string[] = [];
  readonly organizations = new Map<string, Organization>();
  failNext = 0;
  failApiNext = 0;
  delayMs = 0;
  tokenTtlSec = 3600;

  addClient(clientId: string, secret: string): this {
    const set = this.clients.get(clientId) ?? new Set<string>();
    set.add(secret);
    this.clients.set(clientId, set);
    return this;
  }

  /** The organization of a client id (`organization.<uuid>`), made on first use. */
  organization(clientIdOrOrgId: string): Organization {
    const id = clientIdOrOrgId.replace(/^organization\./, '');
    let org = this.organizations.get(id);
    if (!org) this.organizations.set(id, (org = new Organization(id)));
    return org;
  }

  get url(): string {
    return loopbackUrl(this.server!);
  }

  /** Started unref'd: a test process whose tests are done exits without stopping it. */
  async start(): Promise<this> {
    this.server = await listenLoopback((req, res, body) => setTimeout(() => this.handle(req, res, body), this.delayMs));
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => this.server?.close(() => r()) ?? r());
  }

  /** A JWT as the identity server issues it (HS256, `exp` in seconds). */
  jwt(payload: Record<string, unknown>): string {
    const part = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const head = `${part({ alg: 'HS256', typ: 'JWT' })}.${part(payload)}`;
    return `${head}.${createHmac('sha256', this.key).update(head).digest('base64url')}`;
  }

  private verify(token: string): Record<string, unknown> | undefined {
    const [h, p, s] = token.split('.');
    if (!h || !p || !s || createHmac('sha256', this.key).update(`${h}.${p}`).digest('base64url') !== s)
      return undefined;
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Record<string, unknown>;
    return typeof payload.exp === 'number' && payload.exp * 1000 > Date.now() ? payload : undefined;
  }

  private send(res: ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  private handle(req: IncomingMessage, res: ServerResponse, body: string): void {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (req.method === 'POST' && path === '/identity/connect/token') {
      this.tokenRequests.push({ headers: req.headers, fields: [...new URLSearchParams(body)] });
      if (this.failNext > 0) {
        this.failNext--;
        return this.send(res, 500, { message: 'An error has occurred.' });
      }
      const form = new URLSearchParams(body);
      const clientId = form.get('client_id') ?? '';
      const ok =
        form.get('grant_type') === 'client_credentials' &&
        form.get('scope') === 'api.organization' &&
        (this.clients.get(clientId)?.has(form.get('client_secret') ?? '') ?? false);
      if (!ok) return this.send(res, 400, { error: 'invalid_client' });
      const now = Math.floor(Date.now() / 1000);
      const orgId = clientId.replace(/^organization\./, '');
      const token = this.jwt({
        nbf: now,
        exp: now + this.tokenTtlSec,
        client_id: clientId,
        sub: orgId,
        scope: ['api.organization'],
      });
      return this.send(res, 200, {
        access_token: token,
        expires_in: this.tokenTtlSec,
        token_type: 'Bearer',
        scope: 'api.organization',
      });
    }
    if (path.startsWith('/api/public/')) {
      this.apiRequests.push(`${req.method} ${path}`);
      const auth = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      const claims = auth ? this.verify(auth) : undefined;
      if (!claims) return this.send(res, 401, { message: 'Unauthorized' });
      if (this.failApiNext > 0) {
        this.failApiNext--;
        return this.send(res, 503, { message: 'Service Unavailable' });
      }
      return this.publicApi(
        req.method ?? 'GET',
        path.slice('/api/public'.length),
        this.organization(String(claims.sub)),
        body,
        res,
      );
    }
    return this.send(res, 404, { object: 'error', message: 'Not found.' });
  }

  private publicApi(method: string, path: string, org: Organization, body: string, res: ServerResponse): void {
    const error = (status: number, message: string) =>
      this.send(res, status, { object: 'error', message, errors: null });
    const list = (data: unknown[]) => this.send(res, 200, { object: 'list', data, continuationToken: null });
    let m: RegExpExecArray | null;
    if (method === 'POST' && path === '/organization/import') {
      const parsed = JSON.parse(body || '{}') as ImportBody;
      const nth = ++org.importRequests;
      org.onImport?.(nth);
      if (org.failImports.has(nth)) return error(500, 'An error has occurred.');
      this.imports.push({ orgId: org.id, body: parsed });
      if (typeof parsed.overwriteExisting !== 'boolean') return error(400, 'The OverwriteExisting field is required.');
      try {
        org.import(parsed);
      } catch (err) {
        if (err instanceof ImportError) return error(400, err.message);
        if (err instanceof ServerFault) return error(500, 'An error has occurred.');
        throw err;
      }
      // Applied, never answered (the connection stays open until the client gives up).
      if (org.hangImport === nth) return;
      return this.send(res, 200, {});
    }
    if (method !== 'GET') return error(404, 'Not found.');
    if (path === '/members')
      return list(
        org.members.map((x) => ({
          object: 'member',
          id: x.id,
          userId: x.userId,
          name: x.name,
          email: x.email,
          twoFactorEnabled: false,
          status: x.status,
          type: x.type,
          externalId: x.externalId,
          ssoExternalId: null,
          resetPasswordEnrolled: false,
          collections: [],
        })),
      );
    if ((m = /^\/members\/([^/]+)\/group-ids$/.exec(path)))
      return this.send(
        res,
        200,
        org.groups.filter((g) => g.memberIds.includes(m![1]!)).map((g) => g.id),
      );
    if (path === '/groups')
      return list(
        org.groups.map((g) => ({ object: 'group', id: g.id, name: g.name, externalId: g.externalId, collections: [] })),
      );
    if ((m = /^\/groups\/([^/]+)\/member-ids$/.exec(path))) {
      const group = org.groups.find((g) => g.id === m![1]);
      return group ? this.send(res, 200, group.memberIds) : error(404, 'Group not found.');
    }
    if (path === '/organization/subscription') {
      if (org.selfHosted) return error(400, 'Only allowed when not self hosted.');
      return this.send(res, 200, {
        object: 'organizationSubscription',
        passwordManager: { seats: org.seats, maxAutoScaleSeats: org.maxAutoScaleSeats, storage: null },
        secretsManager: null,
      });
    }
    return error(404, 'Not found.');
  }
}
