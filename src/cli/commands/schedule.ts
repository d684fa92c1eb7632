// `schedule`: the long-running mode and the image's default command. Wires configuration,
// scheduler, runner, metrics and HTTP together, and handles the signals: SIGTERM/SIGINT stop
// (exit 0 after a clean shutdown), SIGHUP reloads the configuration.
import { hostname } from 'node:os';
import { ConfigError, errorMessage } from '../../errors.js';
import { loadConfig } from '../../config/load.js';
import { watchPaths } from '../../shared/watch.js';
import { redactor } from '../../observability/redact.js';
import type { RunnerConfig } from '../../config/model.js';
import { createLogger, type Logger } from '../../observability/logger.js';
import { RunnerMetrics } from '../../observability/metrics.js';
import { startHttp, type HttpEndpoints } from '../../observability/http.js';
import { AdminToken } from '../../observability/admin-token.js';
import { createSecretResolver } from '../../secrets/index.js';
import { recoverStateFolders } from '../../runner/recover.js';
import { shardOf, shareOf } from '../../scheduler/shard.js';
import { registerShardMetrics } from '../../observability/shard-metrics.js';
import { readSetting } from '../../shared/env-setting.js';
import { processSettings } from '../../shared/process-settings.js';
import type { CliOptions } from '../cli-options.js';
import { logStarted, routesOf, startScheduler, untilStopped } from './schedule-wiring.js';

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
  const { admin, scheduler } = startScheduler(
    () => config,
    () => share,
    { env, log, metrics },
    () => secrets.sharedSession(secretCacheMs),
  );
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
      ...routesOf(scheduler, metrics, admin, token),
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
  const configState: ConfigState = {
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
      const next = reloaded(why, () => loadConfig(env, { configPath: options.config }), configState, log);
      if (!next) return;
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
  logStarted(log, config, share, shard);

  return untilStopped(
    log,
    () => config.shutdownGraceMs,
    scheduler,
    reload,
    async () => {
      unwatch?.();
      admin.stop();
      await http?.close();
      await secrets.close();
    },
  );
}

/** The configuration in force, and the last reload's trouble (for /status). */
interface ConfigState {
  loadedAt: string;
  reloadError: string | null;
  reloadErrorAt: string | null;
}

/** The new configuration, or undefined when it is invalid: then said, and kept for /status. */
function reloaded(why: string, load: () => RunnerConfig, state: ConfigState, log: Logger): RunnerConfig | undefined {
  try {
    const next = load();
    requireSchedules(next);
    return next;
  } catch (err) {
    const message = redactor.scrub(errorMessage(err));
    state.reloadError = message;
    state.reloadErrorAt = new Date().toISOString();
    log.error({ err: message, trigger: why }, `${why}: the new configuration is invalid; keeping the running one`);
    return undefined;
  }
}
