// The help text, rendered from the command table (command-table.ts): `--help`, `help COMMAND` and the
// usage line all follow it, and docs/commands.md with them (test/docs.test.ts).
import { commandTable, options, type CommandName, type CommandSpec, type OptionName } from './command-table.js';

const exitCodes = `Exit codes: 0 ok, 1 a sync failed (or the guard rails stopped it), 2 a configuration or usage error (class config),
3 a secret could not be resolved, 4 bwdc missing or unusable, 75 skipped (instance locked by another run, or paused),
130/143 interrupted by SIGINT/SIGTERM.`;

const optionLines = (names: readonly OptionName[]) =>
  names.map((n) => `  ${options[n].form.padEnd(22)}${options[n].text}`);

export function commandHelp(name: CommandName): string {
  const spec: CommandSpec = commandTable[name];
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
  const commands = (Object.keys(commandTable) as CommandName[]).filter((n) => !n.startsWith('config '));
  return [
    'Usage: bwdc-runner <command> [options]',
    '',
    'Runs the Bitwarden Directory Connector CLI (bwdc) unattended, for one or many directory instances.',
    '',
    'Commands:',
    ...commands.map((n) => `  ${n.padEnd(10)}${commandTable[n].summary}`),
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
