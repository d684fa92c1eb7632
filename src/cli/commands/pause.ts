// `pause NAME [--reason TEXT]` and `resume NAME` (docs/operations.md "Pause and resume"): the pause file
// in the instance's state folder, which `run` and `schedule` read before every sync.
import { hostname, userInfo } from 'node:os';
import { loadConfig, selectInstances } from '../../config/load.js';
import { pauseInstance, resumeInstance } from '../../runner/pause-control.js';
import { pauseMessage } from '../../state/pause.js';
import type { CliOptions } from '../cli-options.js';

/** Who is at the keyboard: the login name and the host (a pod's name in Kubernetes). */
function operator(env: NodeJS.ProcessEnv): string {
  let user = env.USER || env.LOGNAME;
  try {
    user ||= userInfo().username;
  } catch {
    user ||= `uid ${process.getuid?.() ?? '?'}`;
  }
  return `${user}@${hostname()}`;
}

export async function pauseCommand(options: CliOptions, env: NodeJS.ProcessEnv): Promise<number> {
  const config = loadConfig(env, { configPath: options.config });
  const [name] = options.operands;
  const [instance] = selectInstances(config, [name!]);
  const target = {
    stateDir: config.stateDir,
    controlDir: config.controlDir,
    name: instance!.name,
    limits: { maxBytes: config.historyMaxBytes, maxAgeMs: config.historyMaxAgeMs },
  };
  if (options.command === 'pause') {
    const { pause, already } = await pauseInstance(target, operator(env), options.reason ?? 'paused by hand');
    process.stdout.write(`${instance!.name}: ${already ? 'already ' : ''}${pauseMessage(pause)}\n`);
    return 0;
  }
  const previous = await resumeInstance(target, operator(env));
  process.stdout.write(
    previous
      ? `${instance!.name}: resumed (was ${pauseMessage(previous)}); the next run syncs\n`
      : `${instance!.name}: was not paused\n`,
  );
  return 0;
}
