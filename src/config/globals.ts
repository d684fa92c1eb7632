// The settings of the process (state folder, concurrency, ports, logging), as declared in schema.ts: each
// from its variable, else the file's key (already validated), else its default. The environment wins here
// (docs/configuration.md). And the variables that are no key of the file (shared/process-settings.ts).
import { resolve } from 'node:path';
import { statfsSync } from 'node:fs';
import * as z from 'zod';
import { defaultOf, envValue, readSetting, settingsRegistry, type Env } from '../shared/env-setting.js';
import { processSettings } from '../shared/process-settings.js';
import { errorMessage } from '../errors.js';
import type { ParsedConfigFile } from './file.js';
import { globalSettings } from './schema.js';
import { problem } from './validate.js';

type G = typeof globalSettings;
/** Every global has a default but these two (undefined: stateDir, and bwdc on PATH). */
export type Globals = { [K in Exclude<keyof G, 'controlDir' | 'bwdcPath'>]: NonNullable<z.output<G[K]>> } & {
  controlDir: string | undefined;
  bwdcPath: string | undefined;
};

function readGlobal(key: string, schema: z.ZodType, env: Env, file: ParsedConfigFile | undefined, errors: string[]) {
  const name = settingsRegistry.get(schema)!.env!;
  const text = env[name];
  if (text === undefined || text === '') return (file?.raw as Record<string, unknown>)?.[key] ?? defaultOf(schema);
  const value = envValue(schema, text);
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  errors.push(`${name}: ${problem(schema, value, parsed.error.issues[0])}`);
  return defaultOf(schema);
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

export function readGlobals(env: Env, file: ParsedConfigFile | undefined, cwd: string, errors: string[]) {
  const out: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(globalSettings)) out[key] = readGlobal(key, schema, env, file, errors);
  const globals = out as Globals;
  for (const key of ['stateDir', 'controlDir'] as const) {
    if (globals[key] === undefined) continue;
    globals[key] = resolve(cwd, globals[key]);
    const problem = stateDirProblem(globals[key]);
    const name = settingsRegistry.get(globalSettings[key])!.env!;
    if (problem) errors.push(`${env[name] ? name : key}: ${problem}`);
  }
  return globals;
}

/** The variables that are no key of the file, each checked now: a bad one stops the load (exit 2). */
export function readProcessSettings(env: Env, errors: string[]) {
  const out: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(processSettings)) {
    try {
      out[key] = readSetting(env, schema as z.ZodType);
    } catch (err) {
      errors.push(errorMessage(err));
    }
  }
  return out as { [K in keyof typeof processSettings]: z.output<(typeof processSettings)[K]> };
}
