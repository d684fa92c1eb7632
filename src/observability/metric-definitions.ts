// The runner's metrics: name, help and labels of each, in one table (docs/metrics.md lists them). The
// instance's name is the label `directory` (metrics.ts says why). Each entry makes its metric in the
// registers it is given, so every RunnerMetrics has a registry of its own.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { failureClasses } from '../errors.js';
import { planChangeKinds } from '../plan/compute.js';
import { guardRules } from '../plan/guard.js';
import { outcomes } from './run-record.js';

const directoryLabel = ['directory'] as const;

const definitions = {
  runs: (registers: Registry[]) =>
    new Counter({
      name: 'bwdc_runner_runs_total',
      help: `Finished runs, by outcome (${outcomes.join(', ')}).`,
      labelNames: ['directory', 'outcome'],
      registers,
    }),
  failures: (registers: Registry[]) =>
    new Counter({
      name: 'bwdc_runner_failures_total',
      help: `Failed runs by cause (${failureClasses.join(', ')}).`,
      labelNames: ['directory', 'class'],
      registers,
    }),
  // Buckets from a second (a hash-skip sync) to an hour (a large first import), as supercronic sizes its own.
  duration: (registers: Registry[]) =>
    new Histogram({
      name: 'bwdc_runner_run_duration_seconds',
      help: 'Duration of sync runs.',
      labelNames: directoryLabel,
      buckets: [1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600],
      registers,
    }),
  lastSuccess: (registers: Registry[]) =>
    new Gauge({
      name: 'bwdc_runner_last_success_timestamp_seconds',
      help: 'When the last successful sync ended (Unix time).',
      labelNames: directoryLabel,
      registers,
    }),
  lastRun: (registers: Registry[]) =>
    new Gauge({
      name: 'bwdc_runner_last_run_timestamp_seconds',
      help: 'When the last run ended, whatever its outcome (Unix time).',
      labelNames: directoryLabel,
      registers,
    }),
  users: (registers: Registry[]) =>
    new Gauge({
      name: 'bwdc_runner_synced_users',
      help: 'Users reported by the last successful sync (0 when nothing changed).',
      labelNames: directoryLabel,
      registers,
    }),
  groups: (registers: Registry[]) =>
    new Gauge({
      name: 'bwdc_runner_synced_groups',
      help: 'Groups reported by the last successful sync (0 when nothing changed).',
      labelNames: directoryLabel,
      registers,
    }),
  inProgress: (registers: Registry[]) =>
    new Gauge({
      name: 'bwdc_runner_in_progress',
      help: '1 while a run of the instance is going.',
      labelNames: directoryLabel,
      registers,
    }),
  skippedOverlap: (registers: Registry[]) =>
    new Counter({
      name: 'bwdc_runner_skipped_overlap_total',
      help: 'Schedule ticks skipped because the previous run of the instance was still going.',
      labelNames: directoryLabel,
      registers,
    }),
  retries: (registers: Registry[]) =>
    new Counter({
      name: 'bwdc_runner_retries_total',
      help: 'Retries of transient failures, by the class that caused them.',
      labelNames: ['directory', 'class'],
      registers,
    }),
  attempts: (registers: Registry[]) =>
    new Counter({
      name: 'bwdc_runner_attempts_total',
      help: 'Attempts made by finished runs: a run is one due tick (or one `run`), its retries included (docs/scheduler.md).',
      labelNames: directoryLabel,
      registers,
    }),
  secretFetches: (registers: Registry[]) =>
    new Counter({
      name: 'bwdc_runner_secret_fetches_total',
      help: 'Secret resolutions by backend (vault, awssm, file, env) and result (ok, error).',
      labelNames: ['backend', 'result'],
      registers,
    }),
  nextRun: (registers: Registry[]) =>
    new Gauge({
      name: 'bwdc_runner_next_run_timestamp_seconds',
      help: 'When the next scheduled run of the instance is due (Unix time).',
      labelNames: directoryLabel,
      registers,
    }),
  stale: (registers: Registry[]) =>
    new Gauge({
      name: 'bwdc_runner_stale',
      help: '1 when the instance has had no success for longer than staleAfter schedule intervals.',
      labelNames: directoryLabel,
      registers,
    }),
  paused: (registers: Registry[]) =>
    new Gauge({
      name: 'bwdc_runner_paused',
      help: '1 while the instance is paused (by hand or quarantined): its syncs are skipped until resumed.',
      labelNames: directoryLabel,
      registers,
    }),
  bwdcCalls: (registers: Registry[]) =>
    new Counter({
      name: 'bwdc_runner_bwdc_calls_total',
      help: 'bwdc processes started.',
      labelNames: directoryLabel,
      registers,
    }),
  queued: (registers: Registry[]) =>
    new Gauge({
      name: 'bwdc_runner_queued_runs',
      help: 'Due runs waiting to be admitted or waiting for a bwdc slot.',
      registers,
    }),
  due: (registers: Registry[]) =>
    new Counter({
      name: 'bwdc_runner_due_total',
      help: 'Runs that became due (ticks and runOnStart). Each ends as a finished first attempt, an overlap skip or a drop at shutdown.',
      labelNames: directoryLabel,
      registers,
    }),
  dropped: (registers: Registry[]) =>
    new Counter({
      name: 'bwdc_runner_dropped_total',
      help: 'Due runs that never started because the scheduler was shutting down.',
      labelNames: directoryLabel,
      registers,
    }),
  planChanges: (registers: Registry[]) =>
    new Gauge({
      name: 'bwdc_runner_plan_changes',
      help: `What the last plan said a sync would change, by change (${planChangeKinds.join(', ')}).`,
      labelNames: ['directory', 'change'],
      registers,
    }),
  seats: (registers: Registry[]) =>
    new Gauge({
      name: 'bwdc_runner_seats',
      help: 'Password Manager seats as of the last plan: occupied, free, needed by the sync (where the server says).',
      labelNames: ['directory', 'kind'],
      registers,
    }),
  notifications: (registers: Registry[]) =>
    new Counter({
      name: 'bwdc_runner_notifications_total',
      help: 'Notification and heartbeat deliveries, by target (its format and position, or heartbeat) and result (ok, error).',
      labelNames: ['target', 'result'],
      registers,
    }),
  guardBlocked: (registers: Registry[]) =>
    new Counter({
      name: 'bwdc_runner_guard_blocked_total',
      help: `Syncs the guard rails stopped before bwdc synced, by rule (${guardRules.join(', ')}).`,
      labelNames: ['directory', 'rule'],
      registers,
    }),
};

export type Metrics = { [K in keyof typeof definitions]: ReturnType<(typeof definitions)[K]> };

/** Every metric of the table, registered in `registry`. */
export function defineMetrics(registry: Registry): Metrics {
  const made = Object.entries(definitions).map(([name, make]) => [name, make([registry])]);
  return Object.fromEntries(made) as Metrics;
}
