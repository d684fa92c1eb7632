// The instance lock: in-process (a Set) and on disk (a lock file in the state folder), so neither
// two runs in one process nor two processes or pods sharing a volume run bwdc on one data.json.
// The file says who holds it. A holder on this host whose pid is gone, or any holder that stopped
// refreshing the file's mtime (the heartbeat), is dead, and its lock is taken over: one contender at
// a time, and only the dead file that was seen (takeOver). Our own module rather than proper-lockfile:
// the lock must say who holds it (pid, host, run id) and a dead pid on this host frees it at once.
// It also names the bwdc the holder started (its process group): while that bwdc is alive on this
// host the lock stays held, even if the runner that started it died (SIGKILL, OOM): bwdc runs in a
// group of its own and outlives its runner (docs/scheduler.md "Crash recovery").
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdir, open, readFile, rename, rmdir, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { LockedError } from '../errors.js';

export interface LockOwner {
  pid: number;
  hostname: string;
  runId: string;
  since: string;
  /** The pid of the bwdc the holder is running (the leader of its own process group), if any. */
  child?: number;
}

/** The run id prefix of crash recovery's brief hold on a folder (runner/recover.ts). */
export const RECOVERY_RUN_PREFIX = 'recover-';

export interface LockOptions {
  runId: string;
  /**
   * How long to wait for a live crash recovery (another process starting) to let go of the folder, rather
   * than report it locked: it holds each folder for milliseconds. Default 0, no wait.
   */
  recoveryWaitMs?: number;
  /** A holder whose file is older than this is dead, whatever its host. */
  staleMs?: number;
  heartbeatMs?: number;
}

export interface LockHandle {
  readonly path: string;
  /** Set when a dead holder's lock was taken over. */
  readonly recoveredFrom: LockOwner | undefined;
  /** Records the bwdc now running (its pid, which leads its process group), or that none runs. */
  recordChild(pid: number | undefined): void;
  release(): Promise<void>;
}

const heldInProcess = new Map<string, string>();

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether the bwdc `pid` is still running on this host: alive and not a zombie (an orphan's zombie
 * lingers where PID 1 does not reap it, and has stopped writing anything).
 */
function childRunning(pid: number): boolean {
  if (!pidAlive(pid)) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc: alive as far as we can tell
  }
}

async function readOwner(path: string): Promise<LockOwner | undefined> {
  try {
    const o = JSON.parse(await readFile(path, 'utf8')) as LockOwner;
    return typeof o.pid === 'number' ? o : undefined;
  } catch {
    return undefined;
  }
}

function describe(o: LockOwner | undefined): string {
  return o ? `pid ${o.pid} on ${o.hostname} (run ${o.runId}, since ${o.since})` : 'an unknown process';
}

/** The lock file as found: its owner and the file's identity (inode) and heartbeat (mtime). */
interface Seen {
  owner: LockOwner | undefined;
  ino: number;
  mtimeMs: number;
}

async function inspect(path: string): Promise<Seen | undefined> {
  const st = await stat(path).catch(() => undefined);
  if (!st) return undefined;
  return { owner: await readOwner(path), ino: st.ino, mtimeMs: st.mtimeMs };
}

function sameFile(a: Seen, b: Seen): boolean {
  return (
    a.ino === b.ino && a.mtimeMs === b.mtimeMs && a.owner?.runId === b.owner?.runId && a.owner?.pid === b.owner?.pid
  );
}

