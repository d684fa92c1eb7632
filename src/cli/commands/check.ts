// `check`: proves a deployment before its first scheduled sync (docs/kubernetes.md "check"). The
// configuration loads; bwdc and the state folder are usable; then, per instance, every step a sync
// takes is tried for real and timed (runner/preflight/). The report is text, or with --json the same
// report as JSON, also when the configuration is invalid. Nothing in it is a secret value.
import { access, constants, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { Cron } from 'croner';
import { effectiveTimezone } from '../../scheduler/timing.js';
import { bwdcVersion, childBaseEnv } from '../../bwdc/client.js';
import { bundledVersion, resolveBwdcPath } from '../../bwdc/locate.js';
import { TokenCache } from '../../bitwarden/token-cache.js';
import { loadConfig, selectInstances } from '../../config/load.js';
import type { InstanceConfig, RunnerConfig } from '../../config/model.js';
import { formatDuration } from '../../shared/duration.js';
import {
  BwdcUnusableError,
  ConfigError,
  ExitCode,
  errorMessage,
  exitCodeOf,
  mostSevereExitCode,
  type ExitCodeValue,
} from '../../errors.js';
import { createLogger } from '../../observability/logger.js';
import { redactor } from '../../observability/redact.js';
import { createSecretResolver } from '../../secrets/index.js';
import { runnerVersion } from '../../version.js';
import type { CliOptions } from '../cli-options.js';
import { installShutdown } from '../shutdown.js';
import { preflight, type StepReport } from '../../runner/preflight/preflight.js';

interface BwdcCheck {
  path: string | undefined;
  version?: string;
  error?: string;
}

async function checkBwdc(config: RunnerConfig, env: NodeJS.ProcessEnv): Promise<BwdcCheck> {
  const path = resolveBwdcPath(config.bwdcPath, env);
  if (!path)
    return { path, error: `bwdc not found (${config.bwdcPath ? `BWDC_PATH=${config.bwdcPath}` : 'not on PATH'})` };
  try {
    const version =
      bundledVersion(path) ??
      (await bwdcVersion(path, childBaseEnv(env, config.stateDir, config.passEnv), 15_000, [
        tmpdir(),
        config.stateDir,
      ]));
    return { path, version };
  } catch (err) {
    return { path, error: errorMessage(err) };
  }
}

async function checkStateDir(stateDir: string): Promise<string | undefined> {
  try {
    await mkdir(stateDir, { recursive: true, mode: 0o700 });
    await access(stateDir, constants.W_OK);
    return undefined;
  } catch (err) {
    return `not writable: ${(err as NodeJS.ErrnoException).code ?? errorMessage(err)}`;
  }
}

function describe(inst: InstanceConfig, verbose: boolean) {
  let nextRuns: string[] = [];
  if (inst.schedule) {
    const job = new Cron(inst.schedule, { timezone: inst.timezone, paused: true });
    nextRuns = job.nextRuns(verbose ? 5 : 3).map((d) => d.toISOString());
    job.stop();
  }
  return {
    name: inst.name,
    origin: inst.origin,
    template: inst.dataJson.origin,
    directoryType: inst.dataJson.directoryType,
    directory: inst.dataJson.rendered ? 'block' : 'template',
    clientId: inst.clientId,
    // A rendered data.json names no server: bwdc then uses the US cloud.
    server: inst.server === undefined && !inst.dataJson.rendered ? 'as in data.json' : inst.server || 'US cloud',
    schedule: inst.schedule ?? null,
    timezone: effectiveTimezone(inst.timezone),
    nextRuns,
    timeout: formatDuration(inst.timeoutMs),
    login: inst.login === 'runner' ? 'runner (one bwdc start per run)' : 'bwdc (login and config, then sync)',
  };
}

export async function checkCommand(options: CliOptions, env: NodeJS.ProcessEnv): Promise<number> {
  let config: RunnerConfig;
  let instances: readonly InstanceConfig[];
  try {
    config = loadConfig(env, { configPath: options.config });
    instances = selectInstances(config, options.instances);
  } catch (err) {
    // The same report, with the configuration's problems and no instance.
    if (!options.json || !(err instanceof ConfigError)) throw err;
    const out = { ok: false, exitCode: exitCodeOf(err), runner: runnerVersion(), config: { issues: err.issues } };
    process.stdout.write(`${redactor.scrub(JSON.stringify(out, null, 2))}\n`);
    return out.exitCode;
  }
  // The report goes to stdout; the run pipeline's log (errors only, already in the report) to stderr.
  const log = await createLogger({
    level: options.verbose ? 'info' : 'silent',
    format: config.logFormat,
    destination: 2,
  });
  const codes: ExitCodeValue[] = [];
  const bwdc = await checkBwdc(config, env);
  if (bwdc.error) codes.push(exitCodeOf(new BwdcUnusableError(bwdc.error)));
  const stateDirError = await checkStateDir(config.stateDir);
  if (stateDirError) codes.push(exitCodeOf('config'));

  const resolver = createSecretResolver(env, log);
  const shutdown = installShutdown(log, config.shutdownGraceMs);
  const deps = { config, env, secrets: resolver.session(shutdown.hard), log, signal: shutdown.hard };
  const tokens = new TokenCache();
  const report = [];
  for (const inst of instances) {
    // Without a usable bwdc or state folder the directory cannot be tried: the report says which.
    const cannot = bwdc.error
      ? 'bwdc is not usable (see "bwdc" above)'
      : stateDirError && 'the state folder is not writable';
    const { steps, secrets } = await preflight(inst, deps, {
      offline: options.offline || !!cannot,
      ...(cannot ? { offlineWhy: `${cannot}: the directory is not contacted` } : {}),
      notifyTest: !cannot && options.notifyTest,
      notifyTimeoutMs: config.notifyTimeoutMs,
      tokens,
    });
    const failedSteps = steps.filter((s) => s.status === 'failed');
    codes.push(...failedSteps.map((s) => s.exitCode ?? exitCodeOf(s.failureClass ?? 'internal')));
    report.push({
      ...describe(inst, options.verbose),
      ok: failedSteps.length === 0,
      failureClass: failedSteps[0]?.failureClass ?? null,
      steps,
      secrets,
    });
  }
  await resolver.close();
  shutdown.dispose();

  const code = (shutdown.exitCode() as ExitCodeValue | undefined) ?? mostSevereExitCode(codes);
  const out = {
    ok: code === ExitCode.ok,
    exitCode: code,
    runner: runnerVersion(),
    source: config.source,
    stateDir: config.stateDir,
    stateDirError,
    bwdc,
    warnings: config.warnings,
    instances: report,
  };
  if (options.json) {
    process.stdout.write(`${redactor.scrub(JSON.stringify(out, null, 2))}\n`);
    return code;
  }
  const lines = [
    `bwdc-runner ${out.runner}: configuration from ${out.source}`,
    `state folder: ${config.stateDir}${stateDirError ? `  ERROR ${stateDirError}` : '  ok'}`,
    `bwdc: ${bwdc.error ? `ERROR ${bwdc.error}` : `${bwdc.path} (version ${bwdc.version})`}`,
    '',
  ];
  for (const r of report) {
    lines.push(`instance ${r.name}  (${r.origin})${r.ok ? '' : `  FAILED (${r.failureClass})`}`);
    lines.push(
      `  ${r.directory === 'block' ? 'data.json rendered from' : 'data.json template:'} ` +
        `${r.template}${r.directoryType !== undefined ? ` (directoryType ${r.directoryType})` : ''}`,
    );
    lines.push(`  client id: ${r.clientId}   server: ${r.server}   timeout: ${r.timeout}`);
    lines.push(`  login: ${r.login}`);
    for (const s of r.secrets) lines.push(`  ${s.field}: ${s.reference}  ${s.ok ? 'ok' : `ERROR ${s.error}`}`);
    lines.push(
      r.schedule
        ? `  schedule: ${r.schedule} (${r.timezone}); next: ${r.nextRuns.join(', ')}`
        : '  schedule: none (run only)',
    );
    for (const s of r.steps) lines.push(...stepLines(s));
  }
  if (config.warnings.length) lines.push('', 'warnings:', ...config.warnings.map((w) => `  ${w}`));
  lines.push('', code === ExitCode.ok ? 'ok' : `problems found (exit ${code})`);
  process.stdout.write(`${redactor.scrub(lines.join('\n'))}\n`);
  return code;
}

function stepLines(s: StepReport): string[] {
  const status = s.status === 'ok' ? 'ok  ' : s.status === 'skipped' ? 'skip' : 'FAIL';
  const took = s.status === 'skipped' ? '' : ` (${formatDuration(s.durationMs)})`;
  const cls = s.failureClass ? ` [class ${s.failureClass}, exit ${s.exitCode}]` : '';
  const lines = [`  ${status} ${s.step}${took}${cls}: ${s.detail}`];
  if (s.fix) lines.push(`       fix: ${s.fix}`);
  return lines;
}
