// Whether an instance is paused (docs/operations.md "Pause and resume"): pause.json in its state folder
// (0600), one small file of its own so that it travels with the folder (a restart, a reload, another
// replica on the same volume) and can be kept elsewhere without the rest of the state. Written whole
// (state/atomic.ts): a reader sees the old pause or the new one.
import { mkdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic.js';

export const pauseFile = 'pause.json';

export interface Pause {
  /** ISO time the pause began. */
  since: string;
  /** Who paused: a user name, "admin API", or "quarantine". */
  by: string;
  reason: string;
  /** Set when failures in a row paused it (quarantineAfter). */
  quarantined?: { failures: number; failureClass: string | undefined; message: string };
}

/** The pause of the instance whose folder is `dir`, or undefined when it runs. An unreadable file counts as paused. */
export async function readPause(dir: string): Promise<Pause | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, pauseFile), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR')
      return undefined;
    throw err;
  }
  try {
    const p = JSON.parse(text) as Partial<Pause>;
    if (typeof p.since === 'string' && typeof p.by === 'string' && typeof p.reason === 'string') return p as Pause;
  } catch {
    /* fall through */
  }
  // Someone meant to stop it: a damaged file keeps it stopped rather than letting syncs through.
  return { since: new Date(0).toISOString(), by: 'unknown', reason: `${pauseFile} is unreadable; resume to clear it` };
}

export async function writePause(dir: string, pause: Pause): Promise<void> {
  // The control folder may be on a volume of its own (controlDir, state/control-dir.ts), not made by a run yet.
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFileAtomic(join(dir, pauseFile), `${JSON.stringify(pause)}\n`, 0o600);
}

/** Removes the pause; true when there was one. */
export async function clearPause(dir: string): Promise<boolean> {
  try {
    await unlink(join(dir, pauseFile));
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/** "paused since <time> by <who>: <reason>", the message of a skipped run and of `/status`. */
export function pauseMessage(p: Pick<Pause, 'since' | 'by' | 'reason'>): string {
  return `paused since ${p.since} by ${p.by}: ${p.reason}`;
}
