// The operator's controls as a run sees them (docs/operations.md): a paused instance is skipped before
// anything starts (no heartbeat, no lock, no bwdc); a finished sync is added to the instance's history;
// `quarantineAfter` failures in a row pause it with the reason.
import { instanceControlDir } from '../../state/control-dir.js';
import { errorMessage } from '../../errors.js';
import { appendHistory } from '../../state/history.js';
import { pauseMessage, readPause, writePause, type Pause } from '../../state/pause.js';
import { summarize, syncEntry, type SyncChanges } from '../history-entry.js';
import type { HistoryEntry } from '../../state/history.js';
import type { RunResult } from '../result.js';
import type { Effort, History, RunContext } from '../types.js';

/** The instance's control folder: its pause and history (docs/scheduler.md "What follows an instance"). */
export function instanceDir({ deps, instance }: RunContext): string {
  return instanceControlDir(deps.config, instance.name);
}

/** The pause of this instance, if it is paused (syncs only: `test` and `plan` change nothing and still run). */
export async function pausedNow(run: RunContext): Promise<Pause | undefined> {
  if (run.mode !== 'sync') return undefined;
  return readPause(instanceDir(run)).catch((err: unknown) => {
    run.log.warn({ err: errorMessage(err) }, 'could not read the pause file; running');
    return undefined;
  });
}

export const pausedSkipMessage = (p: Pause): string => `skipped: ${pauseMessage(p)}`;

/** Adds the sync to the history; a history that cannot be written is logged, never the run's failure. */
export async function recordHistory(run: RunContext, result: RunResult, effort: Effort): Promise<void> {
  const entry = syncEntry(result, effort, effort.planId);
  if (!entry) return;
  result.changes = changeLine(entry);
  await appendHistory(instanceDir(run), entry, historyLimits(run)).catch((err: unknown) =>
    run.log.warn({ err: errorMessage(err) }, 'could not add the run to the history'),
  );
}

/** The entry's changes as notifications say them. */
function changeLine(entry: HistoryEntry): string | undefined {
  const changes = entry.changes as SyncChanges | undefined;
  switch (entry.disposition) {
    case 'applied':
      return summarize(changes);
    case 'refused':
      return `refused, nothing sent; it would have made: ${summarize(changes)}`;
    case 'failed':
      return `sent but not accepted by the server: ${summarize(changes)}`;
    default:
      return entry.unchanged ? 'no changes (the directory is as last synced)' : 'no changes';
  }
}

const historyLimits = ({ deps }: RunContext) => ({
  maxBytes: deps.config.historyMaxBytes,
  maxAgeMs: deps.config.historyMaxAgeMs,
});

/**
 * After a failed sync: `quarantineAfter` failures in a row pause the instance (docs/operations.md
 * "Quarantine"). Returns the pause it wrote, so the run can say so once.
 */
export async function quarantineIfDue(
  run: RunContext,
  result: RunResult,
  history: History,
): Promise<Pause | undefined> {
  const limit = run.instance.quarantineAfter;
  if (run.mode !== 'sync' || result.outcome !== 'failure' || limit <= 0) return undefined;
  if (history.consecutiveFailures < limit) return undefined;
  const dir = instanceDir(run);
  if (await readPause(dir).catch(() => undefined)) return undefined;
  const pause: Pause = {
    since: new Date().toISOString(),
    by: 'quarantine',
    reason:
      `quarantined after ${history.consecutiveFailures} failures in a row ` +
      `(last: class ${result.failureClass ?? 'unknown'}: ${result.message})`,
    quarantined: { failures: history.consecutiveFailures, failureClass: result.failureClass, message: result.message },
  };
  try {
    await writePause(dir, pause);
  } catch (err) {
    run.log.error({ err: errorMessage(err) }, 'could not quarantine the instance');
    return undefined;
  }
  run.log.error(
    { failures: history.consecutiveFailures, quarantineAfter: limit },
    `${pause.reason}; no sync until "bwdc-runner resume ${run.instance.name}"`,
  );
  await appendHistory(
    dir,
    { at: pause.since, kind: 'quarantine', runId: run.runId, ...pause },
    historyLimits(run),
  ).catch(() => {});
  return pause;
}
