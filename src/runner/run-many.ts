// `run` and `test` over several instances, at most `concurrency` of them in bwdc at once (Slots).
// Once `draining` is aborted, instances still waiting do not start.
import type { InstanceConfig } from '../config/model.js';
import { RunNotStartedError } from '../errors.js';
import type { RunMode, RunResult } from './result.js';
import { runInstance, type RunDeps } from './run-instance.js';
import { Slots } from '../shared/slots.js';

export async function runInstances(
  instances: readonly InstanceConfig[],
  deps: RunDeps,
  mode: RunMode,
  concurrency: number,
  draining?: AbortSignal,
): Promise<RunResult[]> {
  const slots = new Slots(concurrency, () => draining?.aborted ?? false);
  const results = await Promise.all(
    instances.map((inst) =>
      slots.run(async (costlySlot, away) => {
        if (draining?.aborted) return undefined;
        return runInstance(inst, { ...deps, costlySlot, away, draining }, mode).catch((err: unknown) => {
          if (err instanceof RunNotStartedError) return undefined;
          throw err;
        });
      }),
    ),
  );
  return results.filter((r): r is RunResult => r !== undefined);
}
