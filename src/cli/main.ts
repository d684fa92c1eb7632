// The entry point: parse argv, hand over to the command, end with the exit code of what it threw
// (exitCodeOf, src/errors.ts). No work here: the command table (command-table.ts) names the handler, whose
// module is imported only then, so `--version` and `--help` load next to nothing.
// Every run does a handful of file operations on libuv's thread pool (4 threads by default); with
// many runs at once (`schedule`) they queue behind each other, so it gets 16. A one-shot command keeps
// libuv's 4: the pool starts all its threads at its first use and waits for each, ~80 ms for 16 on a
// loaded 2-core machine (bench/README.md "A real run"). Set before the pool is first used.
if (process.argv.includes('schedule')) process.env.UV_THREADPOOL_SIZE ??= '16';
// bwdc rewrites data.json through a temporary file and a rename, so each of its writes leaves the file
// at 0666 & ~umask: 0644 under the usual 022, with the API key's secret inside. Under 077 it stays 0600;
// the runner's own files are written with explicit modes anyway. Children (bwdc) inherit it.
process.umask(0o077);
import { parseCli, usage } from './args.js';
import { commandHelp } from './help.js';
import { commandTable, type CommandName, type CommandSpec } from './command-table.js';
import { errorMessage, exitCodeOf, failureClassOf } from '../errors.js';
import { redactor } from '../observability/redact.js';
import { exitWith } from './exit.js';

async function main(argv: readonly string[]): Promise<number> {
  const options = parseCli(argv);
  if (options.help) {
    process.stdout.write(`${options.helpFor ? commandHelp(options.helpFor as CommandName) : usage()}\n`);
    return 0;
  }
  if (options.version) options.command = 'version';
  if (!options.command) {
    process.stderr.write(`${usage()}\n`);
    return 2;
  }
  // args.ts let through only the table's commands (and `help`, answered above).
  const spec: CommandSpec = commandTable[options.command as CommandName];
  const handler = await spec.load!();
  return handler(options, process.env);
}

// Whatever the outcome, the process ends here, with its code, once its lines are written (cli/exit.ts).
main(process.argv.slice(2)).then(
  (code) => exitWith(code),
  (err: unknown) => {
    // Every message passes the redactor: an error may quote bwdc or a backend.
    process.stderr.write(`bwdc-runner: ${redactor.scrub(errorMessage(err))}\n`);
    // An error of no known class is a bug: its stack helps, when asked for. LOG_LEVEL is read as is: this error
    // may be the configuration failing to load.
    if (failureClassOf(err) === 'internal' && err instanceof Error && process.env.LOG_LEVEL === 'debug')
      process.stderr.write(`${redactor.scrub(err.stack ?? '')}\n`);
    return exitWith(exitCodeOf(err));
  },
);
