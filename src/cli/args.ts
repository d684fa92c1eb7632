// argv -> a command and its options. Nothing else happens here. Which options a command takes, and its
// help, come from help.ts.
import { parseArgs } from 'node:util';
import { ConfigError } from '../errors.js';
import { commandSpecs, options as optionSpecs, type CommandName, type OptionName } from './help.js';

export const commands = ['run', 'test', 'plan', 'approve', 'check', 'schedule', 'config', 'version', 'help'] as const;
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
  /** approve --expires DURATION (text, checked by the command) and --by NAME. */
  expires: string | undefined;
  by: string | undefined;
  /** check --notify-test: send one test message to every notification target. */
  notifyTest: boolean;
  /** check --offline: every step but the directory (no bwdc test). */
  offline: boolean;
  verbose: boolean;
  json: boolean;
  help: boolean;
  version: boolean;
  /** The command whose help was asked for (`run --help`, `help config import`). */
  helpFor: CommandName | undefined;
}

export { usage } from './help.js';

const usageHint = (topic: string) => `\nRun "bwdc-runner ${topic}--help" for usage.`;

/** The options of the command (its spec's, plus --help and --version), as parseArgs takes them. */
function optionsOf(names: readonly OptionName[]) {
  return Object.fromEntries(
    [...names, 'help' as const, 'version' as const].map((n) => {
      const o = optionSpecs[n];
      return [
        n,
        { type: o.type, ...('short' in o ? { short: o.short } : {}), ...('multiple' in o ? { multiple: true } : {}) },
      ];
    }),
  );
}

/** The command named by argv, found before its options are checked (so errors can list them). */
function commandOf(argv: readonly string[]): { topic: CommandName | undefined; positionals: string[] } {
  const { positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: false,
    options: optionsOf(Object.keys(optionSpecs) as OptionName[]),
  });
  const [first, second] = positionals;
  if (first === undefined) return { topic: undefined, positionals };
  if (!(commands as readonly string[]).includes(first))
    throw new ConfigError(`unknown command "${first}"; expected one of: ${commands.join(', ')}${usageHint('')}`);
  if (first === 'config' && (configActions as readonly string[]).includes(second ?? ''))
    return { topic: `config ${second}` as CommandName, positionals };
  return { topic: first === 'help' ? undefined : (first as CommandName), positionals };
}

function strictParse(argv: readonly string[], topic: CommandName | undefined) {
  const allowed: readonly OptionName[] = topic ? commandSpecs[topic].options : ['config'];
  try {
    return parseArgs({ args: [...argv], allowPositionals: true, strict: true, options: optionsOf(allowed) }).values;
  } catch (err) {
    const message = (err as Error).message;
    // node:util parseArgs: "Option '-c, --config <value>' argument missing" (or "is ambiguous", a value
    // starting with "-"): said as the option and what it takes.
    const bare = /Option '.*?--([\w-]+)[^']*' argument (?:missing|is ambiguous)/.exec(message)?.[1];
    if (bare && Object.hasOwn(optionSpecs, bare))
      throw new ConfigError(
        `${topic ?? 'bwdc-runner'}: ${optionSpecs[bare as OptionName].form} needs a value` +
          usageHint(topic ? `${topic} ` : ''),
      );
    const unknown = /Unknown option '([^']+)'/.exec(message)?.[1];
    if (!unknown) throw new ConfigError(`${message}${usageHint(topic ? `${topic} ` : '')}`);
    const valid = [...allowed, 'help' as const].map((n) => optionSpecs[n].form).join(', ');
    throw new ConfigError(
      `${topic ?? 'bwdc-runner'}: unknown option "${unknown}"; its options: ${valid}${usageHint(topic ? `${topic} ` : '')}`,
    );
  }
}

function checkOperands(command: string | undefined, extra: string[]): CliOptions['action'] {
  if (command === 'approve') {
    if (extra.length !== 1)
      throw new ConfigError(
        `approve: expected one plan id (the refusal names it: "plan 3fa9c01b2e")${usageHint('approve ')}`,
      );
    return undefined;
  }
  if (command !== 'config') {
    if (extra.length && command !== 'help')
      throw new ConfigError(`unexpected argument "${extra[0]}"; use --instance NAME to pick instances`);
    return undefined;
  }
  const [act, ...operands] = extra;
  if (!(configActions as readonly string[]).includes(act ?? ''))
    throw new ConfigError(
      `config: expected "config import PATH" or "config render [--instance NAME]"${usageHint('config ')}`,
    );
  if (act === 'import' && operands.length !== 1)
    throw new ConfigError(`config import: expected one path, the data.json to convert${usageHint('config import ')}`);
  if (act === 'render' && operands.length)
    throw new ConfigError(`unexpected argument "${operands[0]}"; use --instance NAME to pick instances`);
  extra.splice(0, extra.length, ...operands);
  return act as CliOptions['action'];
}

export function parseCli(argv: readonly string[]): CliOptions {
  const { topic, positionals } = commandOf(argv);
  const [command, ...extra] = positionals as [Command | undefined, ...string[]];
  // `help [command]` and `<command> --help`: the help of that command, whatever else is on the line.
  const helpTopic = command === 'help' ? extra.join(' ') : topic;
  if (command === 'help' && helpTopic && !Object.hasOwn(commandSpecs, helpTopic))
    throw new ConfigError(
      `help: unknown command "${helpTopic}"; expected one of: ${Object.keys(commandSpecs).join(', ')}`,
    );
  const v = strictParse(argv, command === 'help' ? undefined : topic) as Record<string, unknown>;
  const help = v.help === true || command === 'help';
  const action = help ? undefined : checkOperands(command, extra);
  const allow = v['allow-removals'] as string | undefined;
  if (allow !== undefined && !/^\d+$/.test(allow))
    throw new ConfigError(`--allow-removals: "${allow}" is not a count; expected a whole number such as 250`);
  return {
    command,
    action,
    operands: extra,
    config: v.config as string | undefined,
    instances: (v.instance as string[] | undefined) ?? [],
    allowRemovals: allow === undefined ? undefined : Number(allow),
    expires: v.expires as string | undefined,
    by: v.by as string | undefined,
    notifyTest: v['notify-test'] === true,
    offline: v.offline === true,
    verbose: v.verbose === true,
    json: v.json === true,
    help,
    version: v.version === true,
    helpFor: help ? ((helpTopic || undefined) as CommandName | undefined) : undefined,
  };
}
