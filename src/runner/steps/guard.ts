// Step "guard": what a sync does, held to the guard rails (plan/guard.ts). `plan`: `bwdc test` for the
// directory, the organization through the Public API, and the server's import rules over both
// (plan/compute.ts). `sync`: `bwdc sync` through the import gate (gate/gated-sync.ts), which plans the
// import bwdc actually sends and refuses it, class guard, when it breaks a rail (docs/guard-rails.md).
import { BitwardenError } from '../../bitwarden/request-error.js';
import { TOKEN_MARGIN_MS } from '../../bitwarden/token-cache.js';
import { bwdcBuild } from '../../bwdc/capabilities.js';
import { childBaseEnv, type BwdcClient, type CallOutcome } from '../../bwdc/client.js';
import { parseTestReport } from '../../bwdc/response.js';
import { bwdcWaitMs, type ForwardReport } from '../../gate/forward.js';
import { GateBypassError, gatedSync } from '../../gate/gated-sync.js';
import { readOrganization } from '../../gate/read-organization.js';
import { computePlan, planCounts, type Plan, type SyncSettings } from '../../plan/compute.js';
import { approvable, judge, type Breach } from '../../plan/guard.js';
import { planId, planScope } from '../../plan/plan-id.js';
import { findApproval, recordRefusedPlan, useApproval, type Approval } from '../../state/approvals.js';
import { recordRemovals, removedByRun, removedInLastDay } from '../../state/removal-ledger.js';
import { sectionOf } from '../../shared/json.js';
import type { InstanceState, JsonObject } from '../../state/instance-state.js';
import type { Effort, Report, RunContext, SessionToken } from '../types.js';
import { RunFailure, fail } from './failure.js';
import { serverOf } from './server.js';
import { instanceDir } from './control.js';
import { bitwardenTimeoutMs, obtainToken } from './token.js';
import { verifyImport } from './verify.js';

