// One sync (or test) run of one instance, docs/architecture.md "One run of one instance", as a pipeline of
// named steps:
//   lock -> prepare -> attempts (resolve secrets -> drive bwdc; again while transient) -> tidy -> record -> report
// Each step returns what the next needs; every error becomes one Ending (endingOf), and the result is
// built once, at the end. Knows nothing of schedules.
import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleepFor } from 'node:timers/promises';
import { BwdcClient, childBaseEnv, type CallOutcome } from '../bwdc/client.js';
import { directoryKind, setServer, storedSecurelyPlaceholder, wipeSecrets, writeSession } from '../bwdc/directory.js';
import { secretAsStored } from '../directory/types.js';
import { bundledVersion, resolveBwdcPath } from '../bwdc/locate.js';
import { identityUrlOf, type OrgToken } from '../bitwarden/identity.js';
import { BitwardenError } from '../bitwarden/request-error.js';
import { TokenCache } from '../bitwarden/token-cache.js';
import { PublicApi, apiUrlOf } from '../bitwarden/public-api.js';
import { computePlan, planCounts, type Plan, type SyncSettings } from '../plan/compute.js';
import { canRemove, judge } from '../plan/guard.js';
import { parseSyncCounts, parseTestReport, type TestReport } from '../bwdc/response.js';
import type { InstanceConfig, RunnerConfig } from '../config/model.js';
import {
  BwdcUnusableError,
  ExitCode,
  LockedError,
  RunNotStartedError,
  SecretError,
  errorMessage,
  type ExitCodeValue,
  type FailureClass,
} from '../errors.js';
import type { Logger } from '../observability/logger.js';
import { redactor } from '../observability/redact.js';
import type { SecretSession } from '../secrets/resolver.js';
import { InstanceState, type LastRun } from '../state/instance-state.js';
import type { LockHandle } from '../state/lock.js';
import type { Outcome, RunMode, RunResult } from './result.js';
import { appendRunLog } from './run-log.js';
import { Teller } from './tell.js';
import { isTransient, retryWaitMs } from './retry-policy.js';
import type { Gate } from '../shared/slots.js';
import { sectionOf } from '../shared/json.js';

export interface RunDeps {
  config: Pick<RunnerConfig, 'stateDir' | 'bwdcPath' | 'passEnv' | 'bwdcNice'>;
  env: Readonly<Record<string, string | undefined>>;
  secrets: SecretSession;
  log: Logger;
  /** Aborted on shutdown: the running bwdc is stopped, no retry starts. */
  signal?: AbortSignal;
  /** Between SIGTERM and SIGKILL when a bwdc call is stopped. */
  killGraceMs?: number;
  /** Injected for tests: how to wait between attempts. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Called before each retry, for metrics. */
  onRetry?: (instance: string, attempt: number, failureClass: FailureClass) => void;
  /** Wraps the bwdc calls of each attempt: preparation and tidying up stay outside it. */
  bwdcGate?: Gate;
  /** Organization tokens shared by the runs of this process (default: one cache per process). */
  tokens?: TokenCache;
  /** run --allow-removals N: this once, up to N removals pass the guard rails. */
  allowRemovals?: number;
  /** Per attempt of a notification or heartbeat delivery (BWDC_NOTIFY_TIMEOUT). */
  notifyTimeoutMs?: number;
  /** Called with every notification and heartbeat delivery (metrics): the target's label, delivered or not. */
  onNotified?: (target: string, ok: boolean) => void;
}

/** The process's organization tokens, in memory only (TokenCache). */
const processTokens = new TokenCache();

/** A failed step: its class, the exit code it maps to, and whether another attempt may help. */
class RunFailure extends Error {
  constructor(
    message: string,
    readonly failureClass: FailureClass,
    readonly exitCode: ExitCodeValue = ExitCode.syncFailed,
    readonly transient = isTransient(failureClass),
    /** bwdc was stopped by shutdown: the sync did not fail, it was interrupted. */
    readonly interrupted = false,
  ) {
    super(message);
  }
}

