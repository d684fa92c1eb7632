// `bwdc sync` through the import gate (gate.ts, docs/guard-rails.md): data.json's API URL points at the
// gate for the length of the call and is put back afterwards. All or nothing: the gate holds every request
// bwdc sends; once bwdc ended well the whole sync is judged and its requests forwarded in order
// (forward.ts), or none. When the sync did not wholly reach the server, bwdc's sync markers (hash, delta
// tokens, last-sync dates) are put back as before the run, so the next run sends everything again; else the
// payload hash bwdc would have stored had it talked to the real API. A URL a killed runner left behind is
// put back at the next run's preparation (restoreApiUrl).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BwdcClient, CallOutcome } from '../bwdc/client.js';
import { writeFileAtomic } from '../state/atomic.js';
import type { InstanceState } from '../state/instance-state.js';
import { sectionOf } from '../shared/json.js';
import type { Plan } from '../plan/compute.js';
import type { Breach } from '../plan/guard.js';
import { forwardHeld, type ForwardReport } from './forward.js';
import { ImportGate, payloadHash } from './gate.js';
import { inProcessPlanner, workerPlanner, type Planner } from './planner.js';
import { readOrganization } from './read-organization.js';

export interface GatedSyncOptions {
  state: InstanceState;
  bwdc: BwdcClient;
  /**
   * What the run writes into data.json before bwdc starts (login: runner: the session and the directory
   * secret), in the one write that points bwdc at the gate: bwdc never sees one without the other.
   */
  prepare?: (data: Json) => unknown;
  /** The real API URL (runner/steps/server.ts: never the cloud when data.json's server is unreadable). */
  apiUrl: string;
  /** The guard rails over the whole sync's plan (plan/guard.ts, with the instance's state): what stops it. */
  judge: (plan: Plan) => Promise<Breach[]>;
  freshToken?: () => Promise<string>;
  /** The organization read of the planning (Public API). */
  readTimeoutMs: number;
  /** Per forwarded request (forward.ts: bwdc's own wait, bounded by the instance's timeout). */
  forwardTimeoutMs: number;
  signal?: AbortSignal;
}

/** How a gated sync ended, for the run step (runner/steps/guard.ts). */
export interface GatedSyncResult {
  run: CallOutcome;
  gate: ImportGate;
  /** The rails the whole sync broke: nothing was forwarded. */
  breaches: Breach[];
  /** What reached the server, when the sync was judged and forwarded. */
  forward: ForwardReport | undefined;
  /** bwdc's sync markers were put back as before the run (so the next run sends everything again). */
  markersRestored: boolean;
}

/**
 * bwdc's record of the last sync in data.json (docs/upstream/bwdc.md "What must survive between runs"):
 * put back as before the run when the sync did not wholly reach the server, so the next run sends it all again.
 */
export const syncMarkers = ['lastSyncHash', 'lastUserSync', 'lastGroupSync', 'userDeltaToken', 'groupDeltaToken'];

/**
 * The last import the server accepted, as bwdc hashed it, in the instance's state folder (0600; member
 * emails and external ids, as data.json's directory settings are): what lets bwdc's own unchanged-check
 * work through a gate whose URL changes every run.
 */
export const lastImportFile = 'last-import.json';

const gateUrl = /^http:\/\/127\.0\.0\.1:\d+\/gate-[0-9a-f]{32}$/;

type Json = Record<string, unknown>;

/** environmentUrls.api as the template has it: what a gate URL left by a killed run is replaced with. */
export function restoreApiUrl(data: Json, templateText: string): boolean {
  const urls = sectionOf(data, 'environmentUrls');
  if (typeof urls.api !== 'string' || !gateUrl.test(urls.api)) return false;
  const template = sectionOf(JSON.parse(templateText) as Json, 'environmentUrls');
  data.environmentUrls = { ...urls, api: template.api ?? null };
  return true;
}

/** data.json that bwdc would take around the gate: the sync is not started (class config). */
export class GateBypassError extends Error {}

/**
 * Why bwdc would not use the API URL the gate writes, or undefined. A data.json whose state version is
 * below 5 (flat stateVersion, else global.stateVersion when there is no flat one) is migrated by bwdc at
 * start, and with an active account (activeUserId, a bwdc older than 2026.6 left it) the migration copies
 * global.environmentUrls over environmentUrls: the import would go
 * straight to that server, unjudged (bitwarden/directory-connector v2026.6.1 libs/services/
 * state-service/stateMigration.service.ts getCurrentStateVersion, migrateStateFrom3To5).
 */
export function gateBypass(data: Json): string | undefined {
  const global = data.global;
  if (typeof global !== 'object' || global === null) return undefined;
  const g = global as Json;
  const version = data.stateVersion ?? g.stateVersion;
  if (g.environmentUrls == null || typeof version !== 'number' || version >= 5) return undefined;
  // Without an active account the migration only stamps the version (measured with the real v2026.6.1).
  const account = typeof data.activeUserId === 'string' ? data[data.activeUserId] : undefined;
  if (!account) return undefined;
  return (
    `data.json has state version ${version} and global.environmentUrls: bwdc would migrate it at start and ` +
    'take the API URL from global.environmentUrls, sending the import around the guard rails; ' +
    'use a data.json from bwdc 2026.6 or later (remove "global"), or a directory block'
  );
}

