// Read-modify-write of a small state file shared by writers that do not hold the instance lock (approvals.json,
// refused-plans.json, removal-ledger.json): `approve` on the command line or the admin endpoint while a run
// uses an approval, or two replicas' runs of instances sharing a control folder. Without it, two writers that
// read the same list each write back their own version and one change is lost. proper-lockfile: a lock
// directory beside the file (mkdir is atomic on local and network file systems), taken over when its holder
// stopped refreshing it; writes here take milliseconds, so waits are short.
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';

type Lockfile = typeof import('proper-lockfile');
let lockfile: Promise<Lockfile> | undefined;

/** A holder that stopped refreshing its lock for this long is dead (proper-lockfile's `stale`). */
const staleMs = 10_000;

/** Runs `update` while holding `path`'s update lock; waits (up to ~30 s) for another holder to finish. */
export async function withUpdateLock<T>(path: string, update: () => Promise<T>): Promise<T> {
  // Loaded on first use: most runs write none of these files.
  const { lock } = await (lockfile ??= import('proper-lockfile').then((m) => m.default));
  // The folder may be a control folder not made yet (state/control-dir.ts): made here, 0700 like a state folder.
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const release = await lock(path, {
    realpath: false, // the file itself may not exist yet
    stale: staleMs,
    retries: { retries: 60, minTimeout: 20, maxTimeout: 500, factor: 1.5 },
    // A lock found stale by another writer while this one still writes: its atomic rename still lands whole;
    // the default (throwing from a timer) would crash the process instead.
    onCompromised: () => {},
  });
  try {
    return await update();
  } finally {
    await release().catch(() => {});
  }
}
