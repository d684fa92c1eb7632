// `run` and `test` over several instances, at most `concurrency` at once. Once `draining` is
// aborted, instances still waiting do not start.
import pLimit from 'p-limit';
import type { InstanceConfig } from '../config/model.js';
import type { RunMode, RunResult } from './result.js';
import { runInstance, type RunDeps } from './run-instance.js';

export async function runInstances(
  instances: readonly InstanceConfig[],
  deps: RunDeps,
  mode: RunMode,
  concurrency: number,
  draining?: AbortSignal,
): Promise<RunResult[]> {
  const limit = pLimit(concurrency);
  const results = await Promise.all(
    instances.map((inst) => limit(() => (draining?.aborted ? undefined : runInstance(inst, deps, mode)))),
  );
  return results.filter((r): r is RunResult => r !== undefined);
}
