// `schedule`: every instance on its cron schedule (croner), at most `concurrency` runs in their costly part
// at once, in FIFO queues (Slots). An instance is never queued twice, so no instance can starve
// another, and a tick that finds its previous run still going (or queued, or waiting to retry) is
// skipped and counted. Knows nothing of bwdc: it calls `run` and reads the result. A run's retries
// are inside the run (docs/scheduler.md "What counts as a run"): one due tick, one run, one result.
import { Cron } from 'croner';
import type { InstanceConfig } from '../config/model.js';
import { RunNotStartedError } from '../errors.js';
import type { RunResult } from '../runner/result.js';
import { Slots, type Away, type CostlySlot } from '../shared/slots.js';
import { isStale, statusOf } from './status.js';
import { cronZone, jitterMs, scheduleIntervalMs, spreadOffsetMs } from './timing.js';
import type { InstanceStatus, Job, SchedulerOptions, SharedSchedule } from './types.js';

export type { InstanceStatus, RunControls, RunFn, SchedulerHooks, SchedulerOptions } from './types.js';

export class Scheduler {
  private readonly jobs = new Map<string, Job>();
  private readonly schedules = new Map<string, SharedSchedule>();
  private readonly slots: Slots;
  private readonly hard = new AbortController();
  private readonly drain = new AbortController();
  private readonly inFlight = new Set<Promise<void>>();
  private stopping = false;
  private started = false;
  /** Every due run ends in exactly one of: a finished run, an overlap skip, a drop, or its instance's removal. */
  readonly totals = { due: 0, overlaps: 0, dropped: 0, removed: 0, finished: 0 };

  constructor(private readonly options: SchedulerOptions) {
    this.slots = new Slots(options.concurrency, () => this.stopping);
  }

  get running(): boolean {
    return this.started && !this.stopping;
  }
  /** croner jobs in use: one per distinct schedule and time zone. */
  get cronJobs(): number {
    return this.schedules.size;
  }
  /** Due runs waiting to be admitted or waiting for the costly slot. */
  get queued(): number {
    return this.slots.waiting;
  }

  setConcurrency(n: number): void {
    this.slots.setConcurrency(n);
  }
  /** Adds, replaces and removes jobs to match `instances` (start and SIGHUP reload). */
  apply(instances: readonly InstanceConfig[]): { added: string[]; changed: string[]; removed: string[] } {
    const added: string[] = [];
    const changed: string[] = [];
    const removed: string[] = [];
    const wanted = new Map(instances.map((i) => [i.name, i]));
    for (const [name, job] of this.jobs) {
      if (wanted.has(name)) continue;
      this.disarm(job);
      if (job.timer) clearTimeout(job.timer);
      job.removed = true;
      this.jobs.delete(name);
      this.options.hooks?.onRemoved?.(name);
      removed.push(name);
    }
    for (const inst of instances) {
      const job = this.jobs.get(inst.name);
      if (!job) {
        this.jobs.set(inst.name, {
          instance: inst,
          schedule: undefined,
          state: 'idle',
          timer: undefined,
          last: undefined,
          lastSuccessAt: undefined,
          consecutiveFailures: 0,
          skippedOverlaps: 0,
          since: Date.now(),
          removed: false,
        });
        added.push(inst.name);
      } else if (JSON.stringify(job.instance) !== JSON.stringify(inst)) {
        // A run already going keeps the configuration it started with; the next one takes this.
        this.disarm(job);
        job.instance = inst;
        changed.push(inst.name);
      } else continue;
      if (this.started) this.arm(this.jobs.get(inst.name)!);
    }
    return { added, changed, removed };
  }

  /** Run now (admin endpoint): queued like a due tick (no offset), within the limit; busy if one is going. */
  runNow(name: string): 'queued' | 'busy' | 'unknown' | 'stopping' {
    const job = this.jobs.get(name);
    if (!job) return 'unknown';
    if (this.stopping || !this.started) return 'stopping';
    if (job.state !== 'idle') return 'busy';
    this.totals.due++;
    this.options.hooks?.onDue?.(name);
    this.trigger(job, 0);
    return 'queued';
  }

  /** `resume` (admin endpoint): the failures in a row shown in /status start again from 0. */
  resetFailures(name: string): void {
    const job = this.jobs.get(name);
    if (job) job.consecutiveFailures = 0;
  }

  start(runOnStart: boolean): void {
    this.started = true;
    for (const job of this.jobs.values()) {
      this.arm(job);
      if (runOnStart) {
        this.totals.due++;
        this.options.hooks?.onDue?.(job.instance.name);
        this.trigger(job, 0);
      }
    }
  }

  private arm(job: Job): void {
    const { schedule, timezone } = job.instance;
    if (!schedule) return;
    const key = `${timezone ?? ''} ${schedule}`;
    let shared = this.schedules.get(key);
    if (!shared) {
      const onTick = () => {
        created.next = cron.nextRun() ?? undefined;
        created.intervalMs = scheduleIntervalMs(schedule, timezone);
        for (const j of [...created.jobs]) this.tick(j);
      };
      const cron = new Cron(
        schedule,
        {
          ...cronZone(timezone),
          catch: (err) => this.options.log.error({ schedule, err: String(err) }, 'schedule callback failed'),
        },
        onTick,
      );
      const created: SharedSchedule = {
        key,
        cron,
        jobs: new Set(),
        next: cron.nextRun() ?? undefined,
        intervalMs: scheduleIntervalMs(schedule, timezone),
      };
      this.schedules.set(key, (shared = created));
    }
    shared.jobs.add(job);
    job.schedule = shared;
    this.options.hooks?.onNextRun?.(job.instance.name, this.nextRun(job));
  }

