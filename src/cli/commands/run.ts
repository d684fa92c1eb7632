// `run` and `test`: one pass over the selected instances, then exit with DESIGN.md's code.
import { loadConfig, selectInstances } from '../../config/load.js';
import { createLogger } from '../../observability/logger.js';
import { createSecretResolver } from '../../secrets/index.js';
import { combinedExitCode } from '../../runner/result.js';
import { runInstances } from '../../runner/run-many.js';
import { ExitCode } from '../../errors.js';
import { hostname } from 'node:os';
import type { CliOptions } from '../args.js';
import { installShutdown } from './shutdown.js';

export async function runCommand(options: CliOptions, env: NodeJS.ProcessEnv): Promise<number> {
  const config = loadConfig(env, { configPath: options.config });
  const instances = selectInstances(config, options.instances);
  const log = await createLogger({ level: config.logLevel, format: config.logFormat });
  const mode = options.command === 'test' ? 'test' : 'sync';
  const secrets = createSecretResolver(env, log);
  const shutdown = installShutdown(log, config.shutdownGraceMs);
  log.info({ command: options.command, instances: instances.map((i) => i.name), source: config.source }, 'starting');

  // Metrics only when there is somewhere to push them: the CronJob mode's observability.
  const pushUrl = env.PUSHGATEWAY_URL;
  const metrics = pushUrl ? new (await import('../../observability/metrics.js')).RunnerMetrics({ defaultMetrics: false }) : undefined;
  if (metrics) secrets.observer = (scheme, ok) => metrics.secretFetched(scheme, ok);
  const deps = { config, env, secrets: secrets.session(shutdown.hard), log, signal: shutdown.hard };
  const results = await runInstances(instances, deps, mode, config.concurrency, shutdown.draining);
  if (mode === 'test' && options.verbose) {
    for (const r of results) if (r.test) log.info({ instance: r.instance, runId: r.runId, report: r.test }, 'test report');
  }
  await secrets.close();
  shutdown.dispose();
  if (metrics && pushUrl) {
    for (const r of results) metrics.runFinished(r);
    const { pushMetrics } = await import('../../observability/push.js');
    const grouping = { instance: instances.length === 1 ? instances[0]!.name : (env.PUSHGATEWAY_INSTANCE ?? hostname()) };
    await pushMetrics(pushUrl, metrics, grouping, env.PUSHGATEWAY_JOB ?? 'bwdc-runner', log);
  }

  const interrupted = shutdown.exitCode();
  const code = interrupted ?? combinedExitCode(results);
  const counts = { success: 0, failure: 0, skipped: 0 };
  for (const r of results) counts[r.outcome]++;
  log[code === ExitCode.ok ? 'info' : 'warn']({ ...counts, notStarted: instances.length - results.length, exitCode: code }, 'finished');
  return code;
}