export async function gatedSync(o: GatedSyncOptions): Promise<GatedSyncResult> {
  const status = await o.state.readDataJson();
  const data = status.ok ? status.data : {};
  o.prepare?.(data); // as bwdc will read it: the token and organization of this run
  const bypass = gateBypass(data);
  if (bypass) throw new GateBypassError(bypass);
  const apiUrl = o.apiUrl;
  const original = sectionOf(data, 'environmentUrls').api ?? null;
  const organizationId = typeof data.organizationId === 'string' ? data.organizationId : '';
  const lastHash = typeof data.lastSyncHash === 'string' ? data.lastSyncHash : undefined;
  const markers: Json = {};
  for (const k of syncMarkers) if (k in data) markers[k] = data[k];
  const given = typeof data.accessToken === 'string' ? data.accessToken : undefined;
  const last = join(o.state.dir, lastImportFile);
  const lastJson = await readFile(last, 'utf8').catch(() => undefined);
  const gate = await new ImportGate({
    apiUrl,
    organizationId,
    lastHash,
    planner: plannerFor(o, given, lastJson, sectionOf(data, 'sync').largeImport === true),
    // The token written for this run, or the one bwdc renewed it with (it saves it in data.json first).
    isBwdcToken: async (token) => token === given || token === (await currentToken(o.state)),
    freshToken: o.freshToken,
  }).start();
  // bwdc hashes the API URL into its "nothing changed" check: given the hash the last import has under the
  // gate's URL, an unchanged directory sends nothing and reports 0 and 0, as without the gate.
  const seeded =
    lastJson !== undefined && lastHash === payloadHash(apiUrl, organizationId, lastJson)
      ? payloadHash(gate.url, organizationId, lastJson)
      : undefined;
  let run: CallOutcome | undefined;
  let breaches: Breach[] = [];
  let forward: ForwardReport | undefined;
  let whole = false;
  try {
    await o.state.update((d) => {
      o.prepare?.(d);
      d.environmentUrls = { ...sectionOf(d, 'environmentUrls'), api: gate.url };
      if (seeded) d.lastSyncHash = seeded;
      return true;
    });
    // bwdc is spawned within sync()'s first step; the organization read starts after it (planner.ts begin).
    const running = o.bwdc.sync(new URL(gate.url).host);
    gate.begin();
    run = await running;
    await gate.stop();
    // Judged and forwarded only when bwdc ended well: every request it meant to send was planned and held.
    if (run.ok && !gate.failure && gate.plan && gate.held.length > 0) {
      breaches = await o.judge(gate.plan);
      if (breaches.length === 0)
        forward = await forwardHeld(gate.held, {
          apiUrl,
          timeoutMs: o.forwardTimeoutMs,
          signal: o.signal,
          freshToken: o.freshToken,
        });
    }
    whole = run.ok && !gate.failure && (gate.held.length === 0 ? true : forward?.failure === undefined && !!forward);
  } finally {
    await gate.stop();
    const json = whole ? gate.sentJson() : undefined;
    // Two files, written side by side: the run ends sooner by one write.
    const keepLast = json !== undefined ? writeFileAtomic(last, json, 0o600) : Promise.resolve();
    const restored = o.state.update((d) => {
      d.environmentUrls = { ...sectionOf(d, 'environmentUrls'), api: original };
      if (!whole) {
        // Not wholly on the server: bwdc's record of the sync as it was before the run.
        for (const k of syncMarkers) {
          if (k in markers) d[k] = markers[k];
          else delete d[k];
        }
        return true;
      }
      // The hash under the real API URL: of this import when the server took it, else the one before.
      const hash = json !== undefined ? payloadHash(apiUrl, organizationId, json) : lastHash;
      if (hash !== undefined) d.lastSyncHash = hash;
      return true;
    });
    await allOf([keepLast, restored]);
  }
  return { run, gate, breaches, forward, markersRestored: !whole };
}

/** Waits for every write, then fails with the first that failed: none is still under way when the run tidies. */
async function allOf(writes: Array<Promise<unknown>>): Promise<void> {
  const failed = (await Promise.allSettled(writes)).find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
}

async function currentToken(state: InstanceState): Promise<string | undefined> {
  const status = await state.readDataJson();
  return status.ok && typeof status.data.accessToken === 'string' ? status.data.accessToken : undefined;
}

/**
 * Up to this size of an import (~5,000 members: a plan of ~30 ms, bench/README.md "Plan"), the gate plans
 * on the run's own thread: a worker thread's start costs ~0.5 s of CPU, more than such a plan. Sized by the
 * last import the server accepted, the organization is then read while bwdc starts; with no earlier import,
 * by the first request (not with largeImport, whose batches are small whatever the organization).
 * Anything larger is planned in a worker thread (planner.ts).
 */
export const inProcessBytes = 1_000_000;

function plannerFor(
  o: GatedSyncOptions,
  given: string | undefined,
  lastJson: string | undefined,
  largeImport: boolean,
): Planner {
  const worker = () => workerPlanner({ apiUrl: o.apiUrl, timeoutMs: o.readTimeoutMs });
  const inProcess = (early?: string) =>
    inProcessPlanner(
      (accessToken, signal) =>
        readOrganization({
          apiUrl: o.apiUrl,
          accessToken,
          freshToken: o.freshToken,
          timeoutMs: o.readTimeoutMs,
          signal: signal && o.signal ? AbortSignal.any([signal, o.signal]) : (signal ?? o.signal),
        }),
      early,
    );
  if (lastJson !== undefined) return lastJson.length <= inProcessBytes ? inProcess(given) : worker();
  let chosen: Planner | undefined;
  return {
    plan(text, token) {
      chosen ??= !largeImport && text.length <= inProcessBytes ? inProcess() : worker();
      return chosen.plan(text, token);
    },
    close: () => chosen?.close() ?? Promise.resolve(),
  };
}
