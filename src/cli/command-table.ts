// The commands: one table of each command's name, options, help and lazily loaded handler. argv is
// checked against it (args.ts), `--help` renders it (help.ts), main.ts runs the handler it names, and
// docs/commands.md follows it (test/docs.test.ts). A new command is one entry here and its module in
// commands/.
import type { CliOptions } from './cli-options.js';

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
  since: {
    type: 'string',
    form: '--since DURATION',
    text: 'only entries newer than this, e.g. 7d, 12h (default: all that are kept)',
  },
  reason: {
    type: 'string',
    form: '--reason TEXT',
    text: 'why, shown in /status, the status page and the skipped runs (default "paused by hand")',
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
  shard: {
    type: 'string',
    form: '--shard I/N',
    text: 'run only shard I (from 0) of N: the instances rendezvous hashing gives it (or BWDC_SHARD=I/N, auto/N)',
  },
  help: { short: 'h', type: 'boolean', form: '-h, --help', text: 'this help' },
  version: { short: 'V', type: 'boolean', form: '-V, --version', text: "the runner's and bwdc's versions" },
} satisfies Record<string, OptionSpec>;

export type OptionName = keyof typeof options;

/** What a command does with what argv said; its exit code. */
export type Handler = (options: CliOptions, env: NodeJS.ProcessEnv) => number | Promise<number>;

export interface CommandSpec {
  usage: string;
  summary: string;
  /** Lines under the summary. */
  details: readonly string[];
  /** The options it takes (besides --help and --version): argv is checked against them. */
  options: readonly OptionName[];
  example: string;
  /**
   * Its handler, imported when the command runs, so `--version` and `--help` load next to nothing. A help
   * topic of another command's (`config import`) has none: that command's handler serves it.
   */
  load?: () => Promise<Handler>;
}

const instanceOptions = ['config', 'instance'] as const;

export const commandTable = {
  run: {
    usage: 'run [--instance NAME]... [--allow-removals N]',
    summary: 'one sync of the selected instances, then exit (what a cron job or a Kubernetes CronJob calls)',
    details: [
      'Each instance: lock, prepare its state folder, resolve its secrets, log in, bwdc sync, tidy up.',
      'The exit code is the most severe of the instances (see "Exit codes" below).',
    ],
    options: [...instanceOptions, 'allow-removals'],
    example: 'bwdc-runner run -c /etc/bwdc-runner/config.yaml --instance corp-ad',
    load: () => import('./commands/run.js').then((m) => m.runCommand),
  },
  test: {
    usage: 'test [--instance NAME]... [--verbose]',
    summary: 'dry run (bwdc test): what would be synced; changes nothing in Bitwarden',
    details: ['Logs the number of users and groups the directory returns for each instance.'],
    options: [...instanceOptions, 'verbose'],
    example: 'bwdc-runner test --instance corp-ad --verbose',
    load: () => import('./commands/run.js').then((m) => m.runCommand),
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
    load: () => import('./commands/plan.js').then((m) => m.planCommand),
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
    load: () => import('./commands/approve.js').then((m) => m.approveCommand),
  },
  schedule: {
    usage: 'schedule [--shard I/N]',
    summary: "long-running: every instance on its own schedule (the image's default command)",
    details: [
      'Serves /healthz /readyz /metrics /status on BWDC_HTTP_PORT (default 8080). SIGHUP or a changed',
      'configuration file reloads; SIGTERM lets running syncs finish within BWDC_SHUTDOWN_GRACE.',
      'With --shard I/N (or BWDC_SHARD), N processes share one configuration, each instance run by one.',
    ],
    options: ['config', 'shard'],
    example: 'BWDC_SCHEDULE="*/30 * * * *" bwdc-runner schedule',
    load: () => import('./commands/schedule.js').then((m) => m.scheduleCommand),
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
    load: () => import('./commands/check.js').then((m) => m.checkCommand),
  },
  history: {
    usage: 'history [--instance NAME]... [--since 7d] [--json]',
    summary: 'what each sync changed: invited, removed (and why), linked, groups; refusals, pauses',
    details: [
      "Reads each instance's history.jsonl in its state folder (kept BWDC_HISTORY_MAX_AGE, at most",
      'BWDC_HISTORY_MAX_SIZE): a table of one line per entry, or every name with --json. Changes nothing.',
    ],
    options: [...instanceOptions, 'since', 'json'],
    example: 'bwdc-runner history --instance corp-ad --since 7d',
    load: () => import('./commands/history.js').then((m) => m.historyCommand),
  },
  pause: {
    usage: 'pause NAME [--reason TEXT]',
    summary: 'stop syncing one instance until resumed (run exits 75 for it; schedule skips it)',
    details: [
      "Kept in the instance's state folder (pause.json): it holds across restarts, reloads and replicas.",
      'schedule skips it from its next tick, without a restart.',
    ],
    options: ['config', 'reason'],
    example: 'bwdc-runner pause corp-ad --reason "AD migration this weekend"',
    load: () => import('./commands/pause.js').then((m) => m.pauseCommand),
  },
  resume: {
    usage: 'resume NAME',
    summary: 'end a pause or a quarantine; the failures in a row start again from 0',
    details: ['The next run (or schedule tick) syncs again.'],
    options: ['config'],
    example: 'bwdc-runner resume corp-ad',
    load: () => import('./commands/pause.js').then((m) => m.pauseCommand),
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
    load: () => import('./commands/config.js').then((m) => m.configCommand),
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
    load: () =>
      import('./commands/version.js').then(
        (m) => (_options: CliOptions, env: NodeJS.ProcessEnv) => m.printVersion(env),
      ),
  },
} satisfies Record<string, CommandSpec>;

export type CommandName = keyof typeof commandTable;

/** The commands argv may name first (a help topic such as `config import` is named by its command). */
export const topLevelCommands = (Object.keys(commandTable) as CommandName[]).filter((n) => !n.includes(' '));

/** `config` ACTION: the help topics of the config command. */
export const configActions = ['import', 'render'] as const;
