// One sync (or test) run of one instance, DESIGN.md "One sync run": lock, prepare the state
// folder, resolve the secrets, drive bwdc, put things back, report. Knows nothing of schedules.
import { randomBytes } from 'node:crypto';
import { BwdcClient, childBaseEnv, type CallOutcome } from '../bwdc/client.js';
import { directoryKind, hasSession, setServer, wipeSecrets } from '../bwdc/directory.js';
import { parseSyncCounts, parseTestReport } from '../bwdc/response.js';
import type { InstanceConfig, RunnerConfig } from '../config/model.js';
import { BwdcUnusableError, ExitCode, LockedError, RunNotStartedError, SecretError, errorMessage, type ExitCodeValue, type FailureClass } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import { redactor } from '../observability/redact.js';
import type { SecretSession } from '../secrets/resolver.js';
import { InstanceState } from '../state/instance-state.js';
import type { LockHandle } from '../state/lock.js';
import type { RunMode, RunResult } from './result.js';
import { appendRunLog } from './run-log.js';
import { retryWaitMs } from './retry-policy.js';
import type { BwdcGate } from './slots.js';

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
  /** Wraps the bwdc calls of each attempt (RunSlots): preparation and tidying up stay outside it. */
  bwdcGate?: BwdcGate;
}

class RunFailure extends Error {
  constructor(
    message: string,
    readonly failureClass: FailureClass,
    readonly exitCode: ExitCodeValue = ExitCode.syncFailed,
  ) {
    super(message);
  }
}

export function newRunId(): string {
  return randomBytes(4).toString('hex');
}

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

function fail(step: string, outcome: CallOutcome): never {
  throw new RunFailure(`${step}: ${outcome.message}`, outcome.failureClass ?? 'internal');
}

