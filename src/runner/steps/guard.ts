// Step "guard": for `plan`, and for a sync whose settings can remove members (or guard.always), what
// the sync would do (bwdc test + the organization through the Public API, plan/compute.ts), then the
// guard rails' verdict (plan/guard.ts). Returns the plan's report in `plan` mode, undefined when the
// sync may go on; throws (class guard) when the rails stop it.
import { BitwardenError } from '../../bitwarden/request-error.js';
import { PublicApi } from '../../bitwarden/public-api.js';
import type { BwdcClient } from '../../bwdc/client.js';
import { parseTestReport } from '../../bwdc/response.js';
import type { InstanceConfig } from '../../config/model.js';
import { ExitCode } from '../../errors.js';
import { computePlan, planCounts, type Plan, type SyncSettings } from '../../plan/compute.js';
import { canRemove, judge } from '../../plan/guard.js';
import { sectionOf } from '../../shared/json.js';
import type { InstanceState } from '../../state/instance-state.js';
import type { Effort, Report, RunContext, SessionToken } from '../types.js';
import { RunFailure, fail } from './failure.js';
import { serverOf } from './server.js';
import { bitwardenTimeoutMs } from './token.js';

export async function guardStep(
  run: RunContext,
  state: InstanceState,
  bwdc: BwdcClient,
  token: SessionToken | undefined,
  effort: Effort,
): Promise<Report | undefined> {
  const { instance, deps, mode, log } = run;
  if (!(mode === 'plan' || (mode === 'sync' && guarded(instance)))) return undefined;
  const plan = await planSync(run, state, bwdc, token);
  effort.plan = plan;
  if (mode === 'plan') {
    const c = planCounts(plan);
    return {
      message: `plan: ${c.invite} to invite, ${c.remove} to remove, ${c.link} to link, ${c.skip} skipped; ${c.group_create} group(s) to create`,
      users: plan.import.members,
      groups: plan.import.groups,
      test: undefined,
    };
  }
  const breaches = judge(plan, instance.guard, deps.allowRemovals);
  if (breaches.length) {
    for (const b of breaches) log.error({ rule: b.rule, ...b.numbers }, `guard: ${b.message}`);
    effort.guardRules = breaches.map((b) => b.rule);
    throw new RunFailure(
      `stopped before the sync: ${breaches.map((b) => b.message).join('; ')}`,
      'guard',
      ExitCode.syncFailed,
      false,
    );
  }
  log.info({ plan: planCounts(plan) }, 'guard: the plan is within the limits; syncing');
  return undefined;
}

/** The sync settings of data.json that decide what an import does (absent booleans read as false). */
function syncSettingsOf(data: Record<string, unknown>): SyncSettings {
  const sync = sectionOf(data, 'sync');
  return {
    users: sync.users === true,
    groups: sync.groups === true,
    overwriteExisting: sync.overwriteExisting === true,
    removeDisabled: sync.removeDisabled === true,
    largeImport: sync.largeImport === true,
    // v2026.6.1 never sends it, so the server's default (true) applies; a later bwdc sends what is set.
    inviteUsersAfterProvisioning: sync.inviteUsersAfterProvisioning !== false,
  };
}

/**
 * Whether this sync is planned first: its settings can remove members, or guard.always. Read from the
 * template the state folder was seeded from (no file I/O on every sync): the runner never changes the
 * sync settings, and neither does bwdc (`config` rewrites only AD attribute names, docs/upstream/bwdc.md
 * "What config rewrites").
 */
export function guarded(instance: InstanceConfig): boolean {
  if (instance.guard.always) return true;
  const template = JSON.parse(instance.dataJson.text) as Record<string, unknown>;
  return canRemove(syncSettingsOf(template));
}

/**
 * What a sync would do: `bwdc test` for the directory, the Public API for the organization (with the
 * organization token of this run), and the server's import rules over both (plan/compute.ts).
 */
async function planSync(
  { instance, deps, log }: RunContext,
  state: InstanceState,
  bwdc: BwdcClient,
  token: SessionToken | undefined,
): Promise<Plan> {
  const test = await bwdc.test();
  if (!test.ok) fail('test (planning the sync)', test);
  const report = parseTestReport(test.response?.data);
  if (!report) throw new RunFailure('test (planning the sync): bwdc printed no test report', 'internal');
  const { url: apiUrl, data } = await serverOf(state, 'api');
  const accessToken = token?.accessToken ?? (typeof data.accessToken === 'string' ? data.accessToken : undefined);
  if (!accessToken)
    throw new RunFailure('planning the sync: no organization token to read the organization with', 'auth');
  const api = new PublicApi({
    apiUrl,
    accessToken,
    timeoutMs: bitwardenTimeoutMs(instance),
    signal: deps.signal,
  });
  let org;
  try {
    org = await api.organization();
  } catch (err) {
    if (err instanceof BitwardenError)
      throw new RunFailure(
        `planning the sync: ${err.message}`,
        err.failure,
        err.failure === 'config' ? ExitCode.config : undefined,
      );
    throw err;
  }
  const plan = computePlan(report, syncSettingsOf(data), org);
  log.debug({ plan: planCounts(plan), apiRequests: api.requests }, 'sync planned');
  return plan;
}