/** What bwdc reported for a run that got through. */
interface Report {
  message: string;
  users: number | undefined;
  groups: number | undefined;
  test: TestReport | undefined;
}

/** How a run ended, before tidying up may still turn a success into a failure. */
type Ending =
  | { outcome: 'success'; report: Report }
  | { outcome: 'failure'; failureClass: FailureClass; transient: boolean; exitCode: ExitCodeValue; message: string }
  | { outcome: 'skipped' | 'interrupted'; message: string }
  | { outcome: 'not-started'; error: RunNotStartedError };

/** Counted across attempts. */
interface Effort {
  attempts: number;
  bwdcCalls: number;
  /** A bwdc this run started was killed, so its data.json lock may be left behind. */
  bwdcKilled: boolean;
  /** The plan of this run (`plan`, or a guarded sync), kept when the guard stops the run. */
  plan?: Plan;
  guardRules?: string[];
}

export function newRunId(): string {
  return randomBytes(4).toString('hex');
}

export async function runInstance(instance: InstanceConfig, deps: RunDeps, mode: RunMode = 'sync'): Promise<RunResult> {
  const runId = newRunId();
  const startedAt = new Date();
  const log = deps.log.child({ instance: instance.name, runId });
  log.info({ mode }, 'run started');
  // Only a secret we set is wiped from data.json afterwards; one the template carries is the user's.
  const wipeType = instance.directorySecret ? instance.dataJson.directoryType : undefined;
  const effort: Effort = { attempts: 0, bwdcCalls: 0, bwdcKilled: false };
  const tell = new Teller(instance, deps, runId, log);
  if (mode === 'sync') tell.started();

  let held: { state: InstanceState; lock: LockHandle } | undefined;
  let seeded: string | undefined;
  let ending: Ending;
  try {
    held = await lockInstance(instance, deps, runId, log);
    seeded = await prepareState(held.state, instance, wipeType, log);
    ending = {
      outcome: 'success',
      report: await attemptUntilDone(instance, held.state, deps, mode, wipeType, log, effort),
    };
  } catch (err) {
    ending = endingOf(err, instance);
  }

  const endedAt = new Date();
  let restoredDataJson = false;
  let history: History | undefined;
  if (held) {
    const tidy = await tidyState(held.state, wipeType, effort.bwdcKilled, log);
    restoredDataJson = tidy.restored;
    ending = afterTidy(ending, tidy);
    if (ending.outcome !== 'not-started')
      history = await recordLastRun(held.state, runId, mode, ending.outcome, ending, endedAt, log);
  }
  if (ending.outcome === 'not-started') {
    await held?.lock.release();
    log.info(ending.error.message);
    throw ending.error;
  }

  const result = buildResult(instance, runId, mode, ending, {
    startedAt,
    endedAt,
    effort,
    seeded,
    restoredDataJson,
    lastSuccessAt: history?.lastSuccessAt,
    interrupted: deps.signal?.aborted ?? false,
  });
  await report(result, instance, log);
  // Telling someone never changes the outcome; bounded by the delivery timeout (notify/deliver.ts).
  if (mode === 'sync' && history && held) await tell.finished(result, history, held.state);
  await held?.lock.release();
  return result;
}

// ---- lock ---------------------------------------------------------------------------------------

async function lockInstance(
  instance: InstanceConfig,
  deps: RunDeps,
  runId: string,
  log: Logger,
): Promise<{ state: InstanceState; lock: LockHandle }> {
  let state: InstanceState;
  try {
    state = await InstanceState.open(deps.config.stateDir, instance.name);
  } catch (err) {
    throw new RunFailure(
      `state folder ${deps.config.stateDir}/${instance.name} is not usable: ` +
        `${(err as NodeJS.ErrnoException).code ?? errorMessage(err)} (check BWDC_STATE_DIR and that it is writable)`,
      'config',
      ExitCode.config,
    );
  }
  const lock = await state.lock({ runId });
  if (lock.recoveredFrom) log.warn({ deadHolder: lock.recoveredFrom }, 'took over a lock left by a process that died');
  return { state, lock };
}