/** What the step needs besides the run: where bwdc runs, the token in hand and the key to renew it. */
export interface GuardInputs {
  state: InstanceState;
  bwdc: BwdcClient;
  token: SessionToken | undefined;
  clientSecret: string;
  effort: Effort;
  /** login: runner: the session a sync writes into data.json with the gate's URL, in one write (bwdc.ts). */
  session?: (data: JsonObject) => boolean;
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

/** `sync`: bwdc's sync; the whole of what it sends judged first, then forwarded all or nothing. */
export async function gatedSyncStep(run: RunContext, g: GuardInputs): Promise<CallOutcome> {
  const { instance, deps, log, runId } = run;
  // Approvals, refused plans and the day budget follow the instance (docs/scheduler.md "What follows an instance").
  const dir = instanceDir(run);
  const { url: apiUrl } = await serverOf(g.state, 'api');
  let approval: Approval | undefined;
  let removedLastDay = 0;
  const judgeWhole = async (plan: Plan): Promise<Breach[]> => {
    removedLastDay = await removedInLastDay(dir);
    const removedThisRun = await removedByRun(dir, runId);
    const breaches = judge(plan, instance.guard, { allowRemovals: deps.allowRemovals, removedLastDay, removedThisRun });
    if (!breaches.length || !approvable(breaches)) return breaches;
    const scope = planScope(plan);
    if (deps.approvedPlan !== undefined && deps.approvedPlan === planId(scope)) {
      log.warn({ planId: deps.approvedPlan }, 'guard: passed on BWDC_APPROVE_PLAN');
      return [];
    }
    approval = await findApproval(dir, scope);
    return approval ? [] : breaches;
  };
  const {
    run: outcome,
    gate,
    breaches,
    forward,
  } = await gatedSync({
    state: g.state,
    bwdc: g.bwdc,
    prepare: g.session,
    apiUrl,
    judge: judgeWhole,
    freshToken: freshToken(run, g),
    readTimeoutMs: bitwardenTimeoutMs(instance),
    forwardTimeoutMs: Math.min(bwdcWaitMs, instance.timeoutMs),
    signal: deps.signal,
  }).catch((err: unknown) => {
    if (err instanceof GateBypassError) throw new RunFailure(err.message, 'config', false);
    throw err;
  });
  const plan = gate.plan;
  g.effort.plan = plan;
  // For the history (steps/control.ts): what bwdc sent, what reached the server and what it accepted.
  g.effort.gate = {
    received: gate.received,
    forwarded: forward?.total ?? 0,
    accepted: forward?.accepted ?? 0,
    unchanged: gate.unchanged,
  };
  if (plan && breaches.length) await refuse(run, g, plan, breaches, { removedLastDay, requests: gate.received });
  const failure = gate.failure;
  if (failure)
    throw new RunFailure(failure.message, failure instanceof BitwardenError ? failure.failureClass : 'internal');
  if (gate.foreignTokens)
    log.warn(
      { requests: gate.foreignTokens },
      'guard: requests with a token that is not the one bwdc was given were answered 401',
    );
  if (!forward || !plan) return outcome;
  const id = planId(planScope(plan));
  if (approval && forward.accepted > 0) {
    await useApproval(dir, approval.planId, runId);
    g.effort.approval = { planId: approval.planId, by: approval.by };
    log.warn({ planId: approval.planId, approvedBy: approval.by }, 'guard: passed on an approval, now used up');
  }
  await recordRemovals(dir, { at: new Date().toISOString(), removals: forward.removalsAccepted, runId, planId: id });
  if (forward.failure) throw forwardFailure(forward);
  log.info({ plan: planCounts(plan), planId: id, requests: forward.total }, 'guard: the import is within the limits');
  // Read back what the server accepted (a sync that sent nothing has no forward and reads nothing).
  if (outcome.ok && forward.total > 0 && forward.accepted === forward.total)
    await verifyImport(run, g, apiUrl, plan, freshToken(run, g));
  return outcome;
}

/** A refused sync: its plan kept for `approve`, its id in the log, the result and the message (docs/guard-rails.md). */
async function refuse(
  run: RunContext,
  g: GuardInputs,
  plan: Plan,
  breaches: Breach[],
  facts: { removedLastDay: number; requests: number },
): Promise<never> {
  const { instance, log, runId } = run;
  const scope = planScope(plan);
  const id = planId(scope);
  g.effort.planId = id;
  g.effort.guardRules = breaches.map((b) => b.rule);
  for (const b of breaches) log.error({ rule: b.rule, planId: id, ...b.numbers }, `guard: ${b.message}`);
  log.error(
    {
      planId: id,
      remove: plan.remove,
      endedMemberships: scope.memberships.length,
      emptiedGroups: plan.groups.emptied,
      ...facts,
    },
    'guard: what the refused sync would have removed',
  );
  const canApprove = approvable(breaches);
  if (canApprove)
    await recordRefusedPlan(instanceDir(run), {
      ...scope,
      planId: id,
      at: new Date().toISOString(),
      runId,
      rules: g.effort.guardRules,
    }).catch((err: unknown) => log.warn({ err: String(err) }, 'could not keep the refused plan for approve'));
  const how = canApprove
    ? `; to let exactly this sync through once: bwdc-runner approve ${id} --instance ${instance.name}`
    : '';
  throw new RunFailure(
    `stopped before the import (plan ${id}): ${breaches.map((b) => b.message).join('; ')}; ` +
      `nothing reached the server${how}`,
    'guard',
    false,
    false,
    id,
  );
}

/** A forward that did not wholly reach the server, said exactly (gate/forward.ts). */
function forwardFailure(f: ForwardReport): RunFailure {
  const x = f.failure!;
  const reached = `${f.accepted} of ${f.total} import request(s) reached the server and were applied`;
  if (x.unknownOutcome)
    return new RunFailure(
      `import request ${x.request} of ${f.total}: ${x.message}; its outcome is unknown (the server may still be applying it); ` +
        `${reached} before it, none after; not retried in this run: the next run plans against the organization as it then is`,
      'network',
      false,
    );
  const cls = x.status === undefined ? 'network' : x.status === 401 || x.status === 403 ? 'auth' : 'server';
  const transient = x.status === undefined || x.status >= 500 || x.status === 429;
  return new RunFailure(
    `import request ${x.request} of ${f.total} failed: ${x.message}; ${reached}, none after it`,
    cls,
    transient,
  );
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
    if (err instanceof BitwardenError) throw new RunFailure(`planning the sync: ${err.message}`, err.failureClass);
    throw err;
  }
  const env = childBaseEnv(deps.env, g.state.dir, deps.config.passEnv);
  const build = await bwdcBuild(deps.config.bwdcPath ?? 'bwdc', env);
  const plan = computePlan(report, syncSettingsOf(data), org, build);
  log.debug({ plan: planCounts(plan), build }, 'sync planned');
  return plan;
}
