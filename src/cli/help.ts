// The commands, their options and their help: one table that `--help`, the argument checks and
// docs/commands.md (checked by test/docs.test.ts) all follow.

export interface OptionSpec {
  short?: string;
  type: 'string' | 'boolean';
  multiple?: boolean;
  /** How the option is written in help: "-c, --config PATH". */
  form: string;
  text: string;
}

export const options = {
  config: {
    short: 'c',
    type: 'string',
    form: '-c, --config PATH',
    text: 'the configuration file (YAML or JSON); default BWDC_RUNNER_CONFIG',
  },
  instance: {
    short: 'i',
    type: 'string',
    multiple: true,
    form: '-i, --instance NAME',
    text: 'only this instance (repeatable); default: all',
  },
  verbose: {
    short: 'v',
    type: 'boolean',
    form: '-v, --verbose',
    text: 'also log the users and groups bwdc would sync',
  },
  json: { type: 'boolean', form: '--json', text: 'print the report as JSON' },
  'allow-removals': {
    type: 'string',
    form: '--allow-removals N',
    text: 'this once, let the sync remove up to N members past the guard rails (or BWDC_ALLOW_REMOVALS=N)',
  },
  expires: {
    type: 'string',
    form: '--expires DURATION',
    text: 'approve: how long the approval stands (24h, 30m, 2d); default 24h',
  },
  by: {
    type: 'string',
    form: '--by NAME',
    text: 'approve: who approves (kept with the approval); default $USER',
  },
  'notify-test': {
    type: 'boolean',
    form: '--notify-test',
    text: 'send one test message to every notification target and the heartbeat (<url>/log)',
  },
  offline: {
    type: 'boolean',
    form: '--offline',
    text: 'skip the directory step (no bwdc test); every other step still runs',
  },
  help: { short: 'h', type: 'boolean', form: '-h, --help', text: 'this help' },
  version: { short: 'V', type: 'boolean', form: '-V, --version', text: "the runner's and bwdc's versions" },
} satisfies Record<string, OptionSpec>;

export type OptionName = keyof typeof options;

export interface CommandSpec {
  usage: string;
  summary: string;
  /** Lines under the summary. */
  details: readonly string[];
  options: readonly OptionName[];
  example: string;
}

const instanceOptions = ['config', 'instance'] as const;

