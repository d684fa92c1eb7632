// Reading the small JSON records a guard depends on (the day budget's ledger, approvals): a file not made
// yet is "nothing recorded", anything else that cannot be read is an error naming the file, so a guard
// fails closed instead of reading a damaged record as an empty one (docs/guard-rails.md).
import { readFile } from 'node:fs/promises';
import { ConfigError } from '../errors.js';

/** A state record that exists but cannot be read or is not what it should be: exit 2, class `config`. */
export class StateFileError extends ConfigError {
  constructor(path: string, problem: string, consequence: string) {
    super(`${path} ${problem}: ${consequence} (a sync sends nothing until it is repaired or removed)`);
    this.name = 'StateFileError';
  }
}

/** The parsed file, or undefined when it does not exist. */
export async function readStateJson(path: string, consequence: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new StateFileError(path, `cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`, consequence);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new StateFileError(path, 'is not valid JSON', consequence);
  }
}
