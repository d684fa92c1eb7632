// The import gate (docs/guard-rails.md "The import gate"): a loopback HTTP server of the runner's own,
// on a random port under an unguessable path made for one run, which bwdc takes for the Bitwarden API
// (data.json environmentUrls.api). It receives exactly the import bwdc sends (POST {api}/public/
// organization/import, bitwarden/directory-connector v2026.6.1 libs/services/api.service.ts
// postPublicImportDirectory, with bwdc's bearer token), plans it against the organization (read once
// through the Public API), and either forwards it to the real API (shared/http.ts: same CA and proxy
// rules as the runner's other requests) and relays the answer, or refuses it with a 400 and a message,
// which bwdc reports and exits 1 with (api.service.ts handleError). A largeImport arrives as several
// requests, each awaited by bwdc: they are judged cumulatively, so the removals let through never exceed
// the limit, whichever batch crosses it.
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expiresSoon } from '../bitwarden/identity.js';
import { failureReason, httpRequest } from '../shared/http.js';
import type { Plan } from '../plan/compute.js';
import type { Breach } from '../plan/guard.js';
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
  /** The guard rails over the cumulative plan. */
  judge: (plan: Plan) => Breach[];
  /** A token with enough life left, when bwdc's has less than a minute (login: runner); else bwdc's is used. */
  freshToken?: () => Promise<string>;
  /** Per forwarded request. */
  timeoutMs: number;
  signal?: AbortSignal;
}

/** The largest import body accepted: 100,000 members take ~10 MB. */
const maxBody = 256 * 1024 * 1024;

export class ImportGate {
  /** What bwdc sent and what the gate planned, cumulatively over the requests of this run. */
  plan: Plan | undefined;
  breaches: Breach[] = [];
  /** The gate could not judge (the organization could not be read): the failure, for the run. */
  failure: Error | undefined;
  /** Requests bwdc sent, forwarded, and answered 200 by the server. */
  received = 0;
  forwarded = 0;
  accepted = 0;
  /** Answered 200 without forwarding: identical to the last import the server accepted. */
  unchanged = false;
  private bodies: string[] = [];
  private server: Server | undefined;
  private readonly path = `/gate-${randomBytes(16).toString('hex')}`;
  private port = 0;

  constructor(private readonly o: GateOptions) {}

  /** The API URL bwdc is given: loopback, this run's port and path. */
  get url(): string {
    return `http://127.0.0.1:${this.port}${this.path}`;
  }

  get refused(): boolean {
    return this.breaches.length > 0;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => reply(res, 500, `bwdc-runner import gate: ${String(err)}`));
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(0, '127.0.0.1', resolve);
    });
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
    await this.o.planner.close();
  }

  /**
   * The JSON bwdc hashes (sync.service.ts generateHash: one request, or the array of its requests) of
   * everything the server accepted in this run; undefined unless every request bwdc sent was accepted.
   */
  acceptedJson(): string | undefined {
    if (this.received === 0 || this.accepted !== this.received) return undefined;
    return this.bodies.length === 1 ? this.bodies[0]! : `[${this.bodies.join(',')}]`;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'POST' || path !== `${this.path}/public/organization/import`)
      return reply(res, 404, 'Not found.');
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!bearer) return reply(res, 401, 'Unauthorized');
    const text = await readBody(req);
    this.received++;
    this.bodies.push(text);
    if (this.failure || this.refused) return reply(res, 400, 'bwdc-runner import gate: an earlier request was refused');
    if (
      this.received === 1 &&
      this.o.lastHash &&
      payloadHash(this.o.apiUrl, this.o.organizationId, text) === this.o.lastHash
    ) {
      // bwdc's own check cannot match (its hash includes this gate's URL): the server already has this import.
      this.unchanged = true;
      this.accepted++;
      return reply(res, 200, undefined);
    }
    const token = expiresSoon(bearer) && this.o.freshToken ? await this.o.freshToken() : bearer;
    try {
      this.plan = await this.o.planner.plan(text, token);
    } catch (err) {
      this.failure = err as Error;
      return reply(res, 503, `bwdc-runner import gate: could not judge the import: ${(err as Error).message}`);
    }
    this.breaches = this.o.judge(this.plan);
    if (this.refused)
      return reply(res, 400, `bwdc-runner guard stopped the import: ${this.breaches.map((b) => b.message).join('; ')}`);
    await this.forward(req, text, token, res);
  }

  private async forward(req: IncomingMessage, text: string, token: string, res: ServerResponse): Promise<void> {
    const url = `${this.o.apiUrl}/public/organization/import`;
    const timeout = AbortSignal.timeout(this.o.timeoutMs);
    const signal = this.o.signal ? AbortSignal.any([this.o.signal, timeout]) : timeout;
    const headers: Record<string, string> = {
      Authorization: `Bearer ${token}`,
      'Content-Type': 'application/json; charset=utf-8',
    };
    for (const h of ['accept', 'device-type', 'bitwarden-client-name', 'bitwarden-client-version', 'user-agent']) {
      const v = req.headers[h];
      if (typeof v === 'string') headers[h] = v;
    }
    this.forwarded++;
    let answer;
    try {
      answer = await httpRequest({ method: 'POST', url, headers, body: text, signal });
    } catch (err) {
      return reply(res, 502, `request to ${url} failed, reason: ${failureReason(err, timeout.aborted)}`);
    }
    if (answer.status === 200) this.accepted++;
    res.writeHead(answer.status, answer.text ? { 'content-type': 'application/json; charset=utf-8' } : {});
    res.end(answer.text);
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
