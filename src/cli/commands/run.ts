// `run` and `test`: one pass over the selected instances, then exit with the exit code of docs/design.md
// "Commands and exit codes".
import { loadConfig, selectInstances } from '../../config/load.js';
import { createLogger } from '../../observability/logger.js';
import { createSecretResolver } from '../../secrets/index.js';
import { combinedExitCode } from '../../runner/result.js';
import { runInstances } from '../../runner/run-many.js';
import { recoverStateFolders } from '../../runner/recover.js';
import { ExitCode } from '../../errors.js';
import { readSetting } from '../../shared/env-setting.js';
import { processSettings } from '../../shared/process-settings.js';
import type { CliOptions } from '../cli-options.js';
import { installShutdown } from '../shutdown.js';

export async function runCommand(options: CliOptions, env: NodeJS.ProcessEnv): Promise<number> {
  const config = loadConfig(env, { configPath: options.config });
  const instances = selectInstances(config, options.instances);
  const log = await createLogger({ level: config.logLevel, format: config.logFormat });
  const mode = options.command === 'test' ? 'test' : 'sync';
  const secrets = createSecretResolver(env, log);
  const shutdown = installShutdown(log, config.shutdownGraceMs);
  const fetches = tally('backend');
  secrets.observer = fetches.add;
  log.info({ command: options.command, instances: instances.map((i) => i.name), source: config.source }, 'starting');
  for (const warning of config.warnings) log.warn({ warning }, 'configuration warning');
  // Secrets and temporary files a killed run left in any instance folder go first (docs/scheduler.md).
  await recoverStateFolders(config.stateDir, config.instances, log);

  const allowRemovals = allowedRemovals(options, env);
  if (allowRemovals !== undefined) log.warn({ allowRemovals }, 'guard: up to this many removals are allowed this once');
  // A one-off Job of a CronJob without a state volume: the refused plan's id, approved for this run only.
  const approvedPlan = readSetting(env, processSettings.approvePlan);
  if (approvedPlan) log.warn({ planId: approvedPlan }, 'guard: this plan is approved for this run');
  const notices = tally('target');
  const deps = {
    config,
    env,
    secrets: secrets.session(shutdown.hard),
    log,
    signal: shutdown.hard,
    allowRemovals,
    approvedPlan,
    notifyTimeoutMs: config.notifyTimeoutMs,
    onNotified: notices.add,
  };
  const results = await runInstances(instances, deps, mode, config.concurrency, shutdown.draining);
  if (mode === 'test' && options.verbose) {
    for (const r of results)
      if (r.test) log.info({ instance: r.instance, runId: r.runId, report: r.test }, 'test report');
  }
  await secrets.close();
  shutdown.dispose();
  // The CronJob mode's observability: syncs (not dry runs) push their metrics when there is a Pushgateway.
  const pushgateway = readSetting(env, processSettings.pushgatewayUrl);
  if (pushgateway && mode === 'sync') {
    const { pushRunMetrics } = await import('../../observability/push.js');
    await pushRunMetrics(
      pushgateway,
      readSetting(env, processSettings.pushgatewayJob)!,
      results,
      fetches.list(),
      log,
      notices.list(),
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
  return options.allowRemovals ?? readSetting(env, processSettings.allowRemovals);
}

type Tallied<K extends string> = Record<K, string> & { ok: boolean; count: number };

/** Counts per name and result (secret fetches per backend, deliveries per target), for the pushed metrics. */
function tally<K extends string>(field: K): { add: (name: string, ok: boolean) => void; list: () => Tallied<K>[] } {
  const counts = new Map<string, Tallied<K>>();
  return {
    add: (name, ok) => {
      const key = `${name}/${ok}`;
      const c = counts.get(key) ?? ({ [field]: name, ok, count: 0 } as Tallied<K>);
      c.count++;
      counts.set(key, c);
    },
    list: () => [...counts.values()],
  };
}
