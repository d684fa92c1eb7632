// What argv says, as every command's handler gets it: the command, its operands and every option (cli/args.ts
// parses argv against the command table, command-table.ts). Only a type, importing nothing: the table's
// handlers take it, so it cannot name the table's types without an import circle; args.ts checks the names.

export interface CliOptions {
  /** A top-level command of the table (command-table.ts), or `help`; args.ts accepts no other. */
  command: string | undefined;
  /** `config import PATH` / `config render`: the action and its operands. */
  action: 'import' | 'render' | undefined;
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
  /** schedule --shard I/N: run only this shard's instances (src/scheduler/shard.ts). */
  shard: string | undefined;
  /** check --offline: every step but the directory (no bwdc test). */
  offline: boolean;
  /** pause --reason TEXT. */
  reason: string | undefined;
  /** history --since 7d: milliseconds back from now. */
  sinceMs: number | undefined;
  verbose: boolean;
  json: boolean;
  help: boolean;
  version: boolean;
  /** The command whose help was asked for (`run --help`, `help config import`). */
  helpFor: string | undefined;
}
