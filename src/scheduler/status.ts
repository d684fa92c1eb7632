// What /status shows of one instance, and when an instance counts as stale: pure functions of the
// scheduler's bookkeeping (types.ts), so the scheduler itself only schedules.
import { effectiveTimezone } from './timing.js';
import type { InstanceStatus, Job } from './types.js';

export function statusOf(job: Job, nextRun: Date | undefined, now: number): InstanceStatus {
  const i = job.instance;
  const r = job.last;
  return {
    directory: i.name,
    schedule: i.schedule,
    timezone: effectiveTimezone(i.timezone),
    nextRun: nextRun?.toISOString() ?? null,
    state: job.state,
    lastRun: r
      ? {
          runId: r.runId,
          outcome: r.outcome,
          failureClass: r.failureClass ?? null,
          message: r.message,
          startedAt: r.startedAt.toISOString(),
          endedAt: r.endedAt.toISOString(),
          durationMs: r.durationMs,
          users: r.users ?? null,
          groups: r.groups ?? null,
          attempt: r.attempts,
          planId: r.planId ?? null,
        }
      : null,
    lastSuccessAt: job.lastSuccessAt?.toISOString() ?? null,
    consecutiveFailures: job.consecutiveFailures,
    stale: isStale(job, now),
    skippedOverlaps: job.skippedOverlaps,
  };
}

/** No success for longer than staleAfter intervals (plus the start delays we add ourselves). */
export function isStale(job: Job, now: number): boolean {
  const i = job.instance;
  if (!i.schedule) return false;
  const interval = job.schedule?.intervalMs;
  if (!interval) return false;
  const since = job.lastSuccessAt?.getTime() ?? job.since;
  return now - since > i.staleAfter * interval + i.spreadMs + i.jitterMs;
}
