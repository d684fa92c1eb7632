// Pausing and resuming an instance, for the `pause`/`resume` commands and schedule's admin endpoints
// (docs/operations.md "Pause and resume"): the pause file (state/pause.ts), an entry in the history, and
// on resume the failures in a row back to 0, so a quarantine does not strike again at the next failure.
import { instanceControlDir } from '../state/control-dir.js';
import { appendHistory, type HistoryLimits } from '../state/history.js';
import { InstanceState } from '../state/instance-state.js';
import { clearPause, readPause, writePause, type Pause } from '../state/pause.js';
import { approvePlan, type Approval } from '../state/approvals.js';

export interface ControlTarget {
  stateDir: string;
  /** Where the pause and the history live (docs/scheduler.md "What follows an instance"); undefined: stateDir. */
  controlDir: string | undefined;
  name: string;
  limits: HistoryLimits;
}

/** Pauses the instance; an existing pause is kept as it is (its time and author stay). Returns the pause in force. */
export async function pauseInstance(
  t: ControlTarget,
  by: string,
  reason: string,
): Promise<{ pause: Pause; already: boolean }> {
  const dir = instanceControlDir(t, t.name);
  const existing = await readPause(dir);
  if (existing) return { pause: existing, already: true };
  const pause: Pause = { since: new Date().toISOString(), by, reason };
  await writePause(dir, pause);
  await appendHistory(dir, { at: pause.since, kind: 'pause', by, reason }, t.limits);
  return { pause, already: false };
}

/** Ends a pause or a quarantine; the previous pause, or undefined when it was not paused. */
export async function resumeInstance(t: ControlTarget, by: string): Promise<Pause | undefined> {
  const dir = instanceControlDir(t, t.name);
  const previous = await readPause(dir);
  if (!previous) return undefined;
  const state = await InstanceState.open(t.stateDir, t.name);
  const last = await state.readLastRun();
  if (last && last.consecutiveFailures) await state.writeLastRun({ ...last, consecutiveFailures: 0 });
  await clearPause(dir);
  await appendHistory(
    dir,
    { at: new Date().toISOString(), kind: 'resume', by, ended: previous.quarantined ? 'quarantine' : 'pause' },
    t.limits,
  );
  return previous;
}

/**
 * Approves a refused plan (state/approvals.ts, docs/guard-rails.md) and notes
 * it in the history; for `approve` and schedule's POST /instances/NAME/approve. Throws ApprovalError for a
 * plan id this instance never refused.
 */
export async function approveInstancePlan(
  t: ControlTarget,
  planId: string,
  by: string,
  expiresInMs?: number,
): Promise<Approval> {
  const dir = instanceControlDir(t, t.name);
  const a = await approvePlan(dir, planId, { by, expiresInMs });
  await appendHistory(dir, { at: a.at, kind: 'approve', planId, by, expiresAt: a.expiresAt }, t.limits);
  return a;
}
