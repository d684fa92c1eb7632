// `check`: is this configuration ready to run? Validates (loadConfig throws on any problem),
// resolves every secret reference without printing a value, checks bwdc and the state folder,
// and prints each instance with its next run times.
import { access, constants, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { Cron } from 'croner';
import { effectiveTimezone } from '../../scheduler/timing.js';
import { bwdcVersion, childBaseEnv } from '../../bwdc/client.js';
import { bundledVersion, resolveBwdcPath } from '../../bwdc/locate.js';
import { loadConfig, selectInstances } from '../../config/load.js';
import { formatDuration } from '../../shared/duration.js';
import { ExitCode, errorMessage, mostSevereExitCode, type ExitCodeValue } from '../../errors.js';
import { createLogger } from '../../observability/logger.js';
import { redactor } from '../../observability/redact.js';
import { createSecretResolver } from '../../secrets/index.js';
import { parseSecretRef } from '../../shared/secret-ref.js';
import { runnerVersion } from '../../version.js';
import type { CliOptions } from '../args.js';
import { defaultDelivery, deliver } from '../../notify/deliver.js';
import { body, type RunSummary } from '../../notify/payload.js';
import { isLiteralUrl } from '../../notify/decide.js';
import { resolveUrl } from '../../runner/tell.js';

function testSummary(instance: string): RunSummary {
  return {
    instance,
    runId: 'test',
    outcome: 'success',
    failureClass: undefined,
    exitCode: 0,
    message: 'a test message: notifications reach this target',
    users: undefined,
    groups: undefined,
    durationMs: 0,
    consecutiveFailures: 0,
    endedAt: new Date(),
  };
}

interface SecretCheck {
  field: string;
  reference: string;
  ok: boolean;
  error?: string;
}

export async function checkCommand(options: CliOptions, env: NodeJS.ProcessEnv): Promise<number> {
  const config = loadConfig(env, { configPath: options.config });
  const instances = selectInstances(config, options.instances);
  // Logs would interleave with the report: only warnings and worse go to the log here.
  const log = await createLogger({ level: 'warn', format: config.logFormat });
  const codes: ExitCodeValue[] = [];

  const bwdcPath = resolveBwdcPath(config.bwdcPath, env);
  let bwdc: { path: string | undefined; version?: string; error?: string };
  if (!bwdcPath)
    bwdc = {
      path: undefined,
      error: `bwdc not found (${config.bwdcPath ? `BWDC_PATH=${config.bwdcPath}` : 'not on PATH'})`,
    };
  else {
    try {
      const version =
        bundledVersion(bwdcPath) ??
        (await bwdcVersion(bwdcPath, childBaseEnv(env, config.stateDir, config.passEnv), 15_000, [
          tmpdir(),
          config.stateDir,
        ]));
      bwdc = { path: bwdcPath, version };
    } catch (err) {
      bwdc = { path: bwdcPath, error: errorMessage(err) };
    }
  }
  if (bwdc.error) codes.push(ExitCode.bwdcUnusable);

  let stateDirError: string | undefined;
  try {
    await mkdir(config.stateDir, { recursive: true, mode: 0o700 });
    await access(config.stateDir, constants.W_OK);
  } catch (err) {
    stateDirError = `not writable: ${(err as NodeJS.ErrnoException).code ?? errorMessage(err)}`;
    codes.push(ExitCode.config);
  }

  const resolver = createSecretResolver(env, log);
  const session = resolver.session();
  const report = [];
  for (const inst of instances) {
    const secrets: SecretCheck[] = [];
    for (const [field, text] of [
      ['clientSecret', inst.clientSecret],
      ['directorySecret', inst.directorySecret],
    ] as const) {
      if (text === undefined) continue;
      const ref = parseSecretRef(text);
      const reference = ref.kind === 'ref' ? ref.text : 'literal value';
      try {
        await session.resolve(text, `${inst.origin} ${field}`);
        secrets.push({ field, reference, ok: true });
      } catch (err) {
        secrets.push({ field, reference, ok: false, error: redactor.scrub(errorMessage(err)) });
        codes.push(ExitCode.secret);
      }
    }
    // Notification targets and the heartbeat: the URL (a secret) resolved, never shown; sent to only on request.
    for (const [field, text, target] of [
      ...inst.notify.map((t) => [`notify ${t.label}`, t.url, t] as const),
      ...(inst.heartbeat ? [['heartbeat', inst.heartbeat, undefined] as const] : []),
    ]) {
      const reference = isLiteralUrl(text)
        ? 'literal URL'
        : parseSecretRef(text).kind === 'ref'
          ? text
          : 'literal value';
      try {
        const url = await resolveUrl(text, session, `${inst.origin} ${field}`);
        new URL(url);
        let sent = '';
        if (target && options.notifyTest) {
          const d = await deliver(
            url,
            { method: 'POST', json: body(target.format, 'test', testSummary(inst.name), runnerVersion()) },
            { ...defaultDelivery, timeoutMs: config.notifyTimeoutMs },
          );
          if (!d.ok) throw new Error(`the test message was not delivered: ${d.detail}`);
          sent = ', test message delivered';
        }
        secrets.push({ field: `${field}${sent}`, reference, ok: true });
      } catch (err) {
        secrets.push({ field, reference, ok: false, error: redactor.scrub(errorMessage(err)) });
        codes.push(ExitCode.secret);
      }
    }
    let nextRuns: string[] = [];
    if (inst.schedule) {
      const job = new Cron(inst.schedule, { timezone: inst.timezone, paused: true });
      nextRuns = job.nextRuns(options.verbose ? 5 : 3).map((d) => d.toISOString());
      job.stop();
    }
    report.push({
      name: inst.name,
      origin: inst.origin,
      template: inst.dataJson.origin,
      directoryType: inst.dataJson.directoryType,
      directory: inst.dataJson.rendered ? 'block' : 'template',
      clientId: inst.clientId,
      server: inst.server === undefined ? 'as in data.json' : inst.server || 'US cloud',
      schedule: inst.schedule ?? null,
      timezone: effectiveTimezone(inst.timezone),
      nextRuns,
      timeout: formatDuration(inst.timeoutMs),
      login: inst.login === 'runner' ? 'runner (one bwdc start per run)' : 'bwdc (login and config, then sync)',
      secrets,
    });
  }
  await resolver.close();

  const code = mostSevereExitCode(codes);
  const out = {
    ok: code === ExitCode.ok,
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
    lines.push(`instance ${r.name}  (${r.origin})`);
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
  }
  if (config.warnings.length) lines.push('', 'warnings:', ...config.warnings.map((w) => `  ${w}`));
  lines.push('', code === ExitCode.ok ? 'ok' : `problems found (exit ${code})`);
  process.stdout.write(`${redactor.scrub(lines.join('\n'))}\n`);
  return code;
}
