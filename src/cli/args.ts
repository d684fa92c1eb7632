// argv -> a command and its options. Nothing else happens here.
import { parseArgs } from 'node:util';
import { ConfigError } from '../errors.js';

export const commands = ['run', 'test', 'plan', 'check', 'schedule', 'config'] as const;
export const configActions = ['import', 'render'] as const;
export type Command = (typeof commands)[number];

export interface CliOptions {
  command: Command | undefined;
  /** `config import PATH` / `config render`: the action and its operands. */
  action: (typeof configActions)[number] | undefined;
  operands: string[];
  config: string | undefined;
  instances: string[];
  /** run --allow-removals N: this once, up to N removals pass the guard rails. */
  allowRemovals: number | undefined;
  /** check --notify-test: send one test message to every notification target. */
  notifyTest: boolean;
  /** check --offline: every step but the directory (no bwdc test). */
  offline: boolean;
  verbose: boolean;
  json: boolean;
  help: boolean;
  version: boolean;
}

export const usage = `Usage: bwdc-runner <command> [options]

Runs the Bitwarden Directory Connector CLI (bwdc) unattended, for one or many directory instances.

Commands:
  run [--instance NAME]...    one sync of the selected (default: all) instances, then exit
  test [--instance NAME]...   dry run (bwdc test): what would be synced; changes nothing
  plan [--instance NAME]... [--json]
                              what a sync would change in the organization (bwdc test + the
                              Public API): invitations, removals and why, links, skipped
                              emails, groups, seats; changes nothing
  schedule                    long-running: every instance on its own schedule, with HTTP
                              endpoints /healthz /readyz /metrics /status (the image's default)
  check [--instance NAME]... [--offline] [--notify-test] [--json]
                              prove the deployment, per instance, each step timed: secrets
                              resolve, the API key gets a token, the directory answers (bwdc
                              test: user and group counts), a guarded instance reads the Public
                              API, notification targets resolve; the fix for each failure
  config import PATH          a bwdc data.json (e.g. a desktop export) as directory and sync
                              blocks (YAML), secrets left out, with the references to set
  config render [--instance NAME]
                              the data.json the runner gives bwdc, secrets masked

Options:
  -c, --config PATH     configuration file (YAML or JSON); default BWDC_RUNNER_CONFIG
  -i, --instance NAME   only this instance (repeatable)
  -v, --verbose         test: list the users and groups; check: more detail
      --json            check, plan: print the report as JSON
      --notify-test     check: send one test message to every notification target and
                        the heartbeat (<url>/log)
      --offline         check: skip the directory step (no bwdc test)
      --allow-removals N
                        run: this once, let a sync remove up to N members past the guard
                        rails (BWDC_ALLOW_REMOVALS)
  -h, --help            this help
  -V, --version         the runner's and bwdc's versions

Without a configuration file the single instance comes from the environment (BW_CLIENTID,
BW_CLIENTSECRET or BW_CLIENTSECRET_FILE, BWDC_DATA_JSON, ...) or from the subfolders of
BWDC_INSTANCES_DIR. See README.md for every variable.

Exit codes: 0 ok, 1 a sync failed (or the guard rails stopped it), 2 configuration or usage error, 3 a secret could not be
resolved, 4 bwdc missing or unusable, 75 skipped (instance locked by another run),
130/143 interrupted by SIGINT/SIGTERM.`;

export function parseCli(argv: readonly string[]): CliOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        config: { type: 'string', short: 'c' },
        instance: { type: 'string', short: 'i', multiple: true },
        verbose: { type: 'boolean', short: 'v', default: false },
        json: { type: 'boolean', default: false },
        'allow-removals': { type: 'string' },
        'notify-test': { type: 'boolean', default: false },
        offline: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
        version: { type: 'boolean', short: 'V', default: false },
      },
    });
  } catch (err) {
    throw new ConfigError(`${(err as Error).message}\nRun "bwdc-runner --help" for usage.`);
  }
  const [command, ...extra] = parsed.positionals;
  if (command !== undefined && !(commands as readonly string[]).includes(command)) {
    throw new ConfigError(
      `unknown command "${command}"; expected one of: ${commands.join(', ')}\nRun "bwdc-runner --help" for usage.`,
    );
  }
  let action: CliOptions['action'];
  if (command === 'config') {
    const [act, ...operands] = extra;
    if (!(configActions as readonly string[]).includes(act ?? ''))
      throw new ConfigError(`config: expected "config import PATH" or "config render [--instance NAME]"`);
    action = act as CliOptions['action'];
    if (action === 'import' && operands.length !== 1)
      throw new ConfigError('config import: expected one path, the data.json to convert');
    if (action === 'render' && operands.length)
      throw new ConfigError(`unexpected argument "${operands[0]}"; use --instance NAME to pick instances`);
    extra.splice(0, extra.length, ...operands);
  } else if (extra.length)
    throw new ConfigError(`unexpected argument "${extra[0]}"; use --instance NAME to pick instances`);
  const v = parsed.values;
  const allow = v['allow-removals'];
  if (allow !== undefined && !/^\d+$/.test(allow))
    throw new ConfigError(`--allow-removals: "${allow}" is not a count; expected a whole number such as 250`);
  if (allow !== undefined && command !== 'run') throw new ConfigError('--allow-removals: only for run');
  if (v['notify-test'] && command !== 'check') throw new ConfigError('--notify-test: only for check');
  if (v.offline && command !== 'check') throw new ConfigError('--offline: only for check');
  return {
    allowRemovals: allow === undefined ? undefined : Number(allow),
    notifyTest: v['notify-test'] ?? false,
    offline: v.offline ?? false,
    command: command as Command | undefined,
    action,
    operands: extra,
    config: v.config,
    instances: v.instance ?? [],
    verbose: v.verbose ?? false,
    json: v.json ?? false,
    help: v.help ?? false,
    version: v.version ?? false,
  };
}
