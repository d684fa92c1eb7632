// The parts of `schedule` (schedule.ts) that wire one piece each: the scheduler and its admin side, the HTTP
// routes, the start line, and the wait for a signal.
import { hostname } from 'node:os';
import type { RunnerConfig } from '../../config/model.js';
import { ExitCode } from '../../errors.js';
import { AdminToken } from '../../observability/admin-token.js';
import { startHttp } from '../../observability/http.js';
import type { Logger } from '../../observability/logger.js';
import type { RunnerMetrics } from '../../observability/metrics.js';
import { renderStatusPage } from '../../observability/status-page.js';
import { runInstance } from '../../runner/run-instance.js';
import { Scheduler } from '../../scheduler/scheduler.js';
import { shardLabel, type Shard } from '../../scheduler/shard.js';
import { effectiveTimezone } from '../../scheduler/timing.js';
import type { PauseInfo } from '../../scheduler/types.js';
import type { SecretSession } from '../../secrets/resolver.js';
import { controlIsShared, controlRootOf } from '../../state/control-dir.js';
import { ScheduleAdmin } from '../schedule-admin.js';

/** The HTTP routes that read the scheduler, the metrics and the admin side (all but /status). */
export function routesOf(
  scheduler: Scheduler,
  metrics: RunnerMetrics,
  admin: ScheduleAdmin,
  token: AdminToken | undefined,
) {
  return {
    ready: () => scheduler.running,
    metrics: async () => {
      for (const s of scheduler.staleness()) metrics.setStale(s.name, s.stale);
      metrics.queued.set(scheduler.queued);
      return metrics.text();
    },
    metricsContentType: metrics.contentType,
    page: async () => renderStatusPage(await admin.pageView(hostname())),
    history: (name: string, sinceMs: number | undefined) => admin.history(name, sinceMs),
    admin: token && {
      token,
      act: (...a: Parameters<ScheduleAdmin['act']>) => admin.act(...a),
    },
  } satisfies Partial<Parameters<typeof startHttp>[2]>;
}

/** The scheduler and its admin side, over the configuration in force and this replica's share of it. */
export function startScheduler(
  config: () => RunnerConfig,
  share: () => RunnerConfig['instances'],
  { env, log, metrics }: { env: NodeJS.ProcessEnv; log: Logger; metrics: RunnerMetrics },
  secrets: () => SecretSession,
): { admin: ScheduleAdmin; scheduler: Scheduler } {
  const admin: ScheduleAdmin = new ScheduleAdmin({
    config: () => ({ ...config(), instances: share() }),
    scheduler: () => scheduler,
    metrics,
    log,
  });
  const scheduler: Scheduler = new Scheduler({
    concurrency: config().concurrency,
    log,
    // Pauses are read from each instance's state folder (docs/operations.md "Pause and resume").
    pausedOf: (name): PauseInfo | undefined => admin.pausedOf(name),
    // One due tick is one run, its retries inside it (docs/scheduler.md "What counts as a run").
    run: (instance, { costly, away, draining, signal }) =>
      runInstance(instance, {
        config: config(),
        env,
        secrets: secrets(),
        log,
        signal,
        draining,
        costlySlot: costly,
        away,
        notifyTimeoutMs: config().notifyTimeoutMs,
        onNotified: (target, ok) => metrics.notified(target, ok),
        onRetry: (name, _attempt, cls) => metrics.retried(name, cls),
      }),
    hooks: {
      onStart: (name) => metrics.runStarted(name),
      onResult: (r) => {
        metrics.runFinished(r);
        // A quarantine (or a pause found by a run) shows at once, not at the next re-read.
        if (r.paused) void admin.refresh();
      },
      onOverlap: (name) => metrics.overlapSkipped(name),
      onNextRun: (name, at) => metrics.setNextRun(name, at),
      onRemoved: (name) => metrics.forget(name),
      onDue: (name) => metrics.runDue(name),
      onDropped: (name) => metrics.runDropped(name),
    },
  });
  return { admin, scheduler };
}

export function logStarted(log: Logger, config: RunnerConfig, share: RunnerConfig['instances'], shard: Shard): void {
  log.info(
    {
      shard: shardLabel(shard),
      configured: config.instances.length,
      controlDir: controlRootOf(config),
      instances: share.map((i) => ({
        name: i.name,
        schedule: i.schedule,
        timezone: effectiveTimezone(i.timezone),
      })),
      concurrency: config.concurrency,
      source: config.source,
    },
    'scheduler started',
  );
  for (const warning of config.warnings) log.warn({ warning }, 'configuration warning');
  if (shard.count > 1 && !controlIsShared(config))
    log.warn(
      { shard: shardLabel(shard), controlDir: controlRootOf(config) },
      'sharded without a shared control folder (BWDC_CONTROL_DIR): pause, approvals and history stay on ' +
        "this replica's state volume and do not follow an instance that moves to another replica",
    );
}

/**
 * Until SIGTERM or SIGINT: then no new runs, running syncs finish within the grace, `close` ends the rest,
 * exit 0; a second signal exits at once. SIGHUP reloads.
 */
export function untilStopped(
  log: Logger,
  graceMs: () => number,
  scheduler: Scheduler,
  reload: (why: 'SIGHUP') => void,
  close: () => Promise<void>,
): Promise<number> {
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) {
        log.warn({ signal }, 'second signal: exiting now');
        process.exit(signal === 'SIGINT' ? ExitCode.sigint : ExitCode.sigterm);
      }
      stopping = true;
      log.info(
        { signal, graceMs: graceMs() },
        'shutting down: no new runs; running syncs may finish within the grace period',
      );
      void scheduler.stop(graceMs()).then(async ({ abortedRunning }) => {
        await close();
        log.info({ abortedRunning, totals: scheduler.totals }, 'stopped');
        resolve(ExitCode.ok);
      });
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    process.on('SIGHUP', () => reload('SIGHUP'));
  });
}
