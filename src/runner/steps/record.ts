// Step "record": last-run.json, so a new process (a CronJob's next pod, a restarted scheduler) knows the
// last success and the failures in a row. Only syncs count: a dry run (`test`, `plan`) records nothing
// and never counts as a success.
import { errorMessage } from '../../errors.js';
import { InstanceState, type LastRun } from '../../state/instance-state.js';
import type { Ending, History, RunContext } from '../types.js';

/**
 * The record of an instance whose state folder cannot be read, kept in memory by this process instead, so
 * that a folder that stays unusable still counts its failures in a row (notifications' `after`) and
 * remembers who was told. Keyed by state root and instance name.
 */
const unheld = new Map<string, LastRun>();
const unheldKey = ({ deps, instance }: RunContext) => `${deps.config.stateDir}\0${instance.name}`;

export async function recordLastRun(
  run: RunContext,
  state: InstanceState,
  ending: Exclude<Ending, { outcome: 'not-started' }>,
  endedAt: Date,
): Promise<History> {
  unheld.delete(unheldKey(run));
  const history = nextHistory(run, await state.readLastRun(), ending, endedAt);
  if (history.record)
    await state
      .writeLastRun(history.record)
      .catch((err) => run.log.warn({ err: errorMessage(err) }, 'could not record the run in the state folder'));
  return history;
}

/**
 * A run that never held its state folder (unusable, or locked by another run): what can be read of the
 * runs before it, so its end is told with the right count; nothing is written.
 */
export async function unrecordedHistory(
  run: RunContext,
  ending: Exclude<Ending, { outcome: 'not-started' }>,
  endedAt: Date,
): Promise<History> {
  const onDisk = await InstanceState.peekLastRun(run.deps.config.stateDir, run.instance.name);
  const key = unheldKey(run);
  const history = nextHistory(run, onDisk ?? unheld.get(key), ending, endedAt);
  if (onDisk || !history.record) return { ...history, record: undefined };
  const record = history.record;
  unheld.set(key, record);
  return { ...history, record: undefined, remember: (notified) => unheld.set(key, { ...record, notified }) };
}

function nextHistory(
  { runId, mode }: RunContext,
  previous: LastRun | undefined,
  ending: Exclude<Ending, { outcome: 'not-started' }>,
  endedAt: Date,
): History {
  const outcome = ending.outcome;
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
    planId: ending.outcome === 'failure' ? ending.planId : undefined,
  };
  return { lastSuccessAt, consecutiveFailures, notified: record.notified!, record };
}
