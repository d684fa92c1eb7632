// Step "guard": what a sync does, held to the guard rails (plan/guard.ts). `plan`: `bwdc test` for the
// directory, the organization through the Public API, and the server's import rules over both
// (plan/compute.ts). `sync`: `bwdc sync` through the import gate (gate/gated-sync.ts), which plans the
// import bwdc actually sends and refuses it, class guard, when it breaks a rail (docs/guard-rails.md).
import { BitwardenError } from '../../bitwarden/request-error.js';
import { TOKEN_MARGIN_MS } from '../../bitwarden/token-cache.js';
import { bwdcBuild } from '../../bwdc/capabilities.js';
import { childBaseEnv, type BwdcClient, type CallOutcome } from '../../bwdc/client.js';
import { parseTestReport } from '../../bwdc/response.js';
import { ExitCode } from '../../errors.js';
import { GateBypassError, gatedSync } from '../../gate/gated-sync.js';
import { readOrganization } from '../../gate/read-organization.js';
import { computePlan, planCounts, type Plan, type SyncSettings } from '../../plan/compute.js';
import { sectionOf } from '../../shared/json.js';
import type { InstanceState } from '../../state/instance-state.js';
import type { Effort, Report, RunContext, SessionToken } from '../types.js';
import { RunFailure, fail } from './failure.js';
import { serverOf } from './server.js';
import { bitwardenTimeoutMs, obtainToken } from './token.js';

/** What the step needs besides the run: where bwdc runs, the token in hand and the key to renew it. */
export interface GuardInputs {
  state: InstanceState;
  bwdc: BwdcClient;
  token: SessionToken | undefined;
  clientSecret: string;
  effort: Effort;
}

/** `plan`: the plan, kept in effort.plan, and its one-line report. */
export async function planStep(run: RunContext, g: GuardInputs): Promise<Report> {
  const plan = await planSync(run, g);
  g.effort.plan = plan;
  const c = planCounts(plan);
  return {
    message:
      `plan: ${c.invite} to invite, ${c.remove} to remove, ${c.link} to link, ${c.skip} skipped; ` +
      `${c.group_create} group(s) to create`,
    users: plan.import.members,
    groups: plan.import.groups,
    test: undefined,
  };
}

/** `sync`: bwdc's sync, every import it sends judged by the gate first. */
export async function gatedSyncStep(run: RunContext, g: GuardInputs): Promise<CallOutcome> {
  const { instance, deps, log } = run;
  const { url: apiUrl } = await serverOf(g.state, 'api');
  const { run: outcome, gate } = await gatedSync({
    state: g.state,
    bwdc: g.bwdc,
    apiUrl,
    guard: instance.guard,
    allowRemovals: deps.allowRemovals,
    freshToken: freshToken(run, g),
    token: g.token?.accessToken,
    timeoutMs: bitwardenTimeoutMs(instance),
    signal: deps.signal,
  }).catch((err: unknown) => {
    if (err instanceof GateBypassError) throw new RunFailure(err.message, 'config', ExitCode.config, false);
    throw err;
  });
  g.effort.plan = gate.plan;
  if (gate.refused) {
    for (const b of gate.breaches) log.error({ rule: b.rule, ...b.numbers }, `guard: ${b.message}`);
    log.error({ remove: gate.plan?.remove }, 'guard: the members the refused import would have removed');
    g.effort.guardRules = gate.breaches.map((b) => b.rule);
    throw new RunFailure(
      `stopped before the import: ${gate.breaches.map((b) => b.message).join('; ')}`,
      'guard',
      ExitCode.syncFailed,
      false,
    );
  }
  const failure = gate.failure;
  if (failure) throw new RunFailure(failure.message, failure instanceof BitwardenError ? failure.failure : 'internal');
  if (gate.plan) log.info({ plan: planCounts(gate.plan) }, 'guard: the import is within the limits');
  return outcome;
}

/** A token for the gate or the plan's reads when the one in hand is about to expire (login: runner). */
function freshToken(run: RunContext, g: GuardInputs): (() => Promise<string>) | undefined {
  if (!g.token) return undefined;
  return async () => (await obtainToken(run, g.state, g.clientSecret, TOKEN_MARGIN_MS * 2)).accessToken;
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
 * What a sync would do: `bwdc test` for the directory, the Public API for the organization (with the
 * organization token of this run), and the server's import rules over both (plan/compute.ts).
 */
async function planSync(run: RunContext, g: GuardInputs): Promise<Plan> {
  const { instance, deps, log } = run;
  const test = await g.bwdc.test();
  if (!test.ok) fail('test (planning the sync)', test);
  const report = parseTestReport(test.response?.data);
  if (!report) throw new RunFailure('test (planning the sync): bwdc printed no test report', 'internal');
  const { url: apiUrl, data } = await serverOf(g.state, 'api');
  const accessToken = g.token?.accessToken ?? (typeof data.accessToken === 'string' ? data.accessToken : undefined);
  if (!accessToken)
    throw new RunFailure('planning the sync: no organization token to read the organization with', 'auth');
  let org;
  try {
    org = await readOrganization({
      apiUrl,
      accessToken,
      freshToken: freshToken(run, g),
      timeoutMs: bitwardenTimeoutMs(instance),
      signal: deps.signal,
    });
  } catch (err) {
    if (err instanceof BitwardenError)
      throw new RunFailure(
        `planning the sync: ${err.message}`,
        err.failure,
        err.failure === 'config' ? ExitCode.config : undefined,
      );
    throw err;
  }
  const env = childBaseEnv(deps.env, g.state.dir, deps.config.passEnv);
  const build = await bwdcBuild(deps.config.bwdcPath ?? 'bwdc', env);
  const plan = computePlan(report, syncSettingsOf(data), org, build);
  log.debug({ plan: planCounts(plan), build }, 'sync planned');
  return plan;
}
