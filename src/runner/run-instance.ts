// One sync (or test, or plan) run of one instance, docs/architecture.md "One run of one instance", as a
// pipeline of named steps, each in steps/<name>.ts:
//   lock -> prepare -> attempts (secrets -> token -> bwdc [plan | sync through the gate]; again while transient) -> tidy
//   -> record -> report -> tell
// Each step takes the run's context and what the step before it returned; every error becomes one
// Ending (steps/failure.ts endingOf), and the result is built once, at the end. Knows nothing of schedules.
import { randomBytes } from 'node:crypto';
import type { InstanceConfig } from '../config/model.js';
import type { RunMode, RunResult } from './result.js';
import { attemptUntilDone } from './steps/attempts.js';
import { endingOf } from './steps/failure.js';
import { lockInstance } from './steps/lock.js';
import { prepareState } from './steps/prepare.js';
import { recordLastRun, unrecordedHistory } from './steps/record.js';
import { buildResult, report } from './steps/report.js';
import { afterTidy, tidyState } from './steps/tidy.js';
import { Teller } from './tell.js';
import { pausedNow, pausedSkipMessage, quarantineIfDue, recordHistory } from './steps/control.js';
import type { Effort, Ending, Held, RunContext, RunDeps } from './types.js';

export type { History, RunDeps } from './types.js';

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
  const run: RunContext = { instance, deps, mode, runId, log, wipeType };
  const effort: Effort = { attempts: 0, bwdcCalls: 0, bwdcKilled: false };
  const tell = new Teller(instance, deps, runId, log);
  // Paused (by hand or by quarantine): skipped before anything starts, exit 75 (docs/operations.md).
  const paused = await pausedNow(run);
  if (paused) {
    const result = buildResult(
      run,
      { outcome: 'skipped', message: pausedSkipMessage(paused) },
      {
        startedAt,
        endedAt: new Date(),
        effort,
        seeded: undefined,
        restoredDataJson: false,
        lastSuccessAt: undefined,
        interrupted: false,
      },
    );
    result.paused = paused;
    await report(run, result);
    tell.forget();
    return result;
  }
  if (mode === 'sync') tell.started();

  let held: Held | undefined;
  // The one place the lock is released: whatever ends the run after the lock was taken (a result, a run that
  // never started, a step of the ending that throws), the finally below releases it, once.
  try {
    let seeded: string | undefined;
    let ending: Ending;
    try {
      held = await lockInstance(run);
      seeded = await prepareState(run, held.state);
      ending = { outcome: 'success', report: await attemptUntilDone(run, held, effort) };
    } catch (err) {
      ending = endingOf(err, instance);
    }

    const endedAt = new Date();
    let restoredDataJson = false;
    if (held) {
      const tidy = await tidyState(run, held.state, effort.bwdcKilled);
      restoredDataJson = tidy.restored;
      ending = afterTidy(ending, tidy);
    }
    if (ending.outcome === 'not-started') {
      log.info(ending.error.message);
      throw ending.error;
    }
    // A run that never held its folder (unusable, locked) records nothing but is still told (docs/scheduler.md).
    const history = held
      ? await recordLastRun(run, held.state, ending, endedAt)
      : await unrecordedHistory(run, ending, endedAt);

    const result = buildResult(run, ending, {
      startedAt,
      endedAt,
      effort,
      seeded,
      restoredDataJson,
      lastSuccessAt: history.lastSuccessAt,
      interrupted: deps.signal?.aborted ?? false,
    });
    await report(run, result);
    if (held) await recordHistory(run, result, effort);
    const quarantined = held ? await quarantineIfDue(run, result, history) : undefined;
    if (quarantined) result.paused = quarantined;
    // Telling someone never changes the outcome; bounded by the delivery timeout (notify/deliver.ts).
    if (mode === 'sync') await tell.finished(result, history, held?.state, quarantined);
    return result;
  } finally {
    tell.forget();
    await held?.lock.release();
  }
}