// ---- prepare ------------------------------------------------------------------------------------

/** Seeds data.json from the template when needed, removes what a killed run left, backs it up. */
async function prepareState(
  state: InstanceState,
  instance: InstanceConfig,
  wipeType: number | undefined,
  log: Logger,
): Promise<string | undefined> {
  if (await state.clearBwdcLock()) log.warn('removed a stale bwdc data.json lock left by a bwdc that was killed');
  const { seeded } = await state.seed(instance.dataJson.text, instance.dataJson.hash);
  if (seeded) log.info({ reason: seeded, template: instance.dataJson.origin }, 'data.json seeded from the template');
  else log.debug('data.json kept: bwdc state from earlier runs preserved');
  // Leftovers of a run that was killed (a session, a directory secret) never outlive it.
  await state.update((data) => {
    let changed = wipeSecrets(data, wipeType);
    if (instance.server !== undefined) changed = setServer(data, instance.server) || changed;
    return changed;
  });
  await state.backup();
  return seeded;
}

// ---- attempts: resolve secrets, drive bwdc, again while the failure is transient -----------------

async function attemptUntilDone(
  instance: InstanceConfig,
  state: InstanceState,
  deps: RunDeps,
  mode: RunMode,
  wipeType: number | undefined,
  log: Logger,
  effort: Effort,
): Promise<Report> {
  let previous: RunFailure | undefined;
  for (let attempt = 1; ; attempt++) {
    effort.attempts = attempt;
    try {
      const secrets = await resolveSecrets(instance, deps, wipeType);
      // Outside the bwdc gate too: an identity request does not hold a bwdc slot.
      const token =
        instance.login === 'runner' ? await obtainToken(instance, state, deps, secrets.clientSecret) : undefined;
      const drive = () => driveBwdc(instance, state, deps, secrets, token, mode, wipeType, log, effort);
      return await (deps.bwdcGate ? deps.bwdcGate(drive) : drive());
    } catch (err) {
      // Stopping before a retry: the run did reach bwdc, so the failure it had stands.
      if (err instanceof RunNotStartedError && previous) {
        effort.attempts = attempt - 1;
        throw previous;
      }
      if (!(err instanceof RunFailure) || deps.signal?.aborted) throw err;
      previous = err;
      const wait = retryWaitMs(err.failureClass, attempt, instance.retry, Math.random, err.transient);
      if (wait === undefined) throw err;
      log.warn(
        { attempt, failureClass: err.failureClass, retryInMs: wait, err: err.message },
        'transient failure, will retry',
      );
      deps.onRetry?.(instance.name, attempt, err.failureClass);
      await (deps.sleep ?? sleepUnlessAborted)(wait, deps.signal);
      if (deps.signal?.aborted) throw err;
      // A killed bwdc leaves its lock and maybe a session behind: clean up before the next attempt.
      await state.clearBwdcLock({ ours: effort.bwdcKilled });
      await state.restoreIfBroken();
      await state.update((d) => wipeSecrets(d, wipeType));
    }
  }
}

function sleepUnlessAborted(ms: number, signal?: AbortSignal): Promise<void> {
  return sleepFor(ms, undefined, { signal }).catch(() => undefined);
}

/** The bound of one request of the runner's own to Bitwarden: a minute, or the instance's timeout if shorter. */
function bitwardenTimeoutMs(instance: InstanceConfig): number {
  return Math.min(instance.timeoutMs, 60_000);
}

/** The organization token and the device id it was requested with (data.json's appId). */
type SessionToken = OrgToken & { appId: string };

interface RunSecrets {
  clientSecret: string;
  directorySecret: string | undefined;
}

