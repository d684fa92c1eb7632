// Prometheus metrics (prom-client) in a registry of our own, never the global one. Label values
// are instance names from the configuration, outcomes and classes: all bounded, none secret.
// The instance's name is the label `directory`: `instance` and `job` are Prometheus's own target
// labels, and a scrape renames a colliding metric label (exported_instance), which would break
// every per-instance alert (docs/design.md "Observability").
import { Registry, collectDefaultMetrics } from 'prom-client';
import { failureClasses, transientClasses } from '../errors.js';
import { planChangeKinds, planCounts } from '../plan/compute.js';
import { defineMetrics, type Metrics } from './metric-definitions.js';
import { guardRules } from '../plan/guard.js';
import { outcomes, seatKinds, type PlanSeats, type RunRecord } from './run-record.js';

export { outcomes, type Outcome, type PlanSeats, type RunRecord } from './run-record.js';

export class RunnerMetrics {
  readonly registry = new Registry();
  private readonly m: Metrics;
  /** Due runs waiting (the scheduler sets it at each scrape). */
  readonly queued: Metrics['queued'];
  private readonly known = new Set<string>();

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    this.m = defineMetrics(this.registry);
    this.queued = this.m.queued;
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
      for (const outcome of outcomes) this.m.runs.inc({ directory, outcome }, 0);
      for (const cls of failureClasses) this.m.failures.inc({ directory, class: cls }, 0);
      for (const cls of transientClasses) this.m.retries.inc({ directory, class: cls }, 0);
      for (const c of [this.m.skippedOverlap, this.m.bwdcCalls, this.m.due, this.m.dropped, this.m.attempts])
        c.inc({ directory }, 0);
      this.m.duration.zero({ directory });
      this.m.inProgress.set({ directory }, 0);
      this.m.paused.set({ directory }, 0);
    }
  }

  runDue(directory: string): void {
    this.m.due.inc({ directory });
  }

  /** Never started, or stopped by shutdown before it reached bwdc. */
  runDropped(directory: string): void {
    this.m.dropped.inc({ directory });
    this.m.inProgress.set({ directory }, 0);
  }

  runStarted(directory: string): void {
    this.m.inProgress.set({ directory }, 1);
  }

  runFinished(r: RunRecord): void {
    const directory = r.instance;
    this.m.inProgress.set({ directory }, 0);
    this.m.runs.inc({ directory, outcome: r.outcome });
    if (r.outcome === 'failure') this.m.failures.inc({ directory, class: r.failureClass ?? 'internal' });
    if (r.outcome !== 'skipped') {
      this.m.duration.observe({ directory }, r.durationMs / 1000);
      this.m.lastRun.set({ directory }, r.endedAt.getTime() / 1000);
    }
    if (r.outcome === 'success') {
      this.m.users.set({ directory }, r.users ?? 0);
      this.m.groups.set({ directory }, r.groups ?? 0);
    }
    if (r.lastSuccessAt) this.m.lastSuccess.set({ directory }, r.lastSuccessAt.getTime() / 1000);
    if (r.bwdcCalls) this.m.bwdcCalls.inc({ directory }, r.bwdcCalls);
    if (r.attempts) this.m.attempts.inc({ directory }, r.attempts);
    if (r.plan) this.planned(directory, planCounts(r.plan), r.plan.seats);
    if (r.guardRules?.length) this.guardStopped(directory, r.guardRules);
    if (r.paused) this.m.paused.set({ directory }, 1);
  }

  /** A plan's counts per change, and the seats where known (PlanView: the shape of plan/compute.ts's Plan). */
  planned(directory: string, counts: Readonly<Record<string, number>>, seats: PlanSeats | null): void {
    for (const change of planChangeKinds) this.m.planChanges.set({ directory, change }, counts[change] ?? 0);
    for (const kind of seatKinds)
      if (seats) this.m.seats.set({ directory, kind }, seats[kind]);
      else this.m.seats.remove({ directory, kind });
  }

  notified(target: string, ok: boolean, count = 1): void {
    this.m.notifications.inc({ target, result: ok ? 'ok' : 'error' }, count);
  }

  guardStopped(directory: string, rules: readonly string[]): void {
    for (const rule of rules) this.m.guardBlocked.inc({ directory, rule });
  }

  overlapSkipped(directory: string): void {
    this.m.skippedOverlap.inc({ directory });
  }

  retried(directory: string, failureClass: string): void {
    this.m.retries.inc({ directory, class: failureClass });
  }

  secretFetched(backend: string, ok: boolean, count = 1): void {
    this.m.secretFetches.inc({ backend, result: ok ? 'ok' : 'error' }, count);
  }

  setNextRun(directory: string, at: Date | undefined): void {
    if (at) this.m.nextRun.set({ directory }, at.getTime() / 1000);
    else this.m.nextRun.remove({ directory });
  }

  setStale(directory: string, stale: boolean): void {
    this.m.stale.set({ directory }, stale ? 1 : 0);
  }

  setPaused(directory: string, paused: boolean): void {
    this.m.paused.set({ directory }, paused ? 1 : 0);
  }

  /** An instance removed by a reload: all its series go, so dashboards and alerts see no ghosts. */
  forget(directory: string): void {
    this.known.delete(directory);
    for (const m of [
      this.m.duration,
      this.m.lastSuccess,
      this.m.lastRun,
      this.m.users,
      this.m.groups,
      this.m.inProgress,
      this.m.nextRun,
      this.m.stale,
      this.m.paused,
      this.m.skippedOverlap,
      this.m.bwdcCalls,
      this.m.due,
      this.m.dropped,
      this.m.attempts,
    ])
      m.remove({ directory });
    for (const outcome of outcomes) this.m.runs.remove({ directory, outcome });
    for (const change of planChangeKinds) this.m.planChanges.remove({ directory, change });
    for (const kind of seatKinds) this.m.seats.remove({ directory, kind });
    for (const rule of guardRules) this.m.guardBlocked.remove({ directory, rule });
    for (const cls of failureClasses) {
      this.m.failures.remove({ directory, class: cls });
      this.m.retries.remove({ directory, class: cls });
    }
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
