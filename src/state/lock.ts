// The instance lock: in-process (a Set) and on disk (a lock file in the state folder), so neither
// two runs in one process nor two processes or pods sharing a volume run bwdc on one data.json.
// The file says who holds it. A holder on this host whose pid is gone, or any holder that stopped
// refreshing the file's mtime (the heartbeat), is dead, and its lock is taken over.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { open, readFile, rename, stat, unlink, utimes } from 'node:fs/promises';
import { LockedError } from '../errors.js';

export interface LockOwner {
  pid: number;
  hostname: string;
  runId: string;
  since: string;
}

export interface LockOptions {
  runId: string;
  /** A holder whose file is older than this is dead, whatever its host. */
  staleMs?: number;
  heartbeatMs?: number;
}

export interface LockHandle {
  readonly path: string;
  /** Set when a dead holder's lock was taken over. */
  readonly recoveredFrom: LockOwner | undefined;
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

export async function acquireLock(path: string, options: LockOptions): Promise<LockHandle> {
  const staleMs = options.staleMs ?? 120_000;
  const heartbeatMs = options.heartbeatMs ?? Math.min(30_000, staleMs / 4);
  const inProcess = heldInProcess.get(path);
  if (inProcess) throw new LockedError(`locked by run ${inProcess} in this process (pid ${process.pid})`);
  heldInProcess.set(path, options.runId);

  let recoveredFrom: LockOwner | undefined;
  try {
    for (let attempt = 0; ; attempt++) {
      const owner: LockOwner = { pid: process.pid, hostname: hostname(), runId: options.runId, since: new Date().toISOString() };
      try {
        const fh = await open(path, 'wx', 0o600);
        try {
          await fh.writeFile(JSON.stringify(owner));
        } catch (err) {
          // A full disk: never leave an ownerless lock file behind to block the next run.
          await fh.close().catch(() => {});
          await unlink(path).catch(() => {});
          throw err;
        }
        await fh.close();
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 3) throw err;
      }
      const holder = await readOwner(path);
      const st = await stat(path).catch(() => undefined);
      if (!st) continue; // released between our open and stat: try again
      const deadHere = holder !== undefined && holder.hostname === hostname() && !pidAlive(holder.pid);
      const silent = Date.now() - st.mtimeMs > staleMs;
      if (!deadHere && !silent) throw new LockedError(`locked by ${describe(holder)}`);
      // Take over by renaming: of several processes doing this at once, exactly one rename wins.
      const aside = `${path}.dead-${randomBytes(4).toString('hex')}`;
      try {
        await rename(path, aside);
        await unlink(aside).catch(() => {});
        recoveredFrom = holder;
      } catch {
        /* another process took it over first; loop and compete for the new file */
      }
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

  return {
    path,
    recoveredFrom,
    async release() {
      clearInterval(timer);
      heldInProcess.delete(path);
      const holder = await readOwner(path);
      if (holder?.runId === options.runId && holder.pid === process.pid) await unlink(path).catch(() => {});
    },
  };
}