  private disarm(job: Job): void {
    const shared = job.schedule;
    if (!shared) return;
    job.schedule = undefined;
    shared.jobs.delete(job);
    if (shared.jobs.size > 0) return;
    shared.cron.stop();
    this.schedules.delete(shared.key);
  }

  private nextRun(job: Job): Date | undefined {
    const next = job.schedule?.next;
    return next ? new Date(next.getTime() + spreadOffsetMs(job.instance.name, job.instance.spreadMs)) : undefined;
  }

  private tick(job: Job): void {
    this.options.hooks?.onNextRun?.(job.instance.name, this.nextRun(job));
    if (this.stopping || job.removed) return;
    this.totals.due++;
    this.options.hooks?.onDue?.(job.instance.name);
    if (job.state !== 'idle') {
      this.totals.overlaps++;
      job.skippedOverlaps++;
      this.options.log.warn(
        { instance: job.instance.name, state: job.state },
        'schedule tick skipped: the previous run of this instance is still going',
      );
      this.options.hooks?.onOverlap?.(job.instance.name);
      return;
    }
    const delay =
      spreadOffsetMs(job.instance.name, job.instance.spreadMs) + jitterMs(job.instance.jitterMs, this.options.random);
    this.trigger(job, delay);
  }

  /** Run now (delay 0) or after a delay; the job counts as busy from here on. */
  private trigger(job: Job, delayMs: number): void {
    job.state = delayMs > 0 ? 'waiting' : 'queued';
    const go = () => {
      job.timer = undefined;
      job.state = 'queued';
      this.enqueue(job);
    };
    if (delayMs > 0) job.timer = setTimeout(go, delayMs);
    else go();
  }

  private enqueue(job: Job): void {
    const instance = job.instance;
    const drop = () => {
      job.state = 'idle';
      this.totals.dropped++;
      this.options.hooks?.onDropped?.(instance.name);
    };
    // Removed by a reload while queued or preparing: it starts nothing and reports nothing (its
    // metrics are gone and must not come back); a run already past the costly slot finishes, unreported.
    const forget = () => {
      job.state = 'idle';
      this.totals.removed++;
      this.options.log.info({ instance: instance.name }, 'not started: the instance was removed by a reload');
    };
    const p: Promise<void> = this.slots.run(async (slot, slotAway) => {
      if (job.removed) return forget();
      if (this.stopping) return drop();
      job.state = 'running';
      this.options.hooks?.onStart?.(instance.name);
      const costly: CostlySlot = (w) => slot(() => (job.removed ? Promise.reject(new RunNotStartedError()) : w()));
      const away: Away = async (work) => {
        job.state = 'retry-wait';
        try {
          return await slotAway(work);
        } finally {
          job.state = 'running';
        }
      };
      let result: RunResult;
      try {
        result = await this.options.run(instance, {
          costly,
          away,
          draining: this.drain.signal,
          signal: this.hard.signal,
        });
      } catch (err) {
        if (err instanceof RunNotStartedError) return job.removed ? forget() : drop();
        // runInstance reports failures as results; reaching here is a bug, but must not stop the job.
        this.options.log.error({ instance: instance.name, err: String(err) }, 'run threw');
        job.state = 'idle';
        return;
      }
      job.state = 'idle';
      if (job.removed) {
        this.totals.removed++;
        this.options.log.info(
          { instance: instance.name, runId: result.runId, outcome: result.outcome },
          'run of a removed instance finished; not reported',
        );
        return;
      }
      this.totals.finished++;
      job.last = result;
      if (result.lastSuccessAt) job.lastSuccessAt = result.lastSuccessAt;
      if (result.outcome === 'failure') job.consecutiveFailures++;
      else if (result.outcome === 'success') job.consecutiveFailures = 0;
      this.options.hooks?.onResult?.(result);
    });
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  status(now = Date.now()): InstanceStatus[] {
    const paused = this.options.pausedOf ?? (() => undefined);
    return [...this.jobs.values()].map((job) => statusOf(job, this.nextRun(job), now, paused(job.instance.name)));
  }

  staleness(now = Date.now()): Array<{ name: string; stale: boolean }> {
    return [...this.jobs.values()].map((j) => ({ name: j.instance.name, stale: isStale(j, now) }));
  }

  /**
   * Stops scheduling, drops runs not yet started, lets running ones finish within `graceMs`, then
   * aborts them (through `signal`) and waits until they have tidied up.
   */
  async stop(graceMs: number): Promise<{ abortedRunning: boolean }> {
    this.stopping = true;
    this.drain.abort();
    for (const job of this.jobs.values()) {
      this.disarm(job);
      if (job.timer) clearTimeout(job.timer);
      if (job.state === 'waiting') {
        this.totals.dropped++;
        this.options.hooks?.onDropped?.(job.instance.name);
      }
      if (job.state === 'waiting') job.state = 'idle';
    }
    const all = () => Promise.allSettled([...this.inFlight]);
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'grace'>((r) => (timer = setTimeout(() => r('grace'), graceMs)));
    const first = await Promise.race([all().then(() => 'done' as const), graceOver]);
    clearTimeout(timer);
    if (first === 'grace') {
      this.options.log.warn({ graceMs }, 'grace period over: stopping running syncs');
      this.hard.abort();
      await all();
    }
    return { abortedRunning: first === 'grace' };
  }
}
