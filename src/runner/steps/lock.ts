// Step "lock": open the instance's state folder and take its lock (state/lock.ts), or say why not.
import { errorMessage } from '../../errors.js';
import { InstanceState } from '../../state/instance-state.js';
import type { Held, RunContext } from '../types.js';
import { RunFailure } from './failure.js';

export async function lockInstance({ instance, deps, runId, log }: RunContext): Promise<Held> {
  let state: InstanceState;
  try {
    state = await InstanceState.open(deps.config.stateDir, instance.name);
  } catch (err) {
    throw new RunFailure(
      `state folder ${deps.config.stateDir}/${instance.name} is not usable: ` +
        `${(err as NodeJS.ErrnoException).code ?? errorMessage(err)} (check BWDC_STATE_DIR and that it is writable)`,
      'config',
    );
  }
  // Another process starting (a CronJob of another instance on the same volume) may be sweeping this folder.
  const lock = await state.lock({ runId, recoveryWaitMs: 5000 });
  if (lock.recoveredFrom) log.warn({ deadHolder: lock.recoveredFrom }, 'took over a lock left by a process that died');
  return { state, lock };
}
