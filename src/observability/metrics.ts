// Prometheus metrics (prom-client) in a registry of our own, never the global one. Label values
// are instance names from the configuration, outcomes and classes: all bounded, none secret.
// The instance's name is the label `directory`: `instance` and `job` are Prometheus's own target
// labels, and a scrape renames a colliding metric label (exported_instance), which would break
// every per-instance alert (docs/design.md "Observability").
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { failureClasses, transientClasses } from '../errors.js';
import { planChangeKinds, planCounts } from '../plan/compute.js';
import { guardRules } from '../plan/guard.js';
import { outcomes, seatKinds, type PlanSeats, type RunRecord } from './run-record.js';

export { outcomes, type Outcome, type PlanSeats, type RunRecord } from './run-record.js';

type D = 'directory';

export class RunnerMetrics {
  readonly registry = new Registry();
  private readonly runs: Counter<D | 'outcome'>;
  private readonly failures: Counter<D | 'class'>;
  private readonly duration: Histogram<D>;
  private readonly lastSuccess: Gauge<D>;
  private readonly lastRun: Gauge<D>;
  private readonly users: Gauge<D>;
  private readonly groups: Gauge<D>;
  private readonly inProgress: Gauge<D>;
  private readonly skippedOverlap: Counter<D>;
  private readonly retries: Counter<D | 'class'>;
  private readonly attempts: Counter<D>;
  private readonly secretFetches: Counter<'backend' | 'result'>;
  private readonly nextRun: Gauge<D>;
  private readonly stale: Gauge<D>;
  private readonly paused: Gauge<D>;
  private readonly bwdcCalls: Counter<D>;
  readonly queued: Gauge;
  private readonly due: Counter<D>;
  private readonly dropped: Counter<D>;
  private readonly planChanges: Gauge<D | 'change'>;
  private readonly seats: Gauge<D | 'kind'>;
  private readonly guardBlocked: Counter<D | 'rule'>;
  private readonly notifications: Counter<'target' | 'result'>;
  private readonly known = new Set<string>();

