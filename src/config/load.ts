// read -> parse -> normalize -> rules. Three ways in (environment only, a config file, folder
// discovery), one frozen RunnerConfig out, or a ConfigError listing every problem found.
import { dirname, isAbsolute, resolve } from 'node:path';
import { ConfigError } from '../errors.js';
import { logLevels, type LogFormat } from '../shared/log-settings.js';
import { parseDuration } from '../shared/duration.js';
import { readEnvLayer, type Env } from './env.js';
import { readConfigFile, type ParsedConfigFile } from './file.js';
import { discoverInstances } from './discovery.js';
import type { InstanceConfig, RunnerConfig } from './model.js';
import { normalizeInstance, type Layer } from './normalize.js';
import { builtinDefaults } from './schema.js';
import { readTemplate, templateFromText } from './template.js';
import type { PathKey } from './issues.js';

export interface LoadOptions {
  /** --config, which wins over BWDC_RUNNER_CONFIG. */
  configPath?: string;
  cwd?: string;
}

interface GlobalSetting<T> {
  env: string;
  /** Undefined: a setting of the process, from the environment only. */
  file?: keyof ParsedConfigFile['raw'];
  parse: (v: string | number | boolean) => T | undefined;
  expected: string;
  fallback: T;
}

function readGlobal<T>(s: GlobalSetting<T>, env: Env, file: ParsedConfigFile | undefined, errors: string[]): T {
  const fromEnv = env[s.env];
  if (fromEnv !== undefined && fromEnv !== '') {
    const v = s.parse(fromEnv);
    if (v === undefined) errors.push(`${s.env}: "${fromEnv}" is not valid; expected ${s.expected}`);
    return v ?? s.fallback;
  }
  const fromFile = s.file && (file?.raw[s.file] as string | number | boolean | undefined);
  if (s.file && fromFile !== undefined) {
    const v = s.parse(fromFile);
    if (v === undefined)
      errors.push(`${String(s.file)} (${file!.locate([s.file])}): "${fromFile}" is not valid; expected ${s.expected}`);
    return v ?? s.fallback;
  }
  return s.fallback;
}

const positiveInt = (min: number, max: number) => (v: string | number | boolean) => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : NaN;
  return Number.isInteger(n) && n >= min && n <= max ? n : undefined;
};

