// Where an instance's control state lives: what an operator or the runner decided about it (paused,
// quarantined, approved plans, the removal budget) and its history. Unlike bwdc's own state (stateDir), it
// must follow an instance that moves to another scheduler replica, so it has a root of its own,
// BWDC_CONTROL_DIR / controlDir, that every replica mounts (docs/scheduler.md "What follows an instance").
// One process, or replicas without a shared folder: the state folder itself, as before.
import { join } from 'node:path';

/** What the root is computed from: the configuration's controlDir and stateDir (config/model.ts). */
interface Roots {
  controlDir: string | undefined;
  stateDir: string;
}

/** The root of every instance's control folder. */
export function controlRootOf(config: Roots): string {
  return config.controlDir ?? config.stateDir;
}

/** The control folder of one instance: `<controlRoot>/<instance>/`, beside nothing of bwdc's. */
export function instanceControlDir(config: Roots, instance: string): string {
  return join(controlRootOf(config), instance);
}

/** True when the control state is on a folder of its own (shared by the replicas), not in each state folder. */
export function controlIsShared(config: Roots): boolean {
  return config.controlDir !== undefined && config.controlDir !== config.stateDir;
}