  constructor(options: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    const labelNames = ['directory'] as const;
    this.runs = new Counter({
      name: 'bwdc_runner_runs_total',
      help: `Finished runs, by outcome (${outcomes.join(', ')}).`,
      labelNames: ['directory', 'outcome'],
      registers,
    });
    this.failures = new Counter({
      name: 'bwdc_runner_failures_total',
      help: `Failed runs by cause (${failureClasses.join(', ')}).`,
      labelNames: ['directory', 'class'],
      registers,
    });
    // Buckets from a second (a hash-skip sync) to an hour (a large first import), as supercronic sizes its own.
    this.duration = new Histogram({
      name: 'bwdc_runner_run_duration_seconds',
      help: 'Duration of sync runs.',
      labelNames,
      buckets: [1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600],
      registers,
    });
    this.lastSuccess = new Gauge({
      name: 'bwdc_runner_last_success_timestamp_seconds',
      help: 'When the last successful sync ended (Unix time).',
      labelNames,
      registers,
    });
    this.lastRun = new Gauge({
      name: 'bwdc_runner_last_run_timestamp_seconds',
      help: 'When the last run ended, whatever its outcome (Unix time).',
      labelNames,
      registers,
    });
    this.users = new Gauge({
      name: 'bwdc_runner_synced_users',
      help: 'Users reported by the last successful sync (0 when nothing changed).',
      labelNames,
      registers,
    });
    this.groups = new Gauge({
      name: 'bwdc_runner_synced_groups',
      help: 'Groups reported by the last successful sync (0 when nothing changed).',
      labelNames,
      registers,
    });
    this.inProgress = new Gauge({
      name: 'bwdc_runner_in_progress',
      help: '1 while a run of the instance is going.',
      labelNames,
      registers,
    });
    this.skippedOverlap = new Counter({
      name: 'bwdc_runner_skipped_overlap_total',
      help: 'Schedule ticks skipped because the previous run of the instance was still going.',
      labelNames,
      registers,
    });
    this.retries = new Counter({
      name: 'bwdc_runner_retries_total',
      help: 'Retries of transient failures, by the class that caused them.',
      labelNames: ['directory', 'class'],
      registers,
    });
    this.attempts = new Counter({
      name: 'bwdc_runner_attempts_total',
      help: 'Attempts made by finished runs: a run is one due tick (or one `run`), its retries included (docs/scheduler.md).',
      labelNames,
      registers,
    });
    this.secretFetches = new Counter({
      name: 'bwdc_runner_secret_fetches_total',
      help: 'Secret resolutions by backend (vault, awssm, file, env) and result (ok, error).',
      labelNames: ['backend', 'result'],
      registers,
    });
    this.nextRun = new Gauge({
      name: 'bwdc_runner_next_run_timestamp_seconds',
      help: 'When the next scheduled run of the instance is due (Unix time).',
      labelNames,
      registers,
    });
    this.stale = new Gauge({
      name: 'bwdc_runner_stale',
      help: '1 when the instance has had no success for longer than staleAfter schedule intervals.',
      labelNames,
      registers,
    });
    this.paused = new Gauge({
      name: 'bwdc_runner_paused',
      help: '1 while the instance is paused (by hand or quarantined): its syncs are skipped until resumed.',
      labelNames,
      registers,
    });
    this.bwdcCalls = new Counter({
      name: 'bwdc_runner_bwdc_calls_total',
      help: 'bwdc processes started.',
      labelNames,
      registers,
    });
    this.queued = new Gauge({
      name: 'bwdc_runner_queued_runs',
      help: 'Due runs waiting to be admitted or waiting for a bwdc slot.',
      registers,
    });
    this.due = new Counter({
      name: 'bwdc_runner_due_total',
      help: 'Runs that became due (ticks and runOnStart). Each ends as a finished first attempt, an overlap skip or a drop at shutdown.',
      labelNames,
      registers,
    });
    this.dropped = new Counter({
      name: 'bwdc_runner_dropped_total',
      help: 'Due runs that never started because the scheduler was shutting down.',
      labelNames,
      registers,
    });
    this.planChanges = new Gauge({
      name: 'bwdc_runner_plan_changes',
      help: `What the last plan said a sync would change, by change (${planChangeKinds.join(', ')}).`,
      labelNames: ['directory', 'change'],
      registers,
    });
    this.seats = new Gauge({
      name: 'bwdc_runner_seats',
      help: 'Password Manager seats as of the last plan: occupied, free, needed by the sync (where the server says).',
      labelNames: ['directory', 'kind'],
      registers,
    });
    this.notifications = new Counter({
      name: 'bwdc_runner_notifications_total',
      help: 'Notification and heartbeat deliveries, by target (its format and position, or heartbeat) and result (ok, error).',
      labelNames: ['target', 'result'],
      registers,
    });
    this.guardBlocked = new Counter({
      name: 'bwdc_runner_guard_blocked_total',
      help: 'Syncs the guard rails stopped before bwdc synced, by rule (maxRemovals, refuseEmptyDirectory, requireSeats).',
      labelNames: ['directory', 'rule'],
      registers,
    });
  }

  /**
   * Every configured instance's series exist from the start, at 0: `increase()` only sees a change
   * between two samples, so a counter born at 1 (the first failure after a restart) would be missed.
   * Instances no longer configured lose their series. Called at start and on every reload.
   */
  setInstances(names: Iterable<string>): void {
    const wanted = new Set(names);
    for (const name of this.known) if (!wanted.has(name)) this.forget(name);
    for (const directory of wanted) {
      if (this.known.has(directory)) continue;
      this.known.add(directory);
      for (const outcome of outcomes) this.runs.inc({ directory, outcome }, 0);
      for (const cls of failureClasses) this.failures.inc({ directory, class: cls }, 0);
      for (const cls of transientClasses) this.retries.inc({ directory, class: cls }, 0);
      for (const c of [this.skippedOverlap, this.bwdcCalls, this.due, this.dropped, this.attempts])
        c.inc({ directory }, 0);
      this.duration.zero({ directory });
      this.inProgress.set({ directory }, 0);
      this.paused.set({ directory }, 0);
    }
  }