export async function runInstance(instance: InstanceConfig, deps: RunDeps, mode: RunMode = 'sync'): Promise<RunResult> {
  const runId = newRunId();
  const startedAt = new Date();
  const log = deps.log.child({ instance: instance.name, runId });
  const result: RunResult = {
    instance: instance.name, runId, mode, outcome: 'success', failureClass: undefined, exitCode: ExitCode.ok,
    message: '', users: undefined, groups: undefined, test: undefined, startedAt, endedAt: startedAt,
    durationMs: 0, attempts: 0, bwdcCalls: 0, seeded: undefined, restoredDataJson: false, interrupted: false, lastSuccessAt: undefined,
  };
  log.info({ mode }, 'run started');

  let state: InstanceState | undefined;
  let lock: LockHandle | undefined;
  let notStarted: RunNotStartedError | undefined;
  // Only a secret we set is wiped from data.json afterwards; one the template carries is the user's.
  const wipeType = instance.directorySecret ? instance.dataJson.directoryType : undefined;
  try {
    try {
      state = await InstanceState.open(deps.config.stateDir, instance.name);
    } catch (err) {
      throw new RunFailure(`state folder ${deps.config.stateDir}/${instance.name} is not usable: ${(err as NodeJS.ErrnoException).code ?? errorMessage(err)} (check BWDC_STATE_DIR and that it is writable)`, 'config', ExitCode.config);
    }
    lock = await state.lock({ runId });
    if (lock.recoveredFrom) log.warn({ deadHolder: lock.recoveredFrom }, 'took over a lock left by a process that died');

    await prepareState(state, instance, wipeType, log, result);

    let previous: RunFailure | undefined;
    for (let attempt = 1; ; attempt++) {
      result.attempts = attempt;
      try {
        const secrets = await resolveSecrets(instance, deps);
        const bwdcWork = () => attemptRun(instance, state!, deps, secrets, mode, log, result, wipeType);
        await (deps.bwdcGate ? deps.bwdcGate(bwdcWork) : bwdcWork());
        break;
      } catch (err) {
        // Stopping before a retry: the run did reach bwdc, so the failure it had stands.
        if (err instanceof RunNotStartedError && previous) {
          result.attempts = attempt - 1;
          throw previous;
        }
        if (!(err instanceof RunFailure) || deps.signal?.aborted) throw err;
        previous = err;
        const wait = retryWaitMs(err.failureClass, attempt, instance.retry);
        if (wait === undefined) throw err;
        log.warn({ attempt, failureClass: err.failureClass, retryInMs: wait, err: err.message }, 'transient failure, will retry');
        deps.onRetry?.(instance.name, attempt, err.failureClass);
        await (deps.sleep ?? abortableSleep)(wait, deps.signal);
        if (deps.signal?.aborted) throw err;
        // A killed bwdc leaves its lock and maybe a session behind: clean up before the next attempt.
        await state.clearBwdcLock();
        await state.restoreIfBroken();
        await state.update((d) => wipeSecrets(d, wipeType));
      }
    }
  } catch (err) {
    result.outcome = 'failure';
    if (err instanceof RunNotStartedError) {
      notStarted = err;
    } else if (err instanceof LockedError) {
      result.outcome = 'skipped';
      result.exitCode = ExitCode.locked;
      result.message = `skipped: instance ${instance.name} is ${err.message}`;
    } else if (err instanceof RunFailure) {
      result.failureClass = err.failureClass;
      result.exitCode = err.exitCode;
      result.message = err.message;
    } else if (err instanceof SecretError) {
      result.failureClass = 'secret';
      result.exitCode = ExitCode.secret;
      result.message = err.message;
    } else if (err instanceof BwdcUnusableError) {
      result.failureClass = 'internal';
      result.exitCode = ExitCode.bwdcUnusable;
      result.message = err.message;
    } else {
      const code = (err as NodeJS.ErrnoException).code;
      result.failureClass = code === 'ENOSPC' || code === 'EROFS' || code === 'EACCES' ? 'config' : 'internal';
      result.exitCode = ExitCode.syncFailed;
      result.message = `internal error: ${errorMessage(err)}`;
    }
  } finally {
    result.endedAt = new Date();
    if (state && lock) {
      await finishState(state, wipeType, log, result);
      if (!notStarted) await recordLastRun(state, result, log);
      await lock.release();
    }
  }
  if (notStarted) {
    log.info(notStarted.message);
    throw notStarted;
  }

  result.interrupted = deps.signal?.aborted ?? false;
  result.durationMs = result.endedAt.getTime() - startedAt.getTime();
  result.message = redactor.scrub(result.message);
  const fields = {
    outcome: result.outcome, failureClass: result.failureClass, durationMs: result.durationMs, users: result.users,
    groups: result.groups, attempts: result.attempts, bwdcCalls: result.bwdcCalls, restoredDataJson: result.restoredDataJson || undefined,
  };
  if (result.outcome === 'success') log.info(fields, result.message);
  else if (result.outcome === 'skipped') log.warn(fields, result.message);
  else log.error(fields, `run failed: ${result.message}`);
  if (instance.logFile) await appendRunLog(instance.logFile, result).catch((err) => log.warn({ err: errorMessage(err) }, 'could not append to the log file'));
  return result;
}

async function prepareState(state: InstanceState, instance: InstanceConfig, wipeType: number | undefined, log: Logger, result: RunResult): Promise<void> {
  await state.clearBwdcLock();
  const { seeded } = await state.seed(instance.dataJson.text, instance.dataJson.hash);
  result.seeded = seeded;
  if (seeded) log.info({ reason: seeded, template: instance.dataJson.origin }, 'data.json seeded from the template');
  else log.debug('data.json kept: bwdc state from earlier runs preserved');
  // Leftovers of a run that was killed (a session, a directory secret) never outlive it.
  await state.update((data) => {
    let changed = wipeSecrets(data, wipeType);
    if (instance.server !== undefined) changed = setServer(data, instance.server) || changed;
    return changed;
  });
  await state.backup();
}

interface RunSecrets {
  clientSecret: string;
  directorySecret: string | undefined;
}

// Outside the bwdc gate: a slow Vault or AWS answer does not hold a bwdc slot.
async function resolveSecrets(instance: InstanceConfig, deps: RunDeps): Promise<RunSecrets> {
  const where = instance.origin;
  const clientSecret = await deps.secrets.resolve(instance.clientSecret, `${where} clientSecret`);
  const directorySecret = instance.directorySecret ? await deps.secrets.resolve(instance.directorySecret, `${where} directorySecret`) : undefined;
  return { clientSecret, directorySecret };
}

