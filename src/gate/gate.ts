// The import gate (docs/guard-rails.md "The import gate"): a loopback HTTP server of the runner's own,
// on a random port under an unguessable path made for one run, which bwdc takes for the Bitwarden API
// (data.json environmentUrls.api). It receives exactly the import bwdc sends (POST {api}/public/
// organization/import, bitwarden/directory-connector v2026.6.1 libs/services/api.service.ts
// postPublicImportDirectory, with bwdc's bearer token), plans each request against the organization
// (read once through the Public API, planner.ts), one request at a time, and HOLDS it: bwdc is answered
// 200 and sends its next batch. Nothing reaches the server from here; once bwdc ended well, the run judges
// the whole sync (every batch of a largeImport) and forwards all the held requests in order, or none
// (forward.ts, gated-sync.ts).
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { http } from '../shared/node-http.js';
import type { AddressInfo } from 'node:net';
import { expiresSoon } from '../bitwarden/identity.js';
import type { Plan } from '../plan/compute.js';
import type { Planner } from './planner.js';

export interface GateOptions {
  /** The real API base bwdc would have used (environmentUrls.api, <base>/api, or the cloud's). */
  apiUrl: string;
  /** data.json's organizationId: part of the payload hash bwdc keeps (payloadHash below). */
  organizationId: string;
  /** The payload hash of the last import that reached the server; an identical single import is answered at once. */
  lastHash: string | undefined;
  /** Reads the organization with the first request's token and plans each request (planner.ts). */
  planner: Planner;
  /**
   * Whether a bearer token is the one the runner gave bwdc for this run (data.json's accessToken, or the
   * one bwdc renewed into it): any other is answered 401 and never used (docs/guard-rails.md "Tokens").
   */
  isBwdcToken: (token: string) => Promise<boolean>;
  /** A token with enough life left, for bwdc's token that has less than a minute (login: runner). */
  freshToken?: () => Promise<string>;
}

/** A request bwdc sent, planned and answered, not yet forwarded. */
export interface HeldRequest {
  text: string;
  /** bwdc's own headers worth passing on (client name and version, device type, accept, user agent). */
  headers: Record<string, string>;
  /** bwdc's bearer token for it. */
  token: string;
  /** The removals this request adds to the plan (plan.remove.length before and after it). */
  removals: number;
}

/** The largest import body accepted: 100,000 members take ~10 MB. */
const maxBody = 256 * 1024 * 1024;
const passedHeaders = ['accept', 'device-type', 'bitwarden-client-name', 'bitwarden-client-version', 'user-agent'];

export class ImportGate {
  /** What bwdc sent and what the gate planned, cumulatively over the requests of this run. */
  plan: Plan | undefined;
  /** The gate could not judge (the organization could not be read): the failure, for the run. */
  failure: Error | undefined;
  /** Requests bwdc sent, in order, with their text (what bwdc hashes). */
  readonly bodies: string[] = [];
  /** The requests planned and answered 200, in order: what the run forwards, all or none. */
  readonly held: HeldRequest[] = [];
  /** Answered 200 without holding: identical to the last import the server accepted. */
  unchanged = false;
  /** Requests answered 401: a token that is not the one bwdc was given. */
  foreignTokens = 0;
  private server: Server | undefined;
  private readonly path = `/gate-${randomBytes(16).toString('hex')}`;
  private port = 0;
  /** One request at a time: each is planned against what the ones before it left. */
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly o: GateOptions) {}

  /** The API URL bwdc is given: loopback, this run's port and path. */
  get url(): string {
    return `http://127.0.0.1:${this.port}${this.path}`;
  }

  get received(): number {
    return this.bodies.length;
  }

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      const turn = this.queue.then(() => this.handle(req, res));
      this.queue = turn.catch((err: unknown) => reply(res, 500, `bwdc-runner import gate: ${String(err)}`));
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(0, '127.0.0.1', resolve);
    });
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  /** bwdc has started: the planner may read the organization now, while bwdc boots (planner.ts). */
  begin(): void {
    this.o.planner.begin?.();
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    server?.closeAllConnections();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    await this.queue;
    await this.o.planner.close();
  }

  /** The JSON bwdc hashes (sync.service.ts generateHash: one request, or the array of its requests). */
  sentJson(): string | undefined {
    if (this.bodies.length === 0) return undefined;
    return this.bodies.length === 1 ? this.bodies[0]! : `[${this.bodies.join(',')}]`;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'POST' || path !== `${this.path}/public/organization/import`)
      return reply(res, 404, 'Not found.');
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!bearer || !(await this.o.isBwdcToken(bearer))) {
      this.foreignTokens++;
      return reply(res, 401, 'Unauthorized');
    }
    const text = await readBody(req);
    this.bodies.push(text);
    if (this.failure) return reply(res, 503, 'bwdc-runner import gate: an earlier request could not be judged');
    if (
      this.bodies.length === 1 &&
      this.o.lastHash &&
      payloadHash(this.o.apiUrl, this.o.organizationId, text) === this.o.lastHash
    ) {
      // bwdc's own check cannot match (its hash includes this gate's URL): the server already has this import.
      this.unchanged = true;
      return reply(res, 200, undefined);
    }
    const before = this.plan?.remove.length ?? 0;
    try {
      const token = expiresSoon(bearer) && this.o.freshToken ? await this.o.freshToken() : bearer;
      this.plan = await this.o.planner.plan(text, token);
    } catch (err) {
      this.failure = err as Error;
      return reply(res, 503, `bwdc-runner import gate: could not judge the import: ${(err as Error).message}`);
    }
    const headers: Record<string, string> = {};
    for (const h of passedHeaders) {
      const v = req.headers[h];
      if (typeof v === 'string') headers[h] = v;
    }
    this.held.push({ text, headers, token: bearer, removals: this.plan.remove.length - before });
    reply(res, 200, undefined);
  }
}

/** bwdc's lastSyncHash: base64 SHA-256 of apiUrl + organizationId + the request JSON (sync.service.ts generateHash). */
export function payloadHash(apiUrl: string, organizationId: string, json: string): string {
  return createHash('sha256')
    .update(apiUrl + organizationId + json)
    .digest('base64');
}

function reply(res: ServerResponse, status: number, message: string | undefined): void {
  if (res.headersSent) return;
  if (message === undefined) {
    res.writeHead(status);
    res.end();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify({ message, object: 'error' }));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > maxBody) throw new Error('import body too large');
    chunks.push(c);
  }
  return Buffer.concat(chunks).toString('utf8');
}
