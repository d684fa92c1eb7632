// `bwdc sync` through the import gate (gate.ts, docs/guard-rails.md): data.json's API URL points at the
// gate for the length of the call and is put back afterwards, with the payload hash bwdc would have
// stored had it talked to the real API (so that the hash stays meaningful between runs). A URL a killed
// runner left behind is put back at the next run's preparation (restoreApiUrl).
import type { BwdcClient, CallOutcome } from '../bwdc/client.js';
import { apiUrlOf } from '../bitwarden/public-api.js';
import type { InstanceState } from '../state/instance-state.js';
import { sectionOf } from '../shared/json.js';
import { judge, type GuardSettings } from '../plan/guard.js';
import { ImportGate } from './gate.js';
import { workerPlanner } from './planner.js';

export interface GatedSyncOptions {
  state: InstanceState;
  bwdc: BwdcClient;
  guard: GuardSettings;
  allowRemovals: number | undefined;
  freshToken?: () => Promise<string>;
  timeoutMs: number;
  signal?: AbortSignal;
}

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
  const apiUrl = apiUrlOf(data);
  const original = sectionOf(data, 'environmentUrls').api ?? null;
  const gate = await new ImportGate({
    apiUrl,
    organizationId: typeof data.organizationId === 'string' ? data.organizationId : '',
    lastHash: typeof data.lastSyncHash === 'string' ? data.lastSyncHash : undefined,
    planner: workerPlanner({ apiUrl, timeoutMs: o.timeoutMs }),
    judge: (plan) => judge(plan, o.guard, o.allowRemovals),
    freshToken: o.freshToken,
    timeoutMs: o.timeoutMs,
    signal: o.signal,
  }).start();
  let run: CallOutcome | undefined;
  try {
    await o.state.update((d) => {
      d.environmentUrls = { ...sectionOf(d, 'environmentUrls'), api: gate.url };
      return true;
    });
    run = await o.bwdc.sync();
  } finally {
    await gate.stop();
    await o.state.update((d) => {
      d.environmentUrls = { ...sectionOf(d, 'environmentUrls'), api: original };
      const hash = run?.ok ? gate.acceptedHash() : undefined;
      if (hash) d.lastSyncHash = hash;
      return true;
    });
  }
  return { run, gate };
}
