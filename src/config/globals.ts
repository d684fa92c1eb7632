// The settings of the process (state folder, concurrency, ports, logging): one table, each read from its
// variable, else the file's key, else the built-in default. The environment wins here (docs/configuration.md).
import { resolve } from 'node:path';
import { statfsSync } from 'node:fs';
import { logLevels, type LogFormat } from '../shared/log-settings.js';
import { parseDuration } from '../shared/duration.js';
import type { Env } from './env.js';
import type { ParsedConfigFile } from './file.js';
import { builtinDefaults } from './schema.js';

type Raw = string | number | boolean;
interface GlobalSetting<T> {
  env: string;
  /** Undefined: a setting of the process, from the environment only. */
  file?: keyof ParsedConfigFile['raw'];
  parse: (v: Raw) => T | undefined;
  expected: string;
  fallback: T;
}

const wholeNumber = (min: number, max: number) => (v: Raw) => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : NaN;
  return Number.isInteger(n) && n >= min && n <= max ? n : undefined;
};
const duration = (v: Raw) => (typeof v === 'boolean' ? undefined : parseDuration(v));
const positiveDuration = (v: Raw) => {
  const ms = typeof v === 'string' ? parseDuration(v) : undefined;
  return ms !== undefined && ms > 0 ? ms : undefined;
};
const oneOf =
  <T extends string>(values: readonly T[]) =>
  (v: Raw) =>
    (values as readonly Raw[]).includes(v) ? (v as T) : undefined;
const bool = (v: Raw) => (v === true || v === 'true' ? true : v === false || v === 'false' ? false : undefined);

const setting = <T>(s: GlobalSetting<T>) => s;

/** Every global setting; scripts/generate-docs.ts lists them in docs/reference/environment.md. */
export const globalSettings = {
  stateDir: setting({
    env: 'BWDC_STATE_DIR',
    file: 'stateDir',
    parse: (v) => (String(v) ? String(v) : undefined),
    expected: 'a folder, e.g. /var/lib/bwdc-runner',
    fallback: builtinDefaults.stateDir,
  }),
  // Shared by every scheduler replica, unlike stateDir (docs/scheduler.md "What follows an instance").
  controlDir: setting<string | undefined>({
    env: 'BWDC_CONTROL_DIR',
    file: 'controlDir',
    parse: (v) => (String(v) ? String(v) : undefined),
    expected: 'a folder every replica mounts, e.g. /var/lib/bwdc-runner-control',
    fallback: undefined,
  }),
  bwdcPath: setting<string | undefined>({
    env: 'BWDC_PATH',
    file: 'bwdcPath',
    parse: String,
    expected: 'a path',
    fallback: undefined,
  }),
  bwdcNice: setting({
    env: 'BWDC_NICE',
    file: 'bwdcNice',
    parse: wholeNumber(0, 19),
    expected: 'a whole number from 0 to 19, e.g. 10',
    fallback: builtinDefaults.bwdcNice,
  }),
  concurrency: setting({
    env: 'BWDC_CONCURRENCY',
    file: 'concurrency',
    parse: wholeNumber(1, 1000),
    expected: 'a whole number from 1 to 1000, e.g. 4',
    fallback: builtinDefaults.concurrency,
  }),
  httpPort: setting<number | 'off'>({
    env: 'BWDC_HTTP_PORT',
    file: 'httpPort',
    parse: (v) => (v === 'off' ? 'off' : wholeNumber(0, 65535)(v)),
    expected: 'a port from 0 to 65535, or off, e.g. 8080',
    fallback: builtinDefaults.httpPort,
  }),
  shutdownGraceMs: setting({
    env: 'BWDC_SHUTDOWN_GRACE',
    file: 'shutdownGrace',
    parse: duration,
    expected: 'a duration such as 25s',
    fallback: parseDuration(builtinDefaults.shutdownGrace)!,
  }),
  logLevel: setting<string>({
    env: 'LOG_LEVEL',
    file: 'logLevel',
    parse: oneOf(logLevels),
    expected: logLevels.join(', '),
    fallback: builtinDefaults.logLevel,
  }),
  logFormat: setting<LogFormat>({
    env: 'LOG_FORMAT',
    file: 'logFormat',
    parse: oneOf(['json', 'pretty'] as const),
    expected: 'json or pretty',
    fallback: builtinDefaults.logFormat,
  }),
  runOnStart: setting({
    env: 'BWDC_RUN_ON_START',
    file: 'runOnStart',
    parse: bool,
    expected: 'true or false',
    fallback: false,
  }),
  historyMaxBytes: setting({
    env: 'BWDC_HISTORY_MAX_SIZE',
    parse: (v) => {
      const m = /^(\d+)(k|M|G)?i?B?$/.exec(String(v));
      const n = m ? Number(m[1]) * ({ k: 1024, M: 1024 ** 2, G: 1024 ** 3 }[m[2] as 'k'] ?? 1) : NaN;
      return n >= 4096 ? n : undefined;
    },
    expected: 'a size of at least 4k, such as 10M (bytes, or with a k, M or G suffix)',
    fallback: 10 * 1024 * 1024,
  }),
  historyMaxAgeMs: setting({
    env: 'BWDC_HISTORY_MAX_AGE',
    parse: positiveDuration,
    expected: 'a duration such as 90d',
    fallback: 90 * 86_400_000,
  }),
  notifyTimeoutMs: setting({
    env: 'BWDC_NOTIFY_TIMEOUT',
    parse: positiveDuration,
    expected: 'a duration such as 5s',
    fallback: 5000,
  }),
};