  runDue(directory: string): void {
    this.due.inc({ directory });
  }

  /** Never started, or stopped by shutdown before it reached bwdc. */
  runDropped(directory: string): void {
    this.dropped.inc({ directory });
    this.inProgress.set({ directory }, 0);
  }

  runStarted(directory: string): void {
    this.inProgress.set({ directory }, 1);
  }

  runFinished(r: RunRecord): void {
    const directory = r.instance;
    this.inProgress.set({ directory }, 0);
    this.runs.inc({ directory, outcome: r.outcome });
    if (r.outcome === 'failure') this.failures.inc({ directory, class: r.failureClass ?? 'internal' });
    if (r.outcome !== 'skipped') {
      this.duration.observe({ directory }, r.durationMs / 1000);
      this.lastRun.set({ directory }, r.endedAt.getTime() / 1000);
    }
    if (r.outcome === 'success') {
      this.users.set({ directory }, r.users ?? 0);
      this.groups.set({ directory }, r.groups ?? 0);
    }
    if (r.lastSuccessAt) this.lastSuccess.set({ directory }, r.lastSuccessAt.getTime() / 1000);
    if (r.bwdcCalls) this.bwdcCalls.inc({ directory }, r.bwdcCalls);
    if (r.attempts) this.attempts.inc({ directory }, r.attempts);
    if (r.plan) this.planned(directory, planCounts(r.plan), r.plan.seats);
    if (r.guardRules?.length) this.guardStopped(directory, r.guardRules);
  }

  /** A plan's counts per change, and the seats where known (PlanView: the shape of plan/compute.ts's Plan). */
  planned(directory: string, counts: Readonly<Record<string, number>>, seats: PlanSeats | null): void {
    for (const change of planChangeKinds) this.planChanges.set({ directory, change }, counts[change] ?? 0);
    for (const kind of seatKinds)
      if (seats) this.seats.set({ directory, kind }, seats[kind]);
      else this.seats.remove({ directory, kind });
  }

  notified(target: string, ok: boolean, count = 1): void {
    this.notifications.inc({ target, result: ok ? 'ok' : 'error' }, count);
  }

  guardStopped(directory: string, rules: readonly string[]): void {
    for (const rule of rules) this.guardBlocked.inc({ directory, rule });
  }

  overlapSkipped(directory: string): void {
    this.skippedOverlap.inc({ directory });
  }

  retried(directory: string, failureClass: string): void {
    this.retries.inc({ directory, class: failureClass });
  }

  secretFetched(backend: string, ok: boolean, count = 1): void {
    this.secretFetches.inc({ backend, result: ok ? 'ok' : 'error' }, count);
  }

  setNextRun(directory: string, at: Date | undefined): void {
    if (at) this.nextRun.set({ directory }, at.getTime() / 1000);
    else this.nextRun.remove({ directory });
  }

  setStale(directory: string, stale: boolean): void {
    this.stale.set({ directory }, stale ? 1 : 0);
  }

  setPaused(directory: string, paused: boolean): void {
    this.paused.set({ directory }, paused ? 1 : 0);
  }

  /** An instance removed by a reload: all its series go, so dashboards and alerts see no ghosts. */
  forget(directory: string): void {
    this.known.delete(directory);
    for (const m of [
      this.duration,
      this.lastSuccess,
      this.lastRun,
      this.users,
      this.groups,
      this.inProgress,
      this.nextRun,
      this.stale,
      this.paused,
      this.skippedOverlap,
      this.bwdcCalls,
      this.due,
      this.dropped,
      this.attempts,
    ])
      m.remove({ directory });
    for (const outcome of outcomes) this.runs.remove({ directory, outcome });
    for (const change of planChangeKinds) this.planChanges.remove({ directory, change });
    for (const kind of seatKinds) this.seats.remove({ directory, kind });
    for (const rule of guardRules) this.guardBlocked.remove({ directory, rule });
    for (const cls of failureClasses) {
      this.failures.remove({ directory, class: cls });
      this.retries.remove({ directory, class: cls });
    }
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