// Outside the bwdc gate: a slow Vault or AWS answer does not hold a bwdc slot.
// Checked before anything is sent anywhere: a value bwdc cannot use never reaches the identity server.
async function resolveSecrets(
  instance: InstanceConfig,
  deps: RunDeps,
  wipeType: number | undefined,
): Promise<RunSecrets> {
  const where = instance.origin;
  try {
    const clientSecret = await deps.secrets.resolve(instance.clientSecret, `${where} clientSecret`);
    const resolved = instance.directorySecret
      ? await deps.secrets.resolve(instance.directorySecret, `${where} directorySecret`)
      : undefined;
    const kind = directoryKind(wipeType);
    if (resolved !== undefined && !kind)
      throw new RunFailure(`data.json directoryType ${wipeType} has no secret setting`, 'config', ExitCode.config);
    const directorySecret = resolved !== undefined && kind ? secretAsStored(kind, resolved) : resolved;
    if (directorySecret !== resolved) redactor.add(directorySecret); // the form bwdc holds is masked too
    if (directorySecret === storedSecurelyPlaceholder) {
      throw new RunFailure(
        // Not quoted: it is the resolved value, which the redactor masks.
        `${where} directorySecret: the value is the placeholder a desktop export writes in place ` +
          `of the secret (STORED SECURELY, in brackets): point the reference at the real secret`,
        'config',
        ExitCode.config,
      );
    }
    return { clientSecret, directorySecret };
  } catch (err) {
    // A backend's passing trouble (Vault sealed, 5xx, throttling) is worth another attempt of the run.
    if (err instanceof SecretError) throw new RunFailure(err.message, 'secret', ExitCode.secret, err.retryable);
    throw err;
  }
}

/**
 * The organization token, as `bwdc login` would get it, from the identity URL bwdc would use; shared
 * with other runs of the same API key while it has more than 5 minutes left (TokenCache).
 */
async function obtainToken(
  instance: InstanceConfig,
  state: InstanceState,
  deps: RunDeps,
  clientSecret: string,
): Promise<SessionToken> {
  const status = await state.readDataJson();
  const data = status.ok ? status.data : {};
  // bwdc makes one at its first start and sends it as the device identifier; written with the session.
  const appId = typeof data.appId === 'string' && data.appId ? data.appId : randomUUID();
  const bwdcPath = resolveBwdcPath(deps.config.bwdcPath, deps.env);
  try {
    const token = await (deps.tokens ?? processTokens).get({
      identityUrl: identityUrlOf(data),
      clientId: instance.clientId,
      clientSecret,
      deviceIdentifier: appId,
      clientVersion: (bwdcPath && bundledVersion(bwdcPath)) || 'unknown',
      timeoutMs: bitwardenTimeoutMs(instance),
      signal: deps.signal,
    });
    return { ...token, appId };
  } catch (err) {
    if (err instanceof BitwardenError) throw new RunFailure(err.message, err.failure);
    throw err;
  }
}

function fail(step: string, outcome: CallOutcome): never {
  const cls = outcome.failureClass ?? 'internal';
  throw new RunFailure(`${step}: ${outcome.message}`, cls, ExitCode.syncFailed, isTransient(cls), outcome.interrupted);
}