/** Creates the lock file if there is none (O_EXCL). False when one exists. */
async function tryCreate(path: string, owner: LockOwner): Promise<boolean> {
  let fh;
  try {
    fh = await open(path, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    await fh.writeFile(JSON.stringify(owner));
  } catch (err) {
    // A full disk: never leave an ownerless lock file behind to block the next run.
    await fh.close().catch(() => {});
    await unlink(path).catch(() => {});
    throw err;
  }
  await fh.close();
  return true;
}

/** A takeover mutex older than this was left by a process that died inside the takeover (milliseconds long). */
const takeoverStaleMs = 30_000;

/**
 * Replaces the dead holder's lock file, the one `seen`, with ours. Takeovers are serialised by a
 * mutex folder beside the lock (mkdir is atomic), so two contenders can never both replace it; and
 * inside the mutex the file is checked to still be the one seen (same inode, heartbeat and owner)
 * before ours is renamed over it in one step, so a fresh lock created meanwhile is never displaced.
 * `busy`: another process is taking it over; `changed`: the file is no longer the dead one.
 */
async function takeOver(path: string, seen: Seen, owner: LockOwner): Promise<'taken' | 'busy' | 'changed'> {
  const mutex = `${path}.takeover`;
  try {
    await mkdir(mutex, { mode: 0o700 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const st = await stat(mutex).catch(() => undefined);
    if (st && Date.now() - st.mtimeMs > takeoverStaleMs) await rmdir(mutex).catch(() => {});
    return 'busy';
  }
  try {
    const now = await inspect(path);
    if (!now || !sameFile(now, seen)) return 'changed';
    const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      await writeFile(tmp, JSON.stringify(owner), { mode: 0o600, flag: 'wx' });
      await rename(tmp, path);
    } catch (err) {
      await unlink(tmp).catch(() => {});
      throw err;
    }
    return 'taken';
  } finally {
    await rmdir(mutex).catch(() => {});
  }
}

export async function acquireLock(path: string, options: LockOptions): Promise<LockHandle> {
  const staleMs = options.staleMs ?? 120_000;
  const heartbeatMs = options.heartbeatMs ?? Math.min(30_000, staleMs / 4);
  const inProcess = heldInProcess.get(path);
  if (inProcess) throw new LockedError(`locked by run ${inProcess} in this process (pid ${process.pid})`);
  heldInProcess.set(path, options.runId);

  let recoveredFrom: LockOwner | undefined;
  let owner: LockOwner;
  const waitUntil = Date.now() + (options.recoveryWaitMs ?? 0);
  try {
    for (let attempt = 0; ; attempt++) {
      owner = { pid: process.pid, hostname: hostname(), runId: options.runId, since: new Date().toISOString() };
      if (await tryCreate(path, owner)) break;
      const seen = await inspect(path);
      // Released between our open and stat: compete again, a few times, then say it is busy.
      if (!seen) {
        if (attempt >= 3) throw new LockedError('locked: the lock keeps changing hands');
        continue;
      }
      const holder = seen.owner;
      const deadHere = holder !== undefined && holder.hostname === hostname() && !pidAlive(holder.pid);
      const silent = Date.now() - seen.mtimeMs > staleMs;
      const recovering = typeof holder?.runId === 'string' && holder.runId.startsWith(RECOVERY_RUN_PREFIX);
      if (!deadHere && !silent && recovering && Date.now() < waitUntil) {
        await new Promise((r) => setTimeout(r, 20));
        attempt = 0;
        continue;
      }
      if (!deadHere && !silent) throw new LockedError(`locked by ${describe(holder)}`);
      // The dead holder's bwdc, still running on this host, holds the lock until it ends.
      if (holder?.child !== undefined && holder.hostname === hostname() && childRunning(holder.child))
        throw new LockedError(`locked by the bwdc (pid ${holder.child}) started by ${describe(holder)}, still running`);
      const took = await takeOver(path, seen, owner);
      if (took === 'taken') {
        recoveredFrom = holder;
        break;
      }
      if (took === 'busy')
        throw new LockedError(`locked: another process is taking over the lock left by ${describe(holder)}`);
      if (attempt >= 3) throw new LockedError('locked: the lock keeps changing hands');
    }
  } catch (err) {
    heldInProcess.delete(path);
    throw err;
  }

  const timer = setInterval(() => {
    const now = new Date();
    utimes(path, now, now).catch(() => {});
  }, heartbeatMs);
  timer.unref();

  const ours = owner!;
  return {
    path,
    recoveredFrom,
    recordChild(pid) {
      // Synchronous, at the spawn: the window in which a killed runner leaves an unrecorded bwdc stays tiny.
      try {
        writeFileSync(path, JSON.stringify(pid === undefined ? ours : { ...ours, child: pid }), { mode: 0o600 });
      } catch {
        /* the lock file stays as it was: the runner's pid still holds it */
      }
    },
    async release() {
      clearInterval(timer);
      heldInProcess.delete(path);
      const holder = await readOwner(path);
      if (holder?.runId === options.runId && holder.pid === process.pid) await unlink(path).catch(() => {});
    },
  };
}
