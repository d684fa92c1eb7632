// Step "attempts": resolve secrets, get the token, drive bwdc; again while the failure is transient
// (retry-policy.ts). All attempts are one run (docs/scheduler.md "What counts as a run"): one heartbeat,
// one record, one notice. The bwdc calls of each attempt go through the run's costly slot; the wait between
// attempts holds no slot (deps.away) and ends when the runner starts to stop (deps.draining).
import { wipeSecrets } from '../../bwdc/directory.js';
import { RunNotStartedError } from '../../errors.js';
import { retryWaitMs } from '../retry-policy.js';
import type { Effort, Held, Report, RunContext } from '../types.js';
import { driveBwdc } from './bwdc.js';
import { RunFailure } from './failure.js';
import { resolveSecrets } from './secrets.js';
import { obtainToken } from './token.js';

export async function attemptUntilDone(run: RunContext, held: Held, effort: Effort): Promise<Report> {
  const { instance, deps, log } = run;
  const { state } = held;
  let previous: RunFailure | undefined;
  for (let attempt = 1; ; attempt++) {
    effort.attempts = attempt;
    try {
      const secrets = await resolveSecrets(run);
      // Outside the costly slot too: an identity request does not hold a bwdc slot.
      const token = instance.login === 'runner' ? await obtainToken(run, state, secrets.clientSecret) : undefined;
      const drive = () => driveBwdc(run, held, secrets, token, effort);
      return await (deps.costlySlot ? deps.costlySlot(drive) : drive());
    } catch (err) {
      // Stopping before a retry: the run did reach bwdc, so the failure it had stands.
      if (err instanceof RunNotStartedError && previous) {
        effort.attempts = attempt - 1;
        throw previous;
      }
      // A failure that says it is not worth another attempt is not retried whatever its class: an import
      // whose outcome is unknown (gate/forward.ts) must not be sent twice.
      if (!(err instanceof RunFailure) || !err.transient || stopping(run)) throw err;
      previous = err;
      const wait = retryWaitMs(err.failureClass, attempt, instance.retry, Math.random, err.transient);
      if (wait === undefined) throw err;
      log.warn(
        { attempt, failureClass: err.failureClass, retryInMs: wait, err: err.message },
        'transient failure, will retry',
      );
      deps.onRetry?.(instance.name, attempt, err.failureClass);
      const sleep = () => pause(wait, [deps.signal, deps.draining]);
      await (deps.away ? deps.away(sleep) : sleep());
      if (stopping(run)) throw err;
      // A killed bwdc leaves its lock and maybe a session behind: clean up before the next attempt.
      await state.clearBwdcLock({ ours: effort.bwdcKilled });
      await state.restoreIfBroken();
      await state.update((d) => wipeSecrets(d, run.wipeType));
    }
  }
}

function stopping({ deps }: RunContext): boolean {
  return (deps.signal?.aborted ?? false) || (deps.draining?.aborted ?? false);
}

/** Waits `ms`, or less when one of the signals aborts; leaves no listener behind. */
function pause(ms: number, signals: Array<AbortSignal | undefined>): Promise<void> {
  const live = signals.filter((s): s is AbortSignal => s !== undefined);
  return new Promise((done) => {
    const end = () => {
      clearTimeout(timer);
      for (const s of live) s.removeEventListener('abort', end);
      done();
    };
    const timer = setTimeout(end, ms);
    for (const s of live) s.addEventListener('abort', end, { once: true });
    if (live.some((s) => s.aborted)) end();
  });
}
