// Prometheus metrics (prom-client) in a registry of our own, never the global one. Label values
// are instance names from the configuration, outcomes and classes: all bounded, none secret.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { failureClasses } from '../errors.js';

export interface RunRecord {
  instance: string;
  outcome: 'success' | 'failure' | 'skipped';
  failureClass: string | undefined;
  durationMs: number;
  endedAt: Date;
  users: number | undefined;
  groups: number | undefined;
  bwdcCalls: number;
  /** When the last success ended, this run's or an earlier one's (from the state folder). */
  lastSuccessAt: Date | undefined;
}

export class RunnerMetrics {
  readonly registry = new Registry();
  private readonly runs: Counter<'instance' | 'outcome'>;
  private readonly failures: Counter<'instance' | 'class'>;
  private readonly duration: Histogram<'instance'>;
  private readonly lastSuccess: Gauge<'instance'>;
  private readonly lastRun: Gauge<'instance'>;
  private readonly users: Gauge<'instance'>;
  private readonly groups: Gauge<'instance'>;
  private readonly inProgress: Gauge<'instance'>;
  private readonly skippedOverlap: Counter<'instance'>;
  private readonly retries: Counter<'instance' | 'class'>;
  private readonly secretFetches: Counter<'backend' | 'result'>;
  private readonly nextRun: Gauge<'instance'>;
  private readonly stale: Gauge<'instance'>;
  private readonly bwdcCalls: Counter<'instance'>;
  readonly queued: Gauge;
  private readonly due: Counter<'instance'>;
  private readonly dropped: Counter<'instance'>;

  constructor(options: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    this.runs = new Counter({ name: 'bwdc_runner_runs_total', help: 'Finished sync runs, by outcome (success, failure, skipped).', labelNames: ['instance', 'outcome'], registers });
    this.failures = new Counter({ name: 'bwdc_runner_failures_total', help: `Failed runs by cause (${failureClasses.join(', ')}).`, labelNames: ['instance', 'class'], registers });
    // Buckets from a second (a hash-skip sync) to an hour (a large first import), as supercronic sizes its own.
    this.duration = new Histogram({ name: 'bwdc_runner_run_duration_seconds', help: 'Duration of sync runs.', labelNames: ['instance'], buckets: [1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600], registers });
    this.lastSuccess = new Gauge({ name: 'bwdc_runner_last_success_timestamp_seconds', help: 'When the last successful sync ended (Unix time).', labelNames: ['instance'], registers });
    this.lastRun = new Gauge({ name: 'bwdc_runner_last_run_timestamp_seconds', help: 'When the last run ended, whatever its outcome (Unix time).', labelNames: ['instance'], registers });
    this.users = new Gauge({ name: 'bwdc_runner_synced_users', help: 'Users reported by the last successful sync (0 when nothing changed).', labelNames: ['instance'], registers });
    this.groups = new Gauge({ name: 'bwdc_runner_synced_groups', help: 'Groups reported by the last successful sync (0 when nothing changed).', labelNames: ['instance'], registers });
    this.inProgress = new Gauge({ name: 'bwdc_runner_in_progress', help: '1 while a run of the instance is going.', labelNames: ['instance'], registers });
    this.skippedOverlap = new Counter({ name: 'bwdc_runner_skipped_overlap_total', help: 'Schedule ticks skipped because the previous run of the instance was still going.', labelNames: ['instance'], registers });
    this.retries = new Counter({ name: 'bwdc_runner_retries_total', help: 'Retries of transient failures, by the class that caused them.', labelNames: ['instance', 'class'], registers });
    this.secretFetches = new Counter({ name: 'bwdc_runner_secret_fetches_total', help: 'Secret resolutions by backend (vault, awssm, file, env) and result (ok, error).', labelNames: ['backend', 'result'], registers });
    this.nextRun = new Gauge({ name: 'bwdc_runner_next_run_timestamp_seconds', help: 'When the next scheduled run of the instance is due (Unix time).', labelNames: ['instance'], registers });
    this.stale = new Gauge({ name: 'bwdc_runner_stale', help: '1 when the instance has had no success for longer than staleAfter schedule intervals.', labelNames: ['instance'], registers });
    this.bwdcCalls = new Counter({ name: 'bwdc_runner_bwdc_calls_total', help: 'bwdc processes started.', labelNames: ['instance'], registers });
    this.queued = new Gauge({ name: 'bwdc_runner_queued_runs', help: 'Due runs waiting to be admitted or waiting for a bwdc slot.', registers });
    this.due = new Counter({ name: 'bwdc_runner_due_total', help: 'Runs that became due (ticks and runOnStart). Each ends as a finished first attempt, an overlap skip or a drop at shutdown.', labelNames: ['instance'], registers });
    this.dropped = new Counter({ name: 'bwdc_runner_dropped_total', help: 'Due runs that never started because the scheduler was shutting down.', labelNames: ['instance'], registers });
  }

  runDue(instance: string): void {
    this.due.inc({ instance });
  }

  /** Never started, or stopped by shutdown before it reached bwdc. */
  runDropped(instance: string): void {
    this.dropped.inc({ instance });
    this.inProgress.set({ instance }, 0);
  }

  runStarted(instance: string): void {
    this.inProgress.set({ instance }, 1);
  }

  runFinished(r: RunRecord): void {
    const instance = r.instance;
    this.inProgress.set({ instance }, 0);
    this.runs.inc({ instance, outcome: r.outcome });
    if (r.outcome === 'failure') this.failures.inc({ instance, class: r.failureClass ?? 'internal' });
    if (r.outcome !== 'skipped') {
      this.duration.observe({ instance }, r.durationMs / 1000);
      this.lastRun.set({ instance }, r.endedAt.getTime() / 1000);
    }
    if (r.outcome === 'success') {
      this.users.set({ instance }, r.users ?? 0);
      this.groups.set({ instance }, r.groups ?? 0);
    }
    if (r.lastSuccessAt) this.lastSuccess.set({ instance }, r.lastSuccessAt.getTime() / 1000);
    if (r.bwdcCalls) this.bwdcCalls.inc({ instance }, r.bwdcCalls);
  }

  overlapSkipped(instance: string): void {
    this.skippedOverlap.inc({ instance });
  }

  retried(instance: string, failureClass: string): void {
    this.retries.inc({ instance, class: failureClass });
  }

  secretFetched(backend: string, ok: boolean): void {
    this.secretFetches.inc({ backend, result: ok ? 'ok' : 'error' });
  }

  setNextRun(instance: string, at: Date | undefined): void {
    if (at) this.nextRun.set({ instance }, at.getTime() / 1000);
    else this.nextRun.remove({ instance });
  }

  setStale(instance: string, stale: boolean): void {
    this.stale.set({ instance }, stale ? 1 : 0);
  }

  /** An instance removed by a reload: its series go too, so dashboards do not show ghosts. */
  forget(instance: string): void {
    for (const m of [this.lastSuccess, this.lastRun, this.users, this.groups, this.inProgress, this.nextRun, this.stale]) m.remove({ instance });
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