async function driveBwdc(
  instance: InstanceConfig,
  state: InstanceState,
  deps: RunDeps,
  { clientSecret, directorySecret }: RunSecrets,
  token: SessionToken | undefined,
  mode: RunMode,
  wipeType: number | undefined,
  log: Logger,
  effort: Effort,
): Promise<Report> {
  const bwdc = new BwdcClient({
    path: deps.config.bwdcPath ?? 'bwdc',
    baseEnv: childBaseEnv(deps.env, state.dir, deps.config.passEnv),
    timeoutMs: instance.timeoutMs,
    killGraceMs: deps.killGraceMs ?? 5000,
    nice: deps.config.bwdcNice,
    signal: deps.signal,
    log,
  });
  try {
    const kind = directorySecret !== undefined ? directoryKind(wipeType) : undefined;
    if (token) {
      // One bwdc start: what `bwdc login` and `bwdc config <secret>` would write goes into data.json here,
      // in one write (with the device id the identity request used, when this run made it).
      const directory = kind && directorySecret !== undefined ? { kind, value: directorySecret } : undefined;
      await state.update((d) => {
        if (typeof d.appId !== 'string' || !d.appId) d.appId = token.appId;
        return writeSession(d, {
          accessToken: token.accessToken,
          clientId: instance.clientId,
          clientSecret,
          directory,
        });
      });
      log.debug({ login: 'runner' }, 'session and directory secret written to data.json');
    } else {
      // The fallback (login: bwdc). No logout first: the state was wiped in preparation.
      let login = await bwdc.login(instance.clientId, clientSecret);
      if (!login.ok && /already logged in/i.test(login.message)) {
        log.warn('bwdc still had a session; ending it and logging in again');
        await state.update((d) => wipeSecrets(d, undefined));
        login = await bwdc.login(instance.clientId, clientSecret);
      }
      if (!login.ok) fail('login', login);
      log.debug('logged in');
      if (kind && directorySecret !== undefined) {
        const set = await bwdc.setDirectorySecret(kind.setting, directorySecret);
        if (!set.ok) fail(`config ${kind.setting}`, set);
        log.debug({ setting: kind.setting }, 'directory secret set');
      }
    }

    if (mode === 'plan' || (mode === 'sync' && guarded(instance))) {
      const plan = await planSync(instance, state, deps, bwdc, token, log);
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
    }

    const run = mode === 'sync' ? await bwdc.sync() : await bwdc.test();
    if (!run.ok) fail(mode, run);
    if (mode === 'sync') {
      const counts = parseSyncCounts(run.message);
      return { message: run.message || 'sync complete', users: counts?.users, groups: counts?.groups, test: undefined };
    }
    const test = parseTestReport(run.response?.data);
    return {
      message: test
        ? `test: would sync ${test.groups.length} group(s), ${test.enabledUsers.length} enabled, ` +
          `${test.disabledUsers.length} disabled and ${test.deletedUsers.length} deleted user(s)`
        : 'test complete',
      users: test?.enabledUsers.length,
      groups: test?.groups.length,
      test,
    };
  } finally {
    effort.bwdcCalls += bwdc.calls;
    effort.bwdcKilled ||= bwdc.killed;
  }
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
  instance: InstanceConfig,
  state: InstanceState,
  deps: RunDeps,
  bwdc: BwdcClient,
  token: SessionToken | undefined,
  log: Logger,
): Promise<Plan> {
  const test = await bwdc.test();
  if (!test.ok) fail('test (planning the sync)', test);
  const report = parseTestReport(test.response?.data);
  if (!report) throw new RunFailure('test (planning the sync): bwdc printed no test report', 'internal');
  const status = await state.readDataJson();
  const data = status.ok ? status.data : {};
  const accessToken = token?.accessToken ?? (typeof data.accessToken === 'string' ? data.accessToken : undefined);
  if (!accessToken)
    throw new RunFailure('planning the sync: no organization token to read the organization with', 'auth');
  const api = new PublicApi({
    apiUrl: apiUrlOf(data),
    accessToken,
    timeoutMs: bitwardenTimeoutMs(instance),
    signal: deps.signal,
  });
  let org;
  try {
    org = await api.organization();
  } catch (err) {
    if (err instanceof BitwardenError) throw new RunFailure(`planning the sync: ${err.message}`, err.failure);
    throw err;
  }
  const plan = computePlan(report, syncSettingsOf(data), org);
  log.debug({ plan: planCounts(plan), apiRequests: api.requests }, 'sync planned');
  return plan;
}

