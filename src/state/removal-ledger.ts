// The day budget's ledger (docs/guard-rails.md "The day budget"): the removals the server accepted for one
// instance, with when, in the instance's own state folder (removal-ledger.json, 0600), so that it follows
// the instance wherever its folder goes. Only what reached the server is written (gate/forward.ts counts
// it); entries older than the window are dropped at each write.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { readStateJson, StateFileError } from './state-json.js';
import { writeFileAtomic } from './atomic.js';
import { withUpdateLock } from './update-lock.js';

export const removalLedgerFile = 'removal-ledger.json';
/** The budget's window: a rolling 24 hours. */
export const dayMs = 24 * 3_600_000;

export interface LedgerEntry {
  /** When the server accepted the request(s), ISO 8601. */
  at: string;
  removals: number;
  runId: string;
  planId?: string;
}

/** The ledger; none yet is empty. Unreadable or not a ledger: an error, so the day budget fails closed. */
export async function readLedger(instanceDir: string): Promise<LedgerEntry[]> {
  const data = await readStateJson(join(instanceDir, removalLedgerFile), 'the day budget cannot be checked');
  if (data === undefined) return [];
  const entries = (data as { entries?: unknown }).entries;
  if (!Array.isArray(entries) || !entries.every(isEntry))
    throw new StateFileError(
      join(instanceDir, removalLedgerFile),
      'is not a removal ledger ({"entries": [{"at", "removals", "runId"}]})',
      'the day budget cannot be checked',
    );
  return entries;
}

/** Removals the server accepted for this instance in the 24 hours before `now`. */
export async function removedInLastDay(instanceDir: string, now = new Date()): Promise<number> {
  const since = now.getTime() - dayMs;
  return (await readLedger(instanceDir)).filter((e) => Date.parse(e.at) > since).reduce((n, e) => n + e.removals, 0);
}

/** Removals an earlier attempt of run `runId` got through. */
export async function removedByRun(instanceDir: string, runId: string): Promise<number> {
  return (await readLedger(instanceDir)).filter((e) => e.runId === runId).reduce((n, e) => n + e.removals, 0);
}

/** Adds what one run got through (nothing when it removed nobody). */
export async function recordRemovals(instanceDir: string, entry: LedgerEntry): Promise<void> {
  if (entry.removals <= 0) return;
  const since = Date.parse(entry.at) - dayMs;
  await withUpdateLock(join(instanceDir, removalLedgerFile), async () => {
    const entries = (await readLedger(instanceDir)).filter((e) => Date.parse(e.at) > since);
    entries.push(entry);
    await mkdir(instanceDir, { recursive: true, mode: 0o700 });
    await writeFileAtomic(join(instanceDir, removalLedgerFile), `${JSON.stringify({ entries })}\n`, 0o600);
  });
}

function isEntry(e: unknown): e is LedgerEntry {
  const x = e as LedgerEntry;
  return typeof x === 'object' && x !== null && typeof x.at === 'string' && typeof x.removals === 'number';
}