type Globals = { [K in keyof typeof globalSettings]: (typeof globalSettings)[K]['fallback'] };

function readGlobal<T>(s: GlobalSetting<T>, env: Env, file: ParsedConfigFile | undefined, errors: string[]): T {
  const fromEnv = env[s.env];
  const fromFile = s.file && (file?.raw[s.file] as Raw | undefined);
  const value = fromEnv !== undefined && fromEnv !== '' ? fromEnv : fromFile;
  if (value === undefined) return s.fallback;
  const parsed = s.parse(value);
  if (parsed !== undefined) return parsed;
  const where = value === fromEnv ? s.env : `${String(s.file)} (${file!.locate([s.file!])})`;
  errors.push(`${where}: ${JSON.stringify(value)} is not valid; expected ${s.expected}`);
  return s.fallback;
}

// Pseudo-filesystems: creating folders there fails slowly or never (Node's recursive mkdir on procfs
// loops), and nothing written there survives. Refused by path, and by the type of the nearest existing folder.
const pseudoRoots = ['/proc', '/sys', '/dev'];
const pseudoTypes = new Set([0x9fa0 /* proc */, 0x62656572 /* sysfs */, 0x1cd1 /* devpts */, 0x27e0eb, 0x63677270]);

export function stateDirProblem(dir: string): string | undefined {
  const root = pseudoRoots.find((r) => dir === r || dir.startsWith(`${r}/`));
  let type: number | undefined;
  for (let d = dir; !root && type === undefined; d = resolve(d, '..')) {
    try {
      type = statfsSync(d).type;
    } catch {
      if (d === '/') break;
    }
  }
  if (root || (type !== undefined && pseudoTypes.has(type)))
    return (
      `"${dir}" is on a pseudo-filesystem (${root ?? 'proc/sys'}), not a place for state; ` +
      'expected a folder on a disk or volume, e.g. /var/lib/bwdc-runner'
    );
  return undefined;
}

export function readGlobals(env: Env, file: ParsedConfigFile | undefined, cwd: string, errors: string[]): Globals {
  const out: Record<string, unknown> = {};
  for (const [key, s] of Object.entries(globalSettings))
    out[key] = readGlobal(s as GlobalSetting<unknown>, env, file, errors);
  const globals = out as Globals;
  globals.stateDir = resolve(cwd, globals.stateDir);
  const problem = stateDirProblem(globals.stateDir);
  if (problem) errors.push(`${env.BWDC_STATE_DIR ? 'BWDC_STATE_DIR' : 'stateDir'}: ${problem}`);
  if (globals.controlDir !== undefined) {
    globals.controlDir = resolve(cwd, globals.controlDir);
    const controlProblem = stateDirProblem(globals.controlDir);
    if (controlProblem) errors.push(`${env.BWDC_CONTROL_DIR ? 'BWDC_CONTROL_DIR' : 'controlDir'}: ${controlProblem}`);
  }
  return globals;
}
