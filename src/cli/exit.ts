// How the process ends once its command returned: the exit code is final and every line is written,
// so nothing a library still holds open (the Secrets Manager SDK's call to an endpoint that never
// answers, a keep-alive socket, a timer) may keep the process alive. A CronJob's Pod would otherwise
// run until its deadline (docs/design.md "Commands and exit codes").

/** The longest the process waits for stdout and stderr to take what is queued on them. */
export const FLUSH_MS = 2_000;

/** Resolves once everything written to `stream` so far has been handed to the OS (or at once). */
function drained(stream: NodeJS.WriteStream): Promise<void> {
  if (stream.destroyed || stream.writableLength === 0) return Promise.resolve();
  return new Promise((resolve) => stream.write('', () => resolve()));
}

/** Flushes the standard streams (bounded by FLUSH_MS), then exits with `code`. */
export async function exitWith(code: number): Promise<never> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<void>((resolve) => (timer = setTimeout(resolve, FLUSH_MS)));
  await Promise.race([Promise.all([drained(process.stdout), drained(process.stderr)]), bound]);
  clearTimeout(timer);
  process.exit(code);
}
