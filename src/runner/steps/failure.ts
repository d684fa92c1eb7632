// How a step says it failed (RunFailure), and the one place where any error becomes the run's Ending.
import type { CallOutcome } from '../../bwdc/client.js';
import type { InstanceConfig } from '../../config/model.js';
import {
  BwdcUnusableError,
  ConfigError,
  LockedError,
  RunNotStartedError,
  SecretError,
  errorMessage,
  exitCodeOf,
  failureClassOf,
  type FailureClass,
} from '../../errors.js';
import { isTransient } from '../retry-policy.js';
import type { Ending } from '../types.js';

/** A failed step: its class (which decides the exit code, exitCodeOf), and whether another attempt may help. */
export class RunFailure extends Error {
  constructor(
    message: string,
    readonly failureClass: FailureClass,
    readonly transient = isTransient(failureClass),
    /** bwdc was stopped by shutdown: the sync did not fail, it was interrupted. */
    readonly interrupted = false,
    /** A sync the guard refused: its plan's id (plan/plan-id.ts). */
    readonly planId?: string,
  ) {
    super(message);
  }
}

/** A bwdc call that did not succeed, as the step's failure. */
export function fail(step: string, outcome: CallOutcome): never {
  const cls = outcome.failureClass ?? 'internal';
  throw new RunFailure(`${step}: ${outcome.message}`, cls, isTransient(cls), outcome.interrupted);
}

/** Every way a run can stop early, as one Ending: the only place errors become outcomes. */
export function endingOf(err: unknown, instance: InstanceConfig): Ending {
  if (err instanceof RunNotStartedError) return { outcome: 'not-started', error: err };
  if (err instanceof LockedError)
    return { outcome: 'skipped', message: `skipped: instance ${instance.name} is ${err.message}` };
  if (err instanceof RunFailure) {
    if (err.interrupted) return { outcome: 'interrupted', message: `interrupted by shutdown: ${err.message}` };
    return { ...failed(err, err.transient, err.message), planId: err.planId };
  }
  if (err instanceof ConfigError || err instanceof BwdcUnusableError) return failed(err, false, err.message);
  if (err instanceof SecretError) return failed(err, err.transient, err.message);
  return failed(err, false, `internal error: ${errorMessage(err)}`);
}

/** The ending of a failure: its class and exit code from errors.ts, the one mapping. */
function failed(err: unknown, transient: boolean, message: string): Extract<Ending, { outcome: 'failure' }> {
  return { outcome: 'failure', failureClass: failureClassOf(err), transient, exitCode: exitCodeOf(err), message };
}
