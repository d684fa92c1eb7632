// One contender of the lock stress test (test/state.test.ts): waits for the start file, then tries
// to take each round's lock once, as its own process, and prints what happened per round. Locks won
// are kept (never released), so a second winner of a round is a double acquisition. It stays alive
// until the stop file appears: a contender that exited early would leave dead holders, whose locks a
// slower contender then takes over, rightly.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { acquireLock } from '../../src/state/lock.js';
import { LockedError } from '../../src/errors.js';

const [dir, roundsText, goFile, stopFile] = process.argv.slice(2) as [string, string, string, string];
while (!existsSync(goFile)) await sleep(2);
const results: string[] = [];
for (let r = 0; r < Number(roundsText); r++) {
  try {
    await acquireLock(join(dir, `lock-${r}`), { runId: `${process.pid}-${r}` });
    results.push('won');
  } catch (err) {
    results.push(
      err instanceof LockedError ? 'locked' : `error:${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
}
process.stdout.write(`${JSON.stringify(results)}\n`);
while (!existsSync(stopFile)) await sleep(5);
process.exit(0);
