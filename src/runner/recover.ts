// Crash recovery, at the start of `run` and `schedule` (docs/scheduler.md "Crash recovery"): a runner
// killed mid-run (SIGKILL, OOM) leaves the API key, the organization token and the directory secret in
// data.json, and maybe temporary files of an atomic write. Every instance folder under the state folder
// is visited, also those of instances no longer configured: each one whose lock is free (no live run,
// no live bwdc) is taken, wiped and swept; a locked one belongs to a live run and is left alone.
import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { wipeSecrets } from '../bwdc/directory.js';
import type { InstanceConfig } from '../config/model.js';
import { LockedError, errorMessage } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import { InstanceState, isLeftoverTemp } from '../state/instance-state.js';
import { RECOVERY_RUN_PREFIX } from '../state/lock.js';

export interface Recovery {
  /** Folders whose data.json held secrets, now removed. */
  wiped: string[];
  /** Temporary files removed. */
  swept: number;
  /** Folders left alone: a live run or bwdc holds them. */
  busy: string[];
}

export async function recoverStateFolders(
  stateDir: string,
  instances: readonly InstanceConfig[],
  log: Logger,
): Promise<Recovery> {
  const done: Recovery = { wiped: [], swept: 0, busy: [] };
  const names = await readdir(stateDir, { withFileTypes: true }).then(
    (entries) => entries.filter((e) => e.isDirectory()).map((e) => e.name),
    () => [] as string[], // no state folder yet, or unusable: the runs say so
  );
  const configured = new Map(instances.map((i) => [i.name, i]));
  for (const name of names) {
    try {
      await recoverOne(stateDir, name, configured.get(name), done);
    } catch (err) {
      log.warn({ instance: name, err: errorMessage(err) }, 'crash recovery: could not check this state folder');
    }
  }
  if (done.busy.length) log.info({ busy: done.busy }, 'crash recovery: folders held by a live run left alone');
  if (done.wiped.length || done.swept)
    log.warn(
      { wiped: done.wiped, tempFilesRemoved: done.swept },
      'crash recovery: removed secrets and temporary files left by a run that was killed',
    );
  return done;
}

async function recoverOne(
  stateDir: string,
  name: string,
  instance: InstanceConfig | undefined,
  done: Recovery,
): Promise<void> {
  const files = await readdir(join(stateDir, name));
  if (!files.includes('data.json') && !files.some(isLeftoverTemp)) return;
  const state = await InstanceState.open(stateDir, name);
  let lock;
  try {
    lock = await state.lock({ runId: `${RECOVERY_RUN_PREFIX}${randomBytes(4).toString('hex')}` });
  } catch (err) {
    if (err instanceof LockedError) return void done.busy.push(name);
    throw err;
  }
  try {
    done.swept += await state.sweepTemp();
    // A configured instance's template may carry its own directory secret (the user's): only the one
    // the runner sets is wiped. A removed instance's folder is dead: everything goes.
    const wiped = await state.update((data) => {
      const type = instance
        ? instance.directorySecret
          ? instance.dataJson.directoryType
          : undefined
        : typeof data.directoryType === 'number'
          ? data.directoryType
          : undefined;
      return wipeSecrets(data, type);
    });
    if (wiped) done.wiped.push(name);
  } finally {
    await lock.release();
  }
}