/** Every way a run can stop early, as one Ending: the only place errors become outcomes. */
function endingOf(err: unknown, instance: InstanceConfig): Ending {
  if (err instanceof RunNotStartedError) return { outcome: 'not-started', error: err };
  if (err instanceof LockedError)
    return { outcome: 'skipped', message: `skipped: instance ${instance.name} is ${err.message}` };
  if (err instanceof RunFailure) {
    if (err.interrupted) return { outcome: 'interrupted', message: `interrupted by shutdown: ${err.message}` };
    return {
      outcome: 'failure',
      failureClass: err.failureClass,
      transient: err.transient,
      exitCode: err.exitCode,
      message: err.message,
    };
  }
  if (err instanceof SecretError)
    return {
      outcome: 'failure',
      failureClass: 'secret',
      transient: err.retryable,
      exitCode: ExitCode.secret,
      message: err.message,
    };
  if (err instanceof BwdcUnusableError)
    return {
      outcome: 'failure',
      failureClass: 'internal',
      transient: false,
      exitCode: ExitCode.bwdcUnusable,
      message: err.message,
    };
  const code = (err as NodeJS.ErrnoException).code;
  const failureClass = code === 'ENOSPC' || code === 'EROFS' || code === 'EACCES' ? 'config' : 'internal';
  return {
    outcome: 'failure',
    failureClass,
    transient: false,
    exitCode: ExitCode.syncFailed,
    message: `internal error: ${errorMessage(err)}`,
  };
}

// ---- tidy ---------------------------------------------------------------------------------------

interface Tidy {
  /** bwdc left data.json empty or unparsable and the backup was put back: why. */
  restored: boolean;
  brokenWhy: string | undefined;
  /** The state folder could not be tidied. */
  error: string | undefined;
}

async function tidyState(
  state: InstanceState,
  wipeType: number | undefined,
  bwdcKilled: boolean,
  log: Logger,
): Promise<Tidy> {
  try {
    await state.clearBwdcLock({ ours: bwdcKilled });
    const status = await state.restoreIfBroken();
    const brokenWhy = !status.ok ? status.why : undefined;
    if (status.restored) log.error({ why: brokenWhy }, 'bwdc left data.json unusable; restored it from the backup');
    // Logging out is removing the session from data.json (all `bwdc logout` does), done here
    // without paying for another bwdc start; the directory secret goes too.
    await state.update((d) => wipeSecrets(d, wipeType));
    return { restored: status.restored, brokenWhy, error: undefined };
  } catch (err) {
    log.error({ err: errorMessage(err) }, 'could not tidy the state folder after the run');
    return { restored: false, brokenWhy: undefined, error: errorMessage(err) };
  }
}

/** A run whose tidying found a broken data.json, or could not tidy, did not succeed. */
function afterTidy(ending: Ending, tidy: Tidy): Ending {
  if (tidy.restored) {
    const said = ending.outcome === 'success' ? ending.report.message : 'message' in ending ? ending.message : '';
    const message = `${said ? `${said}; ` : ''}bwdc left data.json ${tidy.brokenWhy ?? 'broken'}; restored from the backup`;
    if (ending.outcome === 'success')
      return { outcome: 'failure', failureClass: 'internal', transient: false, exitCode: ExitCode.syncFailed, message };
    if (ending.outcome === 'not-started') return ending;
    return { ...ending, message };
  }
  if (tidy.error && ending.outcome === 'success') {
    return {
      outcome: 'failure',
      failureClass: 'internal',
      transient: false,
      exitCode: ExitCode.syncFailed,
      message: `could not tidy the state folder: ${tidy.error}`,
    };
  }
  return ending;
}

// ---- record -------------------------------------------------------------------------------------

/** What the state folder remembers of the runs before this one, updated with this one. */
export interface History {
  lastSuccessAt: Date | undefined;
  consecutiveFailures: number;
  /** Targets that sent a failure notice since the last success. */
  notified: string[];
  record: LastRun | undefined;
}

/**
 * last-run.json, so a new process (a CronJob's next pod, a restarted scheduler) knows the last
 * success. Only syncs count: a dry run (`test`) records nothing and never counts as a success.
 */
