// argv -> a command and its options. Nothing else happens here. Which commands there are and which
// options each takes come from the command table (command-table.ts).
import { parseArgs } from 'node:util';
import { ConfigError } from '../errors.js';
import { parseDuration } from '../shared/duration.js';
import type { CliOptions } from './cli-options.js';
import {
  commandTable,
  configActions,
  options as optionSpecs,
  topLevelCommands,
  type CommandName,
  type OptionName,
} from './command-table.js';

/** What argv may name first: the table's commands, and `help`. */
export const commands = [...topLevelCommands, 'help'] as const;

export type { CliOptions } from './cli-options.js';

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
  const allowed: readonly OptionName[] = topic ? commandTable[topic].options : ['config'];
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
  if (command === 'pause' || command === 'resume') {
    if (extra.length !== 1)
      throw new ConfigError(
        `${command}: expected one instance name, e.g. "bwdc-runner ${command} corp-ad"${usageHint(`${command} `)}`,
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
  const [command, ...extra] = positionals as [string | undefined, ...string[]];
  // `help [command]` and `<command> --help`: the help of that command, whatever else is on the line.
  const helpTopic = command === 'help' ? extra.join(' ') : topic;
  if (command === 'help' && helpTopic && !Object.hasOwn(commandTable, helpTopic))
    throw new ConfigError(
      `help: unknown command "${helpTopic}"; expected one of: ${Object.keys(commandTable).join(', ')}`,
    );
  const v = strictParse(argv, command === 'help' ? undefined : topic) as Record<string, unknown>;
  const help = v.help === true || command === 'help';
  const action = help ? undefined : checkOperands(command, extra);
  const allow = v['allow-removals'] as string | undefined;
  if (allow !== undefined && !/^\d+$/.test(allow))
    throw new ConfigError(`--allow-removals: "${allow}" is not a count; expected a whole number such as 250`);
  const since = v.since as string | undefined;
  const sinceMs = since === undefined ? undefined : parseDuration(since);
  if (since !== undefined && (sinceMs === undefined || sinceMs <= 0))
    throw new ConfigError(`--since: "${since}" is not a duration; expected e.g. 7d, 12h or 30m`);
  const reason = v.reason as string | undefined;
  if (reason !== undefined && reason.trim() === '')
    throw new ConfigError('--reason: expected some text, e.g. --reason "AD migration"');
  return {
    command,
    action,
    reason,
    sinceMs,
    operands: extra,
    config: v.config as string | undefined,
    instances: (v.instance as string[] | undefined) ?? [],
    allowRemovals: allow === undefined ? undefined : Number(allow),
    expires: v.expires as string | undefined,
    by: v.by as string | undefined,
    notifyTest: v['notify-test'] === true,
    offline: v.offline === true,
    shard: v.shard as string | undefined,
    verbose: v.verbose === true,
    json: v.json === true,
    help,
    version: v.version === true,
    helpFor: help ? helpTopic || undefined : undefined,
  };
}
