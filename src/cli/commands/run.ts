// `run` and `test`: one pass over the selected instances, then exit with DESIGN.md's code.
import { loadConfig, selectInstances } from '../../config/load.js';
import { createLogger } from '../../observability/logger.js';
import { createSecretResolver } from '../../secrets/index.js';
import { combinedExitCode } from '../../runner/result.js';
import { runInstances } from '../../runner/run-many.js';
import { ConfigError, ExitCode } from '../../errors.js';
import type { CliOptions } from '../args.js';
import { installShutdown } from '../shutdown.js';

export async function runCommand(options: CliOptions, env: NodeJS.ProcessEnv): Promise<number> {
  const config = loadConfig(env, { configPath: options.config });
  const instances = selectInstances(config, options.instances);
  const log = await createLogger({ level: config.logLevel, format: config.logFormat });
  const mode = options.command === 'test' ? 'test' : 'sync';
  const secrets = createSecretResolver(env, log);
  const shutdown = installShutdown(log, config.shutdownGraceMs);
  const fetches = new Map<string, { backend: string; ok: boolean; count: number }>();
  secrets.observer = (backend, ok) => {
    const key = `${backend}/${ok}`;
    const f = fetches.get(key) ?? { backend, ok, count: 0 };
    f.count++;
    fetches.set(key, f);
  };
  log.info({ command: options.command, instances: instances.map((i) => i.name), source: config.source }, 'starting');
  for (const warning of config.warnings) log.warn({ warning }, 'configuration warning');

  const allowRemovals = allowedRemovals(options, env);
  if (allowRemovals !== undefined) log.warn({ allowRemovals }, 'guard: up to this many removals are allowed this once');
  const notices = new Map<string, { target: string; ok: boolean; count: number }>();
  const deps = {
    config,
    env,
    secrets: secrets.session(shutdown.hard),
    log,
    signal: shutdown.hard,
    allowRemovals,
    notifyTimeoutMs: config.notifyTimeoutMs,
    onNotified: (target: string, ok: boolean) => {
      const n = notices.get(`${target}/${ok}`) ?? { target, ok, count: 0 };
      n.count++;
      notices.set(`${target}/${ok}`, n);
    },
  };
  const results = await runInstances(instances, deps, mode, config.concurrency, shutdown.draining);
  if (mode === 'test' && options.verbose) {
    for (const r of results)
      if (r.test) log.info({ instance: r.instance, runId: r.runId, report: r.test }, 'test report');
  }
  await secrets.close();
  shutdown.dispose();
  // The CronJob mode's observability: syncs (not dry runs) push their metrics when there is a Pushgateway.
  if (env.PUSHGATEWAY_URL && mode === 'sync') {
    const { pushRunMetrics } = await import('../../observability/push.js');
    await pushRunMetrics(
      env.PUSHGATEWAY_URL,
      env.PUSHGATEWAY_JOB || 'bwdc-runner',
      results,
      [...fetches.values()],
      log,
      [...notices.values()],
    );
  }

  const interrupted = shutdown.exitCode();
  const code = interrupted ?? combinedExitCode(results);
  const counts = { success: 0, failure: 0, skipped: 0, interrupted: 0 };
  for (const r of results) counts[r.outcome]++;
  log[code === ExitCode.ok ? 'info' : 'warn'](
    { ...counts, notStarted: instances.length - results.length, exitCode: code },
    'finished',
  );
  return code;
}

/** run --allow-removals N, else BWDC_ALLOW_REMOVALS (a CronJob's one-off Job sets the variable). */
function allowedRemovals(options: CliOptions, env: NodeJS.ProcessEnv): number | undefined {
  if (options.allowRemovals !== undefined) return options.allowRemovals;
  const v = env.BWDC_ALLOW_REMOVALS;
  if (v === undefined || v === '') return undefined;
  if (!/^\d+$/.test(v)) throw new ConfigError(`BWDC_ALLOW_REMOVALS: "${v}" is not a count; expected a whole number`);
  return Number(v);
}