async function recordLastRun(
  state: InstanceState,
  runId: string,
  mode: RunMode,
  outcome: Outcome,
  ending: Ending,
  endedAt: Date,
  log: Logger,
): Promise<History> {
  const previous = await state.readLastRun();
  const earlier = previous?.lastSuccessAt ? new Date(previous.lastSuccessAt) : undefined;
  const before = previous?.consecutiveFailures ?? 0;
  if (mode !== 'sync')
    return {
      lastSuccessAt: earlier,
      consecutiveFailures: before,
      notified: previous?.notified ?? [],
      record: undefined,
    };
  const lastSuccessAt = outcome === 'success' ? endedAt : earlier;
  const failureClass = ending.outcome === 'failure' ? ending.failureClass : undefined;
  // Skipped and interrupted runs neither count as failures nor end a series of them.
  const consecutiveFailures = outcome === 'failure' ? before + 1 : outcome === 'success' ? 0 : before;
  const record: LastRun = {
    runId,
    outcome,
    failureClass,
    endedAt: endedAt.toISOString(),
    lastSuccessAt: lastSuccessAt?.toISOString(),
    consecutiveFailures,
    notified: previous?.notified ?? [],
  };
  await state
    .writeLastRun(record)
    .catch((err) => log.warn({ err: errorMessage(err) }, 'could not record the run in the state folder'));
  return { lastSuccessAt, consecutiveFailures, notified: record.notified!, record };
}

// ---- report -------------------------------------------------------------------------------------

function buildResult(
  instance: InstanceConfig,
  runId: string,
  mode: RunMode,
  ending: Exclude<Ending, { outcome: 'not-started' }>,
  run: {
    startedAt: Date;
    endedAt: Date;
    effort: Effort;
    seeded: string | undefined;
    restoredDataJson: boolean;
    lastSuccessAt: Date | undefined;
    interrupted: boolean;
  },
): RunResult {
  const report = ending.outcome === 'success' ? ending.report : undefined;
  const failed = ending.outcome === 'failure' ? ending : undefined;
  const exitCode: ExitCodeValue = failed
    ? failed.exitCode
    : ending.outcome === 'skipped'
      ? ExitCode.locked
      : ending.outcome === 'interrupted'
        ? ExitCode.sigterm
        : ExitCode.ok;
  return {
    instance: instance.name,
    runId,
    mode,
    outcome: ending.outcome,
    failureClass: failed?.failureClass,
    transient: failed?.transient ?? false,
    exitCode,
    message: redactor.scrub(report ? report.message : ending.outcome === 'success' ? '' : ending.message),
    users: report?.users,
    groups: report?.groups,
    test: report?.test,
    plan: run.effort.plan,
    guardRules: run.effort.guardRules,
    startedAt: run.startedAt,
    endedAt: run.endedAt,
    durationMs: run.endedAt.getTime() - run.startedAt.getTime(),
    attempts: run.effort.attempts,
    bwdcCalls: run.effort.bwdcCalls,
    seeded: run.seeded,
    restoredDataJson: run.restoredDataJson,
    interrupted: run.interrupted,
    lastSuccessAt: run.lastSuccessAt,
  };
}

async function report(result: RunResult, instance: InstanceConfig, log: Logger): Promise<void> {
  const fields = {
    outcome: result.outcome,
    failureClass: result.failureClass,
    durationMs: result.durationMs,
    users: result.users,
    groups: result.groups,
    attempts: result.attempts,
    bwdcCalls: result.bwdcCalls,
    restoredDataJson: result.restoredDataJson || undefined,
  };
  if (result.outcome === 'success') log.info(fields, result.message);
  else if (result.outcome === 'skipped' || result.outcome === 'interrupted') log.warn(fields, result.message);
  else log.error(fields, `run failed: ${result.message}`);
  if (instance.logFile)
    await appendRunLog(instance.logFile, result).catch((err) =>
      log.warn({ err: errorMessage(err) }, 'could not append to the log file'),
    );
}
