// Step "prepare": seed data.json from the template when needed, remove what a killed run left, back it up.
import { setServer, wipeSecrets } from '../../bwdc/directory.js';
import { restoreApiUrl } from '../../gate/gated-sync.js';
import type { InstanceState } from '../../state/instance-state.js';
import type { RunContext } from '../types.js';

/** Returns why data.json was seeded from the template, or undefined when bwdc's state was kept. */
export async function prepareState(
  { instance, wipeType, log }: RunContext,
  state: InstanceState,
): Promise<string | undefined> {
  if (await state.clearBwdcLock()) log.warn('removed a stale bwdc data.json lock left by a bwdc that was killed');
  const { seeded } = await state.seed(instance.dataJson.text, instance.dataJson.hash);
  if (seeded) log.info({ reason: seeded, template: instance.dataJson.origin }, 'data.json seeded from the template');
  else log.debug('data.json kept: bwdc state from earlier runs preserved');
  // Leftovers of a run that was killed (a session, a directory secret) never outlive it.
  await state.update((data) => {
    let changed = wipeSecrets(data, wipeType);
    changed = restoreApiUrl(data, instance.dataJson.text) || changed; // a gate URL a killed run left
    if (instance.server !== undefined) changed = setServer(data, instance.server) || changed;
    return changed;
  });
  await state.backup();
  return seeded;
}
