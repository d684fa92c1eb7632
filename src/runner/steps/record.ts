// Step "record": last-run.json, so a new process (a CronJob's next pod, a restarted scheduler) knows the
// last success and the failures in a row. Only syncs count: a dry run (`test`, `plan`) records nothing
// and never counts as a success.
import { errorMessage } from '../../errors.js';
import type { InstanceState, LastRun } from '../../state/instance-state.js';
import type { Ending, History, RunContext } from '../types.js';

export async function recordLastRun(
  { runId, mode, log }: RunContext,
  state: InstanceState,
  ending: Exclude<Ending, { outcome: 'not-started' }>,
  endedAt: Date,
): Promise<History> {
  const outcome = ending.outcome;
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
