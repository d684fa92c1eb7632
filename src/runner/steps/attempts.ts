// Step "attempts": resolve secrets, get the token, drive bwdc; again while the failure is transient
// (retry-policy.ts). The bwdc calls of each attempt go through the run's gate; the rest stays outside it.
import { setTimeout as sleepFor } from 'node:timers/promises';
import { wipeSecrets } from '../../bwdc/directory.js';
import { RunNotStartedError } from '../../errors.js';
import type { InstanceState } from '../../state/instance-state.js';
import { retryWaitMs } from '../retry-policy.js';
import type { Effort, Report, RunContext } from '../types.js';
import { driveBwdc } from './bwdc.js';
import { RunFailure } from './failure.js';
import { resolveSecrets } from './secrets.js';
import { obtainToken } from './token.js';

export async function attemptUntilDone(run: RunContext, state: InstanceState, effort: Effort): Promise<Report> {
  const { instance, deps, log } = run;
  let previous: RunFailure | undefined;
  for (let attempt = 1; ; attempt++) {
    effort.attempts = attempt;
    try {
      const secrets = await resolveSecrets(run);
      // Outside the bwdc gate too: an identity request does not hold a bwdc slot.
      const token = instance.login === 'runner' ? await obtainToken(run, state, secrets.clientSecret) : undefined;
      const drive = () => driveBwdc(run, state, secrets, token, effort);
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
      await state.update((d) => wipeSecrets(d, run.wipeType));
    }
  }
}

function sleepUnlessAborted(ms: number, signal?: AbortSignal): Promise<void> {
  return sleepFor(ms, undefined, { signal }).catch(() => undefined);
}
