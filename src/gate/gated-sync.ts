// `bwdc sync` through the import gate (gate.ts, docs/guard-rails.md): data.json's API URL points at the
// gate for the length of the call and is put back afterwards, with the payload hash bwdc would have
// stored had it talked to the real API (so that the hash stays meaningful between runs). A URL a killed
// runner left behind is put back at the next run's preparation (restoreApiUrl).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BwdcClient, CallOutcome } from '../bwdc/client.js';
import { writeFileAtomic } from '../state/atomic.js';
import type { InstanceState } from '../state/instance-state.js';
import { sectionOf } from '../shared/json.js';
import { judge, type GuardSettings } from '../plan/guard.js';
import { ImportGate, payloadHash } from './gate.js';
import { workerPlanner } from './planner.js';

export interface GatedSyncOptions {
  state: InstanceState;
  bwdc: BwdcClient;
  /** The real API URL (runner/steps/server.ts: never the cloud when data.json's server is unreadable). */
  apiUrl: string;
  guard: GuardSettings;
  allowRemovals: number | undefined;
  freshToken?: () => Promise<string>;
  timeoutMs: number;
  signal?: AbortSignal;
}

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

export async function gatedSync(o: GatedSyncOptions): Promise<{ run: CallOutcome; gate: ImportGate }> {
  const status = await o.state.readDataJson();
  const data = status.ok ? status.data : {};
  const apiUrl = o.apiUrl;
  const original = sectionOf(data, 'environmentUrls').api ?? null;
  const organizationId = typeof data.organizationId === 'string' ? data.organizationId : '';
  const lastHash = typeof data.lastSyncHash === 'string' ? data.lastSyncHash : undefined;
  const gate = await new ImportGate({
    apiUrl,
    organizationId,
    lastHash,
    planner: workerPlanner({ apiUrl, timeoutMs: o.timeoutMs }),
    judge: (plan) => judge(plan, o.guard, o.allowRemovals),
    freshToken: o.freshToken,
    timeoutMs: o.timeoutMs,
    signal: o.signal,
  }).start();
  // bwdc hashes the API URL into its "nothing changed" check: given the hash the last import has under the
  // gate's URL, an unchanged directory sends nothing and reports 0 and 0, as without the gate.
  const last = join(o.state.dir, lastImportFile);
  const lastJson = await readFile(last, 'utf8').catch(() => undefined);
  const seeded =
    lastJson !== undefined && lastHash === payloadHash(apiUrl, organizationId, lastJson)
      ? payloadHash(gate.url, organizationId, lastJson)
      : undefined;
  let run: CallOutcome | undefined;
  try {
    await o.state.update((d) => {
      d.environmentUrls = { ...sectionOf(d, 'environmentUrls'), api: gate.url };
      if (seeded) d.lastSyncHash = seeded;
      return true;
    });
    run = await o.bwdc.sync(new URL(gate.url).host);
  } finally {
    await gate.stop();
    const json = run?.ok ? gate.acceptedJson() : undefined;
    if (json !== undefined) await writeFileAtomic(last, json, 0o600);
    await o.state.update((d) => {
      d.environmentUrls = { ...sectionOf(d, 'environmentUrls'), api: original };
      // The hash under the real API URL: of this import when the server took it, else the one before.
      const hash = json !== undefined ? payloadHash(apiUrl, organizationId, json) : lastHash;
      if (hash !== undefined) d.lastSyncHash = hash;
      return true;
    });
  }
  return { run, gate };
}
