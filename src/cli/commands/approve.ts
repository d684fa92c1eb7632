// `approve PLAN_ID`: an approval of exactly the sync the guard rails refused, kept in the instance's state
// folder (state/approvals.ts, docs/guard-rails.md "Approving a refused sync"). Nothing else is changed:
// the next sync of the instance (a `run`, the next tick of `schedule`, the CronJob's next pod on the same
// state volume) passes once when its removals and ended memberships lie within the approved plan.
import { instanceControlDir } from '../../state/control-dir.js';
import { loadConfig, selectInstances } from '../../config/load.js';
import { ConfigError } from '../../errors.js';
import { planIdPattern } from '../../plan/plan-id.js';
import { parseDuration } from '../../shared/duration.js';
import { ApprovalError, readRefusedPlans } from '../../state/approvals.js';
import { approveInstancePlan } from '../../runner/pause-control.js';
import type { CliOptions } from '../cli-options.js';

export async function approveCommand(options: CliOptions, env: NodeJS.ProcessEnv): Promise<number> {
  const id = options.operands[0] ?? '';
  if (!planIdPattern.test(id))
    throw new ConfigError(
      `approve: "${id}" is not a plan id; expected the 10 hex digits the refusal names ("plan 3fa9c01b2e")`,
    );
  const expiresInMs = options.expires === undefined ? undefined : parseDuration(options.expires);
  if (expiresInMs === undefined && options.expires !== undefined)
    throw new ConfigError(`--expires: "${options.expires}" is not a duration; expected e.g. 24h, 30m or 2d`);
  if (expiresInMs !== undefined && expiresInMs <= 0)
    throw new ConfigError('--expires: the approval would expire at once; expected e.g. 24h');
  const config = loadConfig(env, { configPath: options.config });
  const dirOf = (name: string) => instanceControlDir(config, name);
  let candidates = selectInstances(config, options.instances);
  if (options.instances.length === 0 && candidates.length > 1) {
    // No --instance: the one instance that refused this plan.
    const refusing = [];
    for (const i of candidates)
      if ((await readRefusedPlans(dirOf(i.name))).some((p) => p.planId === id)) refusing.push(i);
    if (refusing.length !== 1)
      throw new ConfigError(
        `approve: ${refusing.length ? 'several instances' : 'no instance'} refused plan ${id}; name one with --instance NAME`,
      );
    candidates = refusing;
  }
  if (candidates.length !== 1) throw new ConfigError('approve: one instance at a time; name it with --instance NAME');
  const instance = candidates[0]!;
  const by = options.by ?? env.USER ?? env.LOGNAME ?? 'unknown';
  try {
    const limits = { maxBytes: config.historyMaxBytes, maxAgeMs: config.historyMaxAgeMs };
    const a = await approveInstancePlan(
      { stateDir: config.stateDir, controlDir: config.controlDir, name: instance.name, limits },
      id,
      by,
      expiresInMs,
    );
    process.stdout.write(
      `approved plan ${id} of instance ${instance.name} (${a.removals.length} removal(s), ` +
        `${a.memberships.length} ended membership(s)) by ${a.by}, until ${a.expiresAt}: ` +
        'the next sync within it passes once\n',
    );
    return 0;
  } catch (err) {
    if (err instanceof ApprovalError) throw new ConfigError(`approve: ${err.message}`);
    throw err;
  }
}
