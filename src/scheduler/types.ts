// The scheduler's types: what it hands a run, the hooks it calls, what /status shows, and its own
// bookkeeping per instance (Job) and per distinct schedule (SharedSchedule).
import type { Cron } from 'croner';
import type { InstanceConfig } from '../config/model.js';
import type { Logger } from '../observability/logger.js';
import type { RunResult } from '../runner/result.js';
import type { Away, CostlySlot } from '../shared/slots.js';

/**
 * One croner job per distinct (cron expression, time zone), shared by every instance using it:
 * croner re-checks each of its jobs every 30 s with Intl date arithmetic, and a job per instance
 * kept a large idle scheduler busy (bench/README.md, "The scheduler at scale"). The next run and the
 * interval are computed once per tick, not per read.
 */
export interface SharedSchedule {
  key: string;
  cron: Cron;
  jobs: Set<Job>;
  next: Date | undefined;
  intervalMs: number | undefined;
}

/** What the scheduler hands a run: how to take a bwdc slot, how to wait without one, when to stop. */
export interface RunControls {
  /** The costly part goes through it (the concurrency limit); rejects with RunNotStartedError when stopping. */
  costly: CostlySlot;
  /** A wait between attempts goes through it: no slot is held meanwhile (shared/slots.ts). */
  away: Away;
  /** Aborted when the scheduler starts to stop: no new attempt. */
  draining: AbortSignal;
  /** Aborted when running work must stop (the grace period is over). */
  signal: AbortSignal;
}

/**
 * Runs one instance once, its retries included. If the costly slot rejects with RunNotStartedError before
 * anything ran (the scheduler is stopping), the run rethrows it and counts as dropped.
 */
export type RunFn = (instance: InstanceConfig, controls: RunControls) => Promise<RunResult>;

export interface SchedulerHooks {
  onStart?(instance: string): void;
  onResult?(result: RunResult): void;
  onOverlap?(instance: string): void;
  onNextRun?(instance: string, at: Date | undefined): void;
  onRemoved?(instance: string): void;
  /** A run became due (a tick, or runOnStart): every one ends as a result, an overlap skip or a drop. */
  onDue?(instance: string): void;
  /** A due run that never started because the scheduler was stopping. */
  onDropped?(instance: string): void;
}

/** An instance's pause as /status shows it (state/pause.ts, read by whoever wires the scheduler). */
export interface PauseInfo {
  since: string;
  by: string;
  reason: string;
  quarantined: boolean;
}

export interface InstanceStatus {
  /** The instance's name: the same key as the metrics' `directory` label. */
  directory: string;
  schedule: string | undefined;
  timezone: string;
  nextRun: string | null;
  state: 'idle' | 'waiting' | 'queued' | 'running' | 'retry-wait';
  /** Paused by hand or quarantined: its ticks start runs that are skipped at once (exit 75). */
  paused: PauseInfo | null;
  lastRun: {
    runId: string;
    outcome: string;
    failureClass: string | null;
    message: string;
    startedAt: string;
    endedAt: string;
    durationMs: number;
    users: number | null;
    groups: number | null;
    attempt: number;
    /** A refused sync's plan id (class guard): what `bwdc-runner approve` takes. */
    planId: string | null;
  } | null;
  lastSuccessAt: string | null;
  consecutiveFailures: number;
  stale: boolean;
  skippedOverlaps: number;
}

export interface Job {
  instance: InstanceConfig;
  schedule: SharedSchedule | undefined;
  state: InstanceStatus['state'];
  timer: NodeJS.Timeout | undefined;
  last: RunResult | undefined;
  lastSuccessAt: Date | undefined;
  consecutiveFailures: number;
  skippedOverlaps: number;
  /** Start of the stale clock when there was never a success. */
  since: number;
  removed: boolean;
}

export interface SchedulerOptions {
  run: RunFn;
  log: Logger;
  concurrency: number;
  hooks?: SchedulerHooks;
  random?: () => number;
  /** Whether an instance is paused, for /status. */
  pausedOf?: (instance: string) => PauseInfo | undefined;
}
