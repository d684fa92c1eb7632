// `schedule`: the long-running mode and the image's default command. Wires configuration,
// scheduler, runner, metrics and HTTP together, and handles the signals: SIGTERM/SIGINT stop
// (exit 0 after a clean shutdown), SIGHUP reloads the configuration.
import { hostname } from 'node:os';
import { ConfigError, ExitCode, errorMessage } from '../../errors.js';
import { loadConfig } from '../../config/load.js';
import { watchPaths } from '../../shared/watch.js';
import { redactor } from '../../observability/redact.js';
import type { RunnerConfig } from '../../config/model.js';
import { createLogger, type Logger } from '../../observability/logger.js';
import { RunnerMetrics } from '../../observability/metrics.js';
import { startHttp, type HttpEndpoints } from '../../observability/http.js';
import { AdminToken } from '../../observability/admin-token.js';
import { renderStatusPage } from '../../observability/status-page.js';
import { ScheduleAdmin } from '../schedule-admin.js';
import { createSecretResolver } from '../../secrets/index.js';
import { runInstance } from '../../runner/run-instance.js';
import { recoverStateFolders } from '../../runner/recover.js';
import { Scheduler } from '../../scheduler/scheduler.js';
import type { PauseInfo } from '../../scheduler/types.js';
import { effectiveTimezone } from '../../scheduler/timing.js';
import { shardLabel, shardOf, shareOf } from '../../scheduler/shard.js';
import { registerShardMetrics } from '../../observability/shard-metrics.js';
import { controlIsShared, controlRootOf } from '../../state/control-dir.js';
import { readSetting } from '../../shared/env-setting.js';
import { processSettings } from '../../shared/process-settings.js';
import type { CliOptions } from '../args.js';

function requireSchedules(config: RunnerConfig): void {
  const missing = config.instances.filter((i) => !i.schedule).map((i) => `${i.name} (${i.origin})`);
  if (missing.length) {
    throw new ConfigError(
      `schedule: every instance needs a schedule (BWDC_SCHEDULE or schedule:); missing for ${missing.join(', ')}`,
    );
  }
}

