// The environment variables of docs/reference/environment.md, read into the same raw shape the config
// file uses, each value remembering the variable it came from. Which variable sets which field is the
// field's declaration (schema.ts): nothing here names one, except the notification targets' own.
import { z } from 'zod';
import { envValue, settingsRegistry, type Env, type SettingMeta } from '../shared/env-setting.js';
import { defaultsSchema, type RawInstanceSettings } from './schema.js';
import { dotPath, type Locate, type PathKey } from './issues.js';
import { issueLines, validate } from './validate.js';

export type { Env } from '../shared/env-setting.js';

export interface EnvField {
  path: PathKey[];
  schema: z.ZodType;
  meta: SettingMeta;
}

/** Every field of `shape`, nested blocks too, that a variable sets. */
export function envFields(shape: Record<string, z.ZodType>, path: PathKey[] = []): EnvField[] {
  return Object.entries(shape).flatMap(([key, s]) => {
    const meta = settingsRegistry.get(s);
    const here = meta?.env ? [{ path: [...path, key], schema: s, meta }] : [];
    const inner = s instanceof z.ZodOptional ? (s.unwrap() as z.ZodType) : s;
    const blocks =
      inner instanceof z.ZodObject ? [inner] : inner instanceof z.ZodDiscriminatedUnion ? inner.options : [];
    return [...here, ...blocks.flatMap((b) => envFields((b as z.ZodObject).shape, [...path, key]))];
  });
}

const instanceFields = envFields(defaultsSchema.shape);

function val(env: Env, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v === '' ? undefined : v;
}

function setAt(target: Record<string, unknown>, path: readonly PathKey[], value: unknown): void {
  let node = target;
  for (const k of path.slice(0, -1)) node = (node[k] ??= {}) as Record<string, unknown>;
  node[path[path.length - 1]!] = value;
}

/**
 * Notification targets from the environment: BWDC_NOTIFY, a JSON list as in the file (the chart's
 * CronJobs use it), or one target from BWDC_NOTIFY_URL, _FORMAT, _ON (comma-separated), _AFTER.
 */
function notifyFromEnv(env: Env, errors: string[]): unknown {
  const list = val(env, 'BWDC_NOTIFY');
  const url = val(env, 'BWDC_NOTIFY_URL');
  if (list !== undefined && url !== undefined) {
    errors.push('notify (BWDC_NOTIFY, BWDC_NOTIFY_URL): both are set; set only one');
    return undefined;
  }
  // They only shape BWDC_NOTIFY_URL's target: alone they would do nothing, silently.
  const loose = ['BWDC_NOTIFY_FORMAT', 'BWDC_NOTIFY_ON', 'BWDC_NOTIFY_AFTER'].filter((n) => val(env, n) !== undefined);
  if (url === undefined && loose.length)
    errors.push(
      `notify (${loose.join(', ')}): set without BWDC_NOTIFY_URL, so no notification would use it; expected ` +
        'BWDC_NOTIFY_URL as well (the webhook, e.g. env://SLACK_WEBHOOK_URL)' +
        (list === undefined ? '' : ", or the setting inside BWDC_NOTIFY's list"),
    );
  if (list !== undefined) {
    try {
      return JSON.parse(list) as unknown;
    } catch {
      errors.push(
        'notify (BWDC_NOTIFY): not valid JSON; expected a list such as [{"url": "env://SLACK_URL", "format": "slack"}]',
      );
      return undefined;
    }
  }
  if (url === undefined) return undefined;
  const target: Record<string, unknown> = { url };
  const format = val(env, 'BWDC_NOTIFY_FORMAT');
  if (format !== undefined) target.format = format;
  const on = val(env, 'BWDC_NOTIFY_ON');
  if (on !== undefined)
    target.on = on
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean);
  const after = val(env, 'BWDC_NOTIFY_AFTER');
  if (after !== undefined) target.after = /^\d+$/.test(after) ? Number(after) : after;
  return [target];
}

export interface EnvLayer {
  values: RawInstanceSettings;
  locate: Locate;
  errors: string[];
  /** Fields left out as invalid (already reported): later stages say nothing more about them. */
  invalid: PathKey[][];
}

/** A secret given either directly or as NAME_FILE (the Docker secrets convention). */
function secretFromEnv(env: Env, name: string, field: string, errors: string[], used: Map<string, string>) {
  const direct = val(env, name);
  const file = val(env, `${name}_FILE`);
  if (direct !== undefined && file !== undefined) {
    errors.push(`${field} (${name}, ${name}_FILE): both are set; set only one`);
    return undefined;
  }
  if (file !== undefined) {
    if (!file.startsWith('/')) {
      errors.push(`${field} (${name}_FILE): expected an absolute path, got "${file}"`);
      return undefined;
    }
    used.set(field, `${name}_FILE`);
    return `file://${file}`;
  }
  if (direct !== undefined) used.set(field, name);
  return direct;
}

export function readEnvLayer(env: Env): EnvLayer {
  const errors: string[] = [];
  const used = new Map<string, string>();
  const raw: Record<string, unknown> = {};
  for (const { path, schema, meta } of instanceFields) {
    const field = dotPath(path);
    if (field === 'notify') continue;
    const text = meta.fileVariant ? secretFromEnv(env, meta.env!, field, errors, used) : val(env, meta.env!);
    // glibc's ":/etc/localtime" form of TZ is not an IANA name: leave it to the process default.
    if (text === undefined || (meta.env === 'TZ' && text.startsWith(':'))) continue;
    used.set(field, used.get(field) ?? meta.env!);
    setAt(raw, path, meta.fileVariant ? text : envValue(schema, text));
  }
  const directory = raw.directory as Record<string, unknown> | undefined;
  if (directory && directory.type === undefined) {
    const set = instanceFields.filter((f) => f.path[0] === 'directory' && val(env, f.meta.env!) !== undefined);
    errors.push(
      `directory (${set.map((f) => f.meta.env).join(', ')}): set BWDC_DIRECTORY_TYPE too (ldap, entra, google, okta or onelogin)`,
    );
    delete raw.directory;
  }
  const notify = notifyFromEnv(env, errors);
  if (notify !== undefined) raw.notify = notify;

  const locate: Locate = (path: readonly PathKey[]) => {
    if (path[0] === 'notify' && path.length > 2 && val(env, 'BWDC_NOTIFY') === undefined)
      return `BWDC_NOTIFY_${String(path[2]).toUpperCase()}`; // one target: BWDC_NOTIFY_URL, _FORMAT, _ON, _AFTER
    if (path[0] === 'notify') return val(env, 'BWDC_NOTIFY') === undefined ? 'BWDC_NOTIFY_URL' : 'BWDC_NOTIFY';
    return used.get(dotPath(path)) ?? 'environment';
  };
  // The problems found so far each left a field out (clientSecret, directory, notify): named first in each.
  const leftOut = errors.map((e) => [e.slice(0, e.indexOf(' '))]);
  const checked = validate(defaultsSchema, raw);
  errors.push(...issueLines(checked.issues, locate));
  return { values: checked.value ?? {}, locate, errors, invalid: [...leftOut, ...checked.issues.map((i) => i.path)] };
}
