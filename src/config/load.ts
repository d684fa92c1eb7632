// Configuration loading in stages (docs/configuration.md "How the configuration is read"):
//   read     the layers: the config file, the environment, the instances folder (sources.ts, env.ts, file.ts)
//   validate each layer field by field: a bad field is reported once and left out (validate.ts)
//   merge    per instance: environment < file defaults < the instance itself (pick.ts)
//   normalize each instance into its frozen InstanceConfig, with the rules no schema can express (normalize.ts)
// Every stage adds to one list of problems, so all of them are reported in one pass, each once.
import { resolve } from 'node:path';
import { ConfigError } from '../errors.js';
import { readEnvLayer, type Env } from './env.js';
import { readConfigFile, type ParsedConfigFile } from './file.js';
import { readGlobals, readProcessSettings } from './globals.js';
import type { InstanceConfig, RunnerConfig } from './model.js';
import { normalizeInstance, type InstanceInput } from './normalize.js';
import { baseLayers, envInstance, fileInstances, folderInstances } from './sources.js';

export interface LoadOptions {
  /** --config, which wins over BWDC_RUNNER_CONFIG. */
  configPath?: string;
  cwd?: string;
  /** 'optional' for `config render`, which resolves no secret: the API key and secrets may be missing. */
  credentials?: 'required' | 'optional';
}

interface Sources {
  file: ParsedConfigFile | undefined;
  instancesDir: string | undefined;
  inputs: InstanceInput[];
}

/** The read and merge stages: every instance with the layers its settings come from. */
function readSources(env: Env, cwd: string, file: ParsedConfigFile | undefined, stateDir: string, errors: string[]) {
  const envLayer = readEnvLayer(env);
  errors.push(...envLayer.errors);
  const base = baseLayers(envLayer, file, cwd);
  const instancesDir = file?.raw.instancesDir
    ? resolve(resolve(file.path, '..'), file.raw.instancesDir)
    : env.BWDC_INSTANCES_DIR
      ? resolve(cwd, env.BWDC_INSTANCES_DIR)
      : undefined;
  const inputs = file ? fileInstances(file, base, stateDir) : [];
  if (instancesDir) {
    const where = file?.raw.instancesDir ? file.locate(['instancesDir']) : 'BWDC_INSTANCES_DIR';
    inputs.push(...folderInstances(instancesDir, where, base, stateDir, errors));
  }
  if (!file && !instancesDir) inputs.push(envInstance(env, base, cwd, stateDir));
  const reported = file?.invalid.some((p) => p[0] === 'instances' || p[0] === 'instancesDir');
  if (file && !instancesDir && inputs.length === 0 && !reported)
    errors.push(`instances (${file.path}): no instances; add an "instances" list or an "instancesDir"`);
  return { file, instancesDir, inputs } satisfies Sources;
}

/** The normalize stage for every instance; a name used twice is a problem of the second. */
function normalizeAll(
  inputs: readonly InstanceInput[],
  errors: string[],
  warnings: string[],
  credentials: LoadOptions['credentials'],
): InstanceConfig[] {
  const instances: InstanceConfig[] = [];
  const seen = new Map<string, string>();
  for (const input of inputs) {
    // By the name as written, so a name used twice is found even when those instances have other problems.
    const where = input.label[0] === 'instances' ? `instances[${input.label[1]}] (${input.origin})` : input.origin;
    const prev = seen.get(input.name);
    if (prev)
      errors.push(`${where}: duplicate instance name "${input.name}" (also defined at ${prev}); names must be unique`);
    else seen.set(input.name, where);
    const inst = normalizeInstance(input, errors, warnings, credentials);
    if (inst && !prev) instances.push(inst);
  }
  return instances;
}

export function loadConfig(env: Env, options: LoadOptions = {}): RunnerConfig {
  const cwd = options.cwd ?? process.cwd();
  const errors: string[] = [];
  const warnings: string[] = [];
  const configPath = options.configPath ?? (env.BWDC_RUNNER_CONFIG || undefined);
  const file = configPath ? readConfigFile(resolve(cwd, configPath)) : undefined;
  errors.push(...(file?.issues ?? []));
  const globals = readGlobals(env, file, cwd, errors);
  const proc = readProcessSettings(env, errors);
  const { instancesDir, inputs } = readSources(env, cwd, file, globals.stateDir, errors);
  const instances = normalizeAll(inputs, errors, warnings, options.credentials);
  if (errors.length) {
    // A bad value in `defaults` or the environment is found once per instance: say it once.
    const unique = [...new Set(errors)];
    throw new ConfigError(`invalid configuration:\n  ${unique.join('\n  ')}`, unique);
  }
  return Object.freeze({
    ...globals,
    shutdownGraceMs: globals.shutdownGrace,
    instances: Object.freeze(instances),
    passEnv: Object.freeze(proc.passEnv!),
    source: file?.path ?? instancesDir ?? 'environment',
    watchConfig: proc.watchConfig!,
    historyMaxBytes: proc.historyMaxBytes!,
    historyMaxAgeMs: proc.historyMaxAgeMs!,
    notifyTimeoutMs: proc.notifyTimeoutMs!,
    readFrom: Object.freeze([
      ...(file ? [{ path: file.path, kind: 'file' as const }] : []),
      ...(instancesDir ? [{ path: instancesDir, kind: 'folder' as const }] : []),
      ...instances
        .map((i) => i.dataJson.path)
        .filter((p): p is string => p !== undefined)
        .map((path) => ({ path, kind: 'file' as const })),
    ]),
    warnings: Object.freeze([...new Set(warnings)]),
  });
}

/** Picks the named instances, in the order given; an unknown name is a usage error. */
export function selectInstances(config: RunnerConfig, names: readonly string[]): readonly InstanceConfig[] {
  if (names.length === 0) return config.instances;
  const unknown = names.filter((n) => !config.instances.some((i) => i.name === n));
  if (unknown.length) {
    const known = config.instances.map((i) => i.name).join(', ');
    throw new ConfigError(
      `--instance: unknown instance ${unknown.map((n) => `"${n}"`).join(', ')}; configured: ${known}`,
    );
  }
  return names.map((n) => config.instances.find((i) => i.name === n)!);
}
