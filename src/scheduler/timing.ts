// When runs start: the deterministic per-instance offset (Jenkins' "H"), bounded jitter, the
// schedule's interval (for the stale signal) and the backoff between retries.
import { createHash } from 'node:crypto';
import { Cron } from 'croner';

/** A fixed offset in [0, windowMs) from a hash of the name: stable across restarts and hosts. */
export function spreadOffsetMs(name: string, windowMs: number): number {
  if (windowMs <= 0) return 0;
  const n = createHash('sha256').update(name).digest().readUInt32BE(0);
  return Math.floor((n / 2 ** 32) * windowMs);
}

export function jitterMs(boundMs: number, random = Math.random): number {
  return boundMs > 0 ? Math.floor(random() * boundMs) : 0;
}

/**
 * croner's time options for a zone. UTC as a fixed offset: croner computes a named zone's times
 * through Intl, far slower than with an offset (bench/README.md), and on every 30 s check of every job.
 */
export function cronZone(timezone: string | undefined): { timezone?: string; utcOffset?: number } {
  if (timezone === undefined) return {};
  return /^(Etc\/)?(UTC|UCT|GMT|Zulu|Universal)$/.test(timezone) ? { utcOffset: 0 } : { timezone };
}

/**
 * The zone an instance's schedule really runs in: its own, or the process's local zone (croner's
 * default, from TZ or /etc/localtime), said by name, never assumed to be UTC.
 */
export function effectiveTimezone(timezone: string | undefined): string {
  return (
    timezone ?? (Intl.DateTimeFormat().resolvedOptions().timeZone || `local time (TZ=${process.env.TZ ?? 'unset'})`)
  );
}

/** The gap between the next two runs: the schedule's current interval. */
export function scheduleIntervalMs(schedule: string, timezone: string | undefined): number | undefined {
  const job = new Cron(schedule, { ...cronZone(timezone), paused: true });
  const [a, b] = job.nextRuns(2);
  job.stop();
  return a && b ? b.getTime() - a.getTime() : undefined;
}
