// The instance's history (docs/operations.md "History"): one JSON object a line in history.jsonl in its
// state folder (0600), appended and never edited in place. Each entry is one write(2) on a file opened
// O_APPEND, so a crash leaves at worst one torn last line: readers skip it and say so, and the next
// append starts on a fresh line. Bounded by size and age: when the file outgrows its size, or its first
// entry its age, it is rewritten (atomically, state/atomic.ts) with the newest entries that fit. Appends and
// that rewrite hold the file's update lock (state/update-lock.ts): a `pause` from the command line appended
// while a run compacts would otherwise land in the file the rename replaces, and be lost.
import { mkdir, open, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic.js';
import { withUpdateLock } from './update-lock.js';

export const historyFile = 'history.jsonl';

/** One entry: `at` (ISO time) and `kind` first, so the age of a line is read without parsing it. */
export interface HistoryEntry {
  at: string;
  kind: 'sync' | 'pause' | 'resume' | 'quarantine' | 'approve';
  [key: string]: unknown;
}

export interface HistoryLimits {
  /** The file is compacted when larger than this (bytes). */
  maxBytes: number;
  /** Entries older than this (ms) go at the next compaction, which an old first entry starts. */
  maxAgeMs: number;
}

export const defaultHistoryLimits: HistoryLimits = { maxBytes: 10 * 1024 * 1024, maxAgeMs: 90 * 86_400_000 };

export interface HistoryRead {
  entries: HistoryEntry[];
  /** Lines that were not a whole JSON entry (a torn last line after a crash), skipped. */
  skipped: Array<{ line: number; reason: string }>;
}

const leadingAt = /^\{"at":"([^"]+)"/;

/** Appends one entry; compacts the file first when it is over its limits. */
export async function appendHistory(
  dir: string,
  entry: HistoryEntry,
  limits: HistoryLimits = defaultHistoryLimits,
  now = Date.now(),
): Promise<void> {
  const path = join(dir, historyFile);
  await mkdir(dir, { recursive: true, mode: 0o700 }); // controlDir's folder may not exist yet (state/control-dir.ts)
  const { at, kind, ...rest } = entry;
  const line = `${JSON.stringify({ at, kind, ...rest })}\n`;
  await withUpdateLock(path, () => appendLine(path, line, limits, now));
}

async function appendLine(path: string, line: string, limits: HistoryLimits, now: number): Promise<void> {
  const size = (await stat(path).catch(() => undefined))?.size ?? 0;
  if (size > 0 && (size + line.length > limits.maxBytes || (await firstTooOld(path, limits, now)))) {
    await compact(path, limits, now, line.length);
  }
  const fh = await open(path, 'a+', 0o600);
  try {
    // A torn last line (no newline) would swallow this entry: start a fresh line after it.
    const { size: now2 } = await fh.stat();
    let prefix = '';
    if (now2 > 0) {
      const last = Buffer.alloc(1);
      await fh.read(last, 0, 1, now2 - 1);
      if (last[0] !== 0x0a) prefix = '\n';
    }
    await fh.write(prefix + line);
  } finally {
    await fh.close();
  }
}

/** Entries at or after `sinceMs` (all when undefined), oldest first, and the lines that were skipped. */
export async function readHistory(dir: string, sinceMs?: number): Promise<HistoryRead> {
  let text: string;
  try {
    text = await readFile(join(dir, historyFile), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { entries: [], skipped: [] };
    throw err;
  }
  const entries: HistoryEntry[] = [];
  const skipped: HistoryRead['skipped'] = [];
  const lines = text.split('\n');
  lines.forEach((l, i) => {
    if (l === '') return;
    let e: unknown;
    try {
      e = JSON.parse(l);
    } catch {
      const torn = i === lines.length - 1;
      skipped.push({ line: i + 1, reason: torn ? 'torn last line (a write cut short)' : 'not a JSON entry' });
      return;
    }
    if (!isEntry(e)) {
      skipped.push({ line: i + 1, reason: 'not a history entry' });
      return;
    }
    if (sinceMs === undefined || Date.parse(e.at) >= sinceMs) entries.push(e);
  });
  return { entries, skipped };
}

function isEntry(e: unknown): e is HistoryEntry {
  return typeof e === 'object' && e !== null && typeof (e as HistoryEntry).at === 'string' && 'kind' in e;
}

async function firstTooOld(path: string, limits: HistoryLimits, now: number): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(64);
    const { bytesRead } = await fh.read(buf, 0, 64, 0);
    const at = leadingAt.exec(buf.subarray(0, bytesRead).toString('utf8'))?.[1];
    return at !== undefined && now - Date.parse(at) > limits.maxAgeMs;
  } finally {
    await fh.close();
  }
}

/** Keeps the entries younger than maxAge, newest first, up to three quarters of maxBytes (room to grow). */
async function compact(path: string, limits: HistoryLimits, now: number, incoming: number): Promise<void> {
  const text = await readFile(path, 'utf8');
  const budget = Math.max(0, Math.floor(limits.maxBytes * 0.75) - incoming);
  const kept: string[] = [];
  let size = 0;
  const lines = text.split('\n').filter((l) => l !== '');
  for (let i = lines.length - 1; i >= 0; i--) {
    const l = lines[i]!;
    const at = leadingAt.exec(l)?.[1];
    if (at === undefined || !l.endsWith('}')) continue; // torn or foreign: dropped with the rewrite
    if (now - Date.parse(at) > limits.maxAgeMs) break; // older ones are older still
    if (size + l.length + 1 > budget) break;
    kept.push(l);
    size += l.length + 1;
  }
  kept.reverse();
  await writeFileAtomic(path, kept.length ? `${kept.join('\n')}\n` : '', 0o600);
}

/** The last `n` whole entries, read from the file's last 256 KiB only (the status page, for many instances). */
export async function readHistoryTail(dir: string, n: number): Promise<HistoryEntry[]> {
  let fh;
  try {
    fh = await open(join(dir, historyFile), 'r');
  } catch {
    return [];
  }
  try {
    const { size } = await fh.stat();
    const length = Math.min(size, 256 * 1024);
    const buf = Buffer.alloc(length);
    await fh.read(buf, 0, length, size - length);
    const lines = buf.toString('utf8').split('\n');
    if (length < size) lines.shift(); // the first line read is probably cut
    const out: HistoryEntry[] = [];
    for (let i = lines.length - 1; i >= 0 && out.length < n; i--) {
      try {
        const e = JSON.parse(lines[i]!) as unknown;
        if (isEntry(e)) out.push(e);
      } catch {
        /* torn or empty */
      }
    }
    return out.reverse();
  } finally {
    await fh.close();
  }
}