export async function scheduleCommand(options: CliOptions, env: NodeJS.ProcessEnv): Promise<number> {
  // Checked first: a wrong share would run some instances twice and others never (docs/scheduler.md "Shards").
  const shard = shardOf(options.shard, env, hostname());
  let config = loadConfig(env, { configPath: options.config });
  requireSchedules(config);
  // This process's instances; the others are other shards'. Only these get metrics series, so every
  // directory has one series across the replicas (docs/metrics.md).
  let share = shareOf(config.instances, shard);
  const log: Logger = await createLogger({ level: config.logLevel, format: config.logFormat });
  const metrics = new RunnerMetrics();
  const secrets = createSecretResolver(env, log);
  secrets.observer = (scheme, ok) => metrics.secretFetched(scheme, ok);
  // Runs that start within this window share secret fetches (see SecretResolver.sharedSession).
  const secretCacheMs = readSetting(env, processSettings.secretCacheMs)!;

  // The admin side sees this replica's share: its pauses (bwdc_runner_paused once per directory across the
  // replicas), its history and admin calls; an instance of another shard is another replica's.
  const admin: ScheduleAdmin = new ScheduleAdmin({
    config: () => ({ ...config, instances: share }),
    scheduler: () => scheduler,
    metrics,
    log,
  });
  const scheduler: Scheduler = new Scheduler({
    concurrency: config.concurrency,
    log,
    // Pauses are read from each instance's state folder (docs/operations.md "Pause and resume").
    pausedOf: (name): PauseInfo | undefined => admin.pausedOf(name),
    // One due tick is one run, its retries inside it (docs/scheduler.md "What counts as a run").
    run: (instance, { gate, away, draining, signal }) =>
      runInstance(instance, {
        config,
        env,
        secrets: secrets.sharedSession(secretCacheMs),
        log,
        signal,
        draining,
        bwdcGate: gate,
        away,
        notifyTimeoutMs: config.notifyTimeoutMs,
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
  // Secrets and temporary files a killed run left in any instance folder go first (docs/scheduler.md).
  await recoverStateFolders(config.stateDir, share, log);
  scheduler.apply(share);
  metrics.setInstances(share.map((i) => i.name));
  registerShardMetrics(
    metrics.registry,
    () => shard,
    () => ({ held: share.length, configured: config.instances.length }),
  );
  await admin.refresh();
  admin.start();
  const tokenFile = readSetting(env, processSettings.adminTokenFile);
  const token = tokenFile ? new AdminToken(tokenFile) : undefined;
  if (token?.trouble) log.warn({ problem: token.trouble }, 'admin endpoints: no usable token; every call gets 401');

  let http: HttpEndpoints | undefined;
  if (config.httpPort !== 'off') {
    http = await startHttp(config.httpPort, readSetting(env, processSettings.httpHost)!, {
      ready: () => scheduler.running,
      metrics: async () => {
        for (const s of scheduler.staleness()) metrics.setStale(s.name, s.stale);
        metrics.queued.set(scheduler.queued);
        return metrics.text();
      },
      metricsContentType: metrics.contentType,
      page: async () => renderStatusPage(await admin.pageView(hostname())),
      history: (name, sinceMs) => admin.history(name, sinceMs),
      admin: token && { token, act: (name, action, body, peer) => admin.act(name, action, body, peer) },
      status: () => ({
        host: hostname(),
        shard: { index: shard.index, count: shard.count, instances: share.length, configured: config.instances.length },
        source: config.source,
        config: { ...configState, watching: config.watchConfig ? config.readFrom.map((r) => r.path) : [] },
        concurrency: config.concurrency,
        running: scheduler.running,
        queued: scheduler.queued,
        instances: scheduler.status(),
      }),
    });
    log.info(
      { port: http.port, admin: token ? `POST /instances/NAME/{pause,resume,run,approve}` : 'off' },
      'http endpoints listening: / /healthz /readyz /metrics /status /instances/NAME/history',
    );
  }

  scheduler.start(config.runOnStart);

  // The configuration in force, and the last reload's trouble (for /status): a bad edit keeps the old one.
  const configState: { loadedAt: string; reloadError: string | null; reloadErrorAt: string | null } = {
    loadedAt: new Date().toISOString(),
    reloadError: null,
    reloadErrorAt: null,
  };
  let unwatch: (() => void) | undefined;
  const watchConfig = () => {
    unwatch?.();
    unwatch = config.watchConfig ? watchPaths(config.readFrom, () => reload('file change')) : undefined;
  };

  let reloading = Promise.resolve();
  const reload = (why: 'SIGHUP' | 'file change') => {
    reloading = reloading.then(() => {
      let next: RunnerConfig;
      try {
        next = loadConfig(env, { configPath: options.config });
        requireSchedules(next);
      } catch (err) {
        const message = redactor.scrub(errorMessage(err));
        configState.reloadError = message;
        configState.reloadErrorAt = new Date().toISOString();
        log.error({ err: message, trigger: why }, `${why}: the new configuration is invalid; keeping the running one`);
        return;
      }
      if (next.httpPort !== config.httpPort)
        log.warn(`${why}: httpPort changes need a restart; keeping the current port`);
      const before = JSON.stringify(share);
      const nextShare = shareOf(next.instances, shard);
      config = next;
      share = nextShare;
      configState.reloadError = null;
      configState.reloadErrorAt = null;
      scheduler.setConcurrency(next.concurrency);
      const diff = scheduler.apply(nextShare);
      metrics.setInstances(nextShare.map((i) => i.name));
      void admin.refresh();
      watchConfig(); // the files may be others now (a new template)
      if (why === 'SIGHUP' || before !== JSON.stringify(nextShare)) {
        configState.loadedAt = new Date().toISOString();
        log.info({ ...diff, trigger: why }, `${why}: configuration reloaded`);
        for (const warning of next.warnings) log.warn({ warning }, 'configuration warning');
      }
    });
  };
  watchConfig();
  // Logged once everything is up, the watcher included: a change made after this line is seen.
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

  const exitCode = await new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) {
        log.warn({ signal }, 'second signal: exiting now');
        process.exit(signal === 'SIGINT' ? ExitCode.sigint : ExitCode.sigterm);
      }
      stopping = true;
      log.info(
        { signal, graceMs: config.shutdownGraceMs },
        'shutting down: no new runs; running syncs may finish within the grace period',
      );
      void scheduler.stop(config.shutdownGraceMs).then(async ({ abortedRunning }) => {
        unwatch?.();
        admin.stop();
        await http?.close();
        await secrets.close();
        log.info({ abortedRunning, totals: scheduler.totals }, 'stopped');
        resolve(ExitCode.ok);
      });
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    process.on('SIGHUP', () => reload('SIGHUP'));
  });
  return exitCode;
}