export const commandSpecs = {
  run: {
    usage: 'run [--instance NAME]... [--allow-removals N]',
    summary: 'one sync of the selected instances, then exit (what a cron job or a Kubernetes CronJob calls)',
    details: [
      'Each instance: lock, prepare its state folder, resolve its secrets, log in, bwdc sync, tidy up.',
      'The exit code is the most severe of the instances (see "Exit codes" below).',
    ],
    options: [...instanceOptions, 'allow-removals'],
    example: 'bwdc-runner run -c /etc/bwdc-runner/config.yaml --instance corp-ad',
  },
  test: {
    usage: 'test [--instance NAME]... [--verbose]',
    summary: 'dry run (bwdc test): what would be synced; changes nothing in Bitwarden',
    details: ['Logs the number of users and groups the directory returns for each instance.'],
    options: [...instanceOptions, 'verbose'],
    example: 'bwdc-runner test --instance corp-ad --verbose',
  },
  plan: {
    usage: 'plan [--instance NAME]... [--json]',
    summary: 'what a sync would change in the organization; changes nothing',
    details: [
      'Runs bwdc test and reads the organization through the Public API: members to invite, remove',
      '(and why), link, skip; groups; seats; whether the guard rails would stop the sync.',
    ],
    options: [...instanceOptions, 'json'],
    example: 'bwdc-runner plan --instance corp-ad --json',
  },
  approve: {
    usage: 'approve PLAN_ID [--instance NAME] [--expires 24h] [--by NAME]',
    summary: 'let exactly the sync the guard rails refused (its plan id) through once',
    details: [
      "Kept in the instance's state folder with who and when: the next sync whose removals and ended",
      'memberships lie within the refused plan passes once (scheduled runs pick it up at their next tick);',
      'an expired or used approval lets nothing through. PLAN_ID is in the refusal (log, status, notice).',
    ],
    options: [...instanceOptions, 'expires', 'by'],
    example: 'bwdc-runner approve 3fa9c01b2e --instance corp-ad --by alice',
  },
  schedule: {
    usage: 'schedule',
    summary: "long-running: every instance on its own schedule (the image's default command)",
    details: [
      'Serves /healthz /readyz /metrics /status on BWDC_HTTP_PORT (default 8080). SIGHUP or a changed',
      'configuration file reloads; SIGTERM lets running syncs finish within BWDC_SHUTDOWN_GRACE.',
    ],
    options: ['config'],
    example: 'BWDC_SCHEDULE="*/30 * * * *" bwdc-runner schedule',
  },
  check: {
    usage: 'check [--instance NAME]... [--json] [--offline] [--notify-test]',
    summary: 'is this configuration ready to run? Changes nothing',
    details: [
      'Proves the deployment, per instance, each step timed: the secrets resolve, the API key gets a',
      'token, the directory answers (bwdc test: user and group counts), the Public API the import gate',
      'reads answers, notification targets resolve; a failed step names its class, exit code and fix.',
    ],
    options: [...instanceOptions, 'json', 'offline', 'notify-test'],
    example: 'bwdc-runner check -c config.yaml',
  },
  config: {
    usage: 'config import PATH | config render [--instance NAME]...',
    summary: 'convert a bwdc data.json into a config file, or show the data.json an instance gives bwdc',
    details: [
      'config import PATH      a complete config file from a data.json (credentials as references to fill in)',
      'config render           the data.json of each instance, secrets masked (no secret is resolved)',
    ],
    options: [],
    example: 'bwdc-runner config import data.json > config.yaml',
  },
  'config import': {
    usage: 'config import PATH',
    summary: 'a complete, loadable config file (YAML) from a bwdc data.json (e.g. a desktop export)',
    details: [
      'Prints one instance with its directory and sync blocks, the server (every per-service URL of a',
      'self-hosted server is kept, or the import refuses), the client id, and secret references to fill in',
      "for the client secret and the directory's secret. No secret is copied. Changes nothing.",
    ],
    options: [],
    example: 'bwdc-runner config import ~/.config/"Bitwarden Directory Connector"/data.json > corp.yaml',
  },
  'config render': {
    usage: 'config render [--instance NAME]...',
    summary: 'the data.json the runner gives bwdc for each selected instance, secrets masked',
    details: ['Rendered from the directory block, or the template, with the server applied. Resolves no secret.'],
    options: [...instanceOptions],
    example: 'bwdc-runner config render -c corp.yaml --instance corp-ad > data.json',
  },
  version: {
    usage: 'version',
    summary: "the runner's version and bwdc's",
    details: ["bwdc's from a VERSION file beside the binary when there is one, else bwdc --version."],
    options: [],
    example: 'bwdc-runner version',
  },
} satisfies Record<string, CommandSpec>;

export type CommandName = keyof typeof commandSpecs;

const exitCodes = `Exit codes: 0 ok, 1 a sync failed (or the guard rails stopped it), 2 configuration or usage error,
3 a secret could not be resolved, 4 bwdc missing or unusable, 75 skipped (instance locked by another run),
130/143 interrupted by SIGINT/SIGTERM.`;

const optionLines = (names: readonly OptionName[]) =>
  names.map((n) => `  ${options[n].form.padEnd(22)}${options[n].text}`);

export function commandHelp(name: CommandName): string {
  const spec: CommandSpec = commandSpecs[name];
  return [
    `Usage: bwdc-runner ${spec.usage}`,
    '',
    `${spec.summary[0]!.toUpperCase()}${spec.summary.slice(1)}.`,
    ...spec.details,
    '',
    'Options:',
    ...optionLines([...spec.options, 'help']),
    '',
    'Example:',
    `  ${spec.example}`,
    '',
    exitCodes,
  ].join('\n');
}

export function usage(): string {
  const commands = (Object.keys(commandSpecs) as CommandName[]).filter((n) => !n.startsWith('config '));
  return [
    'Usage: bwdc-runner <command> [options]',
    '',
    'Runs the Bitwarden Directory Connector CLI (bwdc) unattended, for one or many directory instances.',
    '',
    'Commands:',
    ...commands.map((n) => `  ${n.padEnd(10)}${commandSpecs[n].summary}`),
    '',
    'Options:',
    ...optionLines(['config', 'help', 'version']),
    '',
    '"bwdc-runner <command> --help" shows a command\'s options and an example. Without a configuration file',
    'the single instance comes from the environment (BW_CLIENTID, BW_CLIENTSECRET or BW_CLIENTSECRET_FILE,',
    'BWDC_DIRECTORY_TYPE or BWDC_DATA_JSON, ...) or from the subfolders of BWDC_INSTANCES_DIR.',
    'Every variable: docs/reference/environment.md.',
    '',
    exitCodes,
  ].join('\n');
}