export function loadConfig(env: Env, options: LoadOptions = {}): RunnerConfig {
  const cwd = options.cwd ?? process.cwd();
  const errors: string[] = [];
  const warnings: string[] = [];
  const configPath = options.configPath ?? (env.BWDC_RUNNER_CONFIG || undefined);
  const file = configPath ? readConfigFile(resolve(cwd, configPath)) : undefined;
  const fileDir = file ? dirname(file.path) : cwd;

  const stateDir = resolve(
    cwd,
    readGlobal(
      {
        env: 'BWDC_STATE_DIR',
        file: 'stateDir',
        parse: (v) => (String(v) ? String(v) : undefined),
        expected: 'a folder',
        fallback: builtinDefaults.stateDir,
      },
      env,
      file,
      errors,
    ),
  );
  const bwdcPath = readGlobal<string | undefined>(
    { env: 'BWDC_PATH', file: 'bwdcPath', parse: (v) => String(v), expected: 'a path', fallback: undefined },
    env,
    file,
    errors,
  );
  const bwdcNice = readGlobal(
    {
      env: 'BWDC_NICE',
      file: 'bwdcNice',
      parse: positiveInt(0, 19),
      expected: 'a whole number from 0 to 19',
      fallback: builtinDefaults.bwdcNice,
    },
    env,
    file,
    errors,
  );
  const concurrency = readGlobal(
    {
      env: 'BWDC_CONCURRENCY',
      file: 'concurrency',
      parse: positiveInt(1, 1000),
      expected: 'a whole number from 1 to 1000',
      fallback: builtinDefaults.concurrency,
    },
    env,
    file,
    errors,
  );
  const httpPort = readGlobal<number | 'off'>(
    {
      env: 'BWDC_HTTP_PORT',
      file: 'httpPort',
      parse: (v) => (v === 'off' ? 'off' : positiveInt(0, 65535)(v)),
      expected: 'a port from 0 to 65535, or off',
      fallback: builtinDefaults.httpPort,
    },
    env,
    file,
    errors,
  );
  const shutdownGraceMs = readGlobal(
    {
      env: 'BWDC_SHUTDOWN_GRACE',
      file: 'shutdownGrace',
      parse: (v) => (typeof v === 'boolean' ? undefined : parseDuration(v)),
      expected: 'a duration such as 25s',
      fallback: parseDuration(builtinDefaults.shutdownGrace)!,
    },
    env,
    file,
    errors,
  );
  const logLevel = readGlobal(
    {
      env: 'LOG_LEVEL',
      file: 'logLevel',
      parse: (v) => ((logLevels as readonly string[]).includes(String(v)) ? String(v) : undefined),
      expected: logLevels.join(', '),
      fallback: builtinDefaults.logLevel,
    },
    env,
    file,
    errors,
  );
  const logFormat = readGlobal<LogFormat>(
    {
      env: 'LOG_FORMAT',
      file: 'logFormat',
      parse: (v) => (v === 'json' || v === 'pretty' ? v : undefined),
      expected: 'json or pretty',
      fallback: builtinDefaults.logFormat,
    },
    env,
    file,
    errors,
  );
  const runOnStart = readGlobal<boolean>(
    {
      env: 'BWDC_RUN_ON_START',
      file: 'runOnStart',
      parse: (v) => (v === true || v === 'true' ? true : v === false || v === 'false' ? false : undefined),
      expected: 'true or false',
      fallback: false,
    },
    env,
    file,
    errors,
  );
  // Environment only: a setting of the process, like the secret backends' timeouts.
  const notifyTimeoutMs = readGlobal(
    {
      env: 'BWDC_NOTIFY_TIMEOUT',
      parse: (v) => {
        const ms = typeof v === 'string' ? parseDuration(v) : undefined;
        return ms !== undefined && ms > 0 ? ms : undefined;
      },
      expected: 'a duration such as 5s',
      fallback: 5000,
    },
    env,
    file,
    errors,
  );
  const passEnv = (env.BWDC_PASS_ENV ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

  const envLayer = readEnvLayer(env);
  errors.push(...envLayer.errors);
  const base: Layer[] = [{ values: envLayer.values, locate: envLayer.locate, baseDir: cwd, label: [] }];
  if (file?.raw.defaults) {
    base.push({
      values: file.raw.defaults,
      locate: (p) => file.locate(['defaults', ...p]),
      baseDir: fileDir,
      label: ['defaults'],
    });
  }

  const instances: InstanceConfig[] = [];
  const seen = new Map<string, string>();
  const add = (inst: InstanceConfig | undefined, label: string) => {
    if (!inst) return;
    const prev = seen.get(inst.name);
    if (prev) {
      errors.push(`${label}: duplicate instance name "${inst.name}" (also defined at ${prev}); names must be unique`);
      return;
    }
    seen.set(inst.name, label);
    instances.push(inst);
  };

  const instancesDir = file?.raw.instancesDir
    ? resolve(fileDir, file.raw.instancesDir)
    : env.BWDC_INSTANCES_DIR
      ? resolve(cwd, env.BWDC_INSTANCES_DIR)
      : undefined;
  let source: string;

  if (file) {
    source = file.path;
    (file.raw.instances ?? []).forEach((raw, i) => {
      const label: PathKey[] = ['instances', i];
      const locate = (p: readonly PathKey[]) => file.locate([...label, ...p]);
      const { name, dataJson, ...settings } = raw;
      let template;
      try {
        if (typeof dataJson === 'string')
          template = readTemplate(isAbsolute(dataJson) ? dataJson : resolve(fileDir, dataJson));
        else if (dataJson !== undefined)
          template = templateFromText(JSON.stringify(dataJson, null, 2), `inline in ${locate(['dataJson'])}`);
      } catch (err) {
        template = { problem: (err as Error).message, where: locate(['dataJson']) };
      }
      const inst = normalizeInstance(
        {
          name,
          nameWhere: locate(['name']),
          layers: [...base, { values: settings, locate, baseDir: fileDir, label }],
          template,
          stateDir,
          origin: locate([]),
          label,
        },
        errors,
        warnings,
      );
      add(inst, `instances[${i}] (${locate([])})`);
    });
  } else {
    source = instancesDir ?? 'environment';
  }

  if (instancesDir) {
    const where = file?.raw.instancesDir ? file.locate(['instancesDir']) : 'BWDC_INSTANCES_DIR';
    for (const found of discoverInstances(instancesDir, where, errors)) {
      let template;
      try {
        if (found.dataJsonPath) template = readTemplate(found.dataJsonPath);
      } catch (err) {
        template = { problem: (err as Error).message, where: found.dataJsonPath! };
      }
      const inst = normalizeInstance(
        {
          name: found.name,
          nameWhere: found.origin,
          layers: [
            ...base,
            { values: found.overrides, locate: found.locate, baseDir: found.origin, label: [`instance ${found.name}`] },
          ],
          template,
          stateDir,
          origin: found.origin,
          label: [`instance ${found.name}`],
        },
        errors,
        warnings,
      );
      add(inst, found.origin);
    }
  }

  if (!file && !instancesDir) {
    // Environment only: the single `docker run` instance.
    const name = env.BWDC_INSTANCE || builtinDefaults.instanceName;
    const spec = env.BWDC_DATA_JSON;
    let template;
    if (!spec)
      template = undefined; // a directory block (BWDC_DIRECTORY_TYPE, ...) then
    else {
      try {
        template = spec.trimStart().startsWith('{')
          ? templateFromText(spec, 'BWDC_DATA_JSON')
          : readTemplate(resolve(cwd, spec));
      } catch (err) {
        template = { problem: (err as Error).message, where: 'BWDC_DATA_JSON' };
      }
    }
    add(
      normalizeInstance(
        { name, nameWhere: 'BWDC_INSTANCE', layers: base, template, stateDir, origin: 'environment', label: [] },
        errors,
        warnings,
      ),
      'environment',
    );
  }

  if (file && !instancesDir && (file.raw.instances ?? []).length === 0) {
    errors.push(`instances (${file.path}): no instances; add an "instances" list or an "instancesDir"`);
  }
  if (errors.length) {
    // A bad value in `defaults` or the environment is found once per instance: say it once.
    const unique = [...new Set(errors)];
    throw new ConfigError(`invalid configuration:\n  ${unique.join('\n  ')}`, unique);
  }
  return Object.freeze({
    instances: Object.freeze(instances),
    stateDir,
    bwdcPath,
    bwdcNice,
    concurrency,
    httpPort,
    shutdownGraceMs,
    runOnStart,
    logLevel,
    logFormat,
    passEnv: Object.freeze(passEnv),
    source,
    notifyTimeoutMs,
    watchConfig: env.BWDC_WATCH_CONFIG !== 'false',
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