async function attemptRun(instance: InstanceConfig, state: InstanceState, deps: RunDeps, { clientSecret, directorySecret }: RunSecrets, mode: RunMode, log: Logger, result: RunResult, wipeType: number | undefined): Promise<void> {
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
    // No logout first: the state was wiped in preparation, so there is no session to end.
    let login = await bwdc.login(instance.clientId, clientSecret);
    if (!login.ok && /already logged in/i.test(login.message)) {
      log.warn('bwdc still had a session; ending it and logging in again');
      await state.update((d) => wipeSecrets(d, undefined));
      login = await bwdc.login(instance.clientId, clientSecret);
    }
    if (!login.ok) fail('login', login);
    log.debug('logged in');

    if (directorySecret !== undefined) {
      const kind = directoryKind(wipeType);
      if (!kind) throw new RunFailure(`data.json directoryType ${wipeType} has no secret setting`, 'config');
      const set = await bwdc.setDirectorySecret(kind.setting, directorySecret);
      if (!set.ok) fail(`config ${kind.setting}`, set);
      log.debug({ setting: kind.setting }, 'directory secret set');
    }

    const run = mode === 'sync' ? await bwdc.sync() : await bwdc.test();
    if (!run.ok) fail(mode, run);
    if (mode === 'sync') {
      const counts = parseSyncCounts(run.message);
      result.users = counts?.users;
      result.groups = counts?.groups;
      result.message = run.message || 'sync complete';
    } else {
      const report = parseTestReport(run.response?.data);
      result.test = report;
      result.users = report?.enabledUsers.length;
      result.groups = report?.groups.length;
      result.message = report
        ? `test: would sync ${report.groups.length} group(s), ${report.enabledUsers.length} enabled, ${report.disabledUsers.length} disabled and ${report.deletedUsers.length} deleted user(s)`
        : 'test complete';
    }
  } finally {
    result.bwdcCalls += bwdc.calls;
  }
}

async function recordLastRun(state: InstanceState, result: RunResult, log: Logger): Promise<void> {
  const previous = await state.readLastRun();
  if (result.outcome === 'success') result.lastSuccessAt = result.endedAt;
  else if (previous?.lastSuccessAt) result.lastSuccessAt = new Date(previous.lastSuccessAt);
  await state
    .writeLastRun({ runId: result.runId, outcome: result.outcome, failureClass: result.failureClass, endedAt: result.endedAt.toISOString(), lastSuccessAt: result.lastSuccessAt?.toISOString() })
    .catch((err) => log.warn({ err: errorMessage(err) }, 'could not record the run in the state folder'));
}

async function finishState(state: InstanceState, wipeType: number | undefined, log: Logger, result: RunResult): Promise<void> {
  try {
    await state.clearBwdcLock();
    const status = await state.restoreIfBroken();
    if (status.restored) {
      result.restoredDataJson = true;
      log.error({ why: !status.ok ? status.why : undefined }, 'bwdc left data.json unusable; restored it from the backup');
      if (result.outcome === 'success') {
        result.outcome = 'failure';
        result.failureClass = 'internal';
        result.exitCode = ExitCode.syncFailed;
      }
      result.message = `${result.message ? `${result.message}; ` : ''}bwdc left data.json ${!status.ok ? status.why : 'broken'}; restored from the backup`;
    }
    // Logging out is removing the session from data.json (all `bwdc logout` does), done here
    // without paying for another bwdc start; the directory secret goes too.
    await state.update((d) => wipeSecrets(d, wipeType));
  } catch (err) {
    log.error({ err: errorMessage(err) }, 'could not tidy the state folder after the run');
    if (result.outcome === 'success') {
      result.outcome = 'failure';
      result.failureClass = 'internal';
      result.exitCode = ExitCode.syncFailed;
      result.message = `could not tidy the state folder: ${errorMessage(err)}`;
    }
  }
}
