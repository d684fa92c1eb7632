// One answer to "try again, and when?" for both places that retry a run: runInstance (one-shot
// `run`, waiting in place) and the scheduler (a new attempt that waits without a concurrency slot).
import { transientClasses, type FailureClass } from '../errors.js';
import type { RetryPolicy } from '../config/model.js';
import { backoffMs } from '../shared/backoff.js';

/** Whether a failure is worth another attempt: its class is transient, or its cause said so. */
export function isTransient(failureClass: FailureClass | undefined, transient = false): boolean {
  return transient || (failureClass !== undefined && transientClasses.has(failureClass));
}

/**
 * How long to wait before the next attempt after `attempt` failed, or undefined: do not retry.
 * `transient`: the cause itself said it may pass (a secret backend's 5xx or throttling).
 */
export function retryWaitMs(
  failureClass: FailureClass | undefined,
  attempt: number,
  retry: RetryPolicy,
  random = Math.random,
  transient = false,
): number | undefined {
  if (!isTransient(failureClass, transient) || attempt > retry.attempts) return undefined;
  return backoffMs(attempt, retry.backoffMs, retry.maxBackoffMs, random);
}
