// The environment variables of docs/reference/environment.md, read into the same raw shape the config
// file uses, each value remembering the variable it came from. Which variable sets which field is the
// field's declaration (schema.ts): nothing here names one, except the notification targets' own.
import * as z from 'zod';
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
    // A list of blocks: its variables set the first (the one notification target of BWDC_NOTIFY_URL).
    const [block, at] = inner instanceof z.ZodArray ? [inner.element, [...path, key, 0]] : [inner, [...path, key]];
    const blocks =
      block instanceof z.ZodObject ? [block] : block instanceof z.ZodDiscriminatedUnion ? block.options : [];
    return [...here, ...blocks.flatMap((b) => envFields((b as z.ZodObject).shape, at))];
  });
}

const instanceFields = envFields(defaultsSchema.shape);

function val(env: Env, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v === '' ? undefined : v;
}

/** `inner` is `outer` or a field inside it (notify[0].url inside notify). */
const within = (inner: string, outer: string) =>
  inner === outer || inner.startsWith(`${outer}.`) || inner.startsWith(`${outer}[`);

function setAt(target: Record<string, unknown>, path: readonly PathKey[], value: unknown): void {
  let node = target;
  for (const [i, k] of path.slice(0, -1).entries())
    node = (node[k] ??= typeof path[i + 1] === 'number' ? [] : {}) as Record<string, unknown>;
  node[path[path.length - 1]!] = value;
}

/** The one target of BWDC_NOTIFY_URL: its other variables alone would do nothing, silently. */
function looseTarget(env: Env, errors: string[]): void {
  const loose = ['BWDC_NOTIFY_FORMAT', 'BWDC_NOTIFY_ON', 'BWDC_NOTIFY_AFTER'].filter((n) => val(env, n) !== undefined);
  if (val(env, 'BWDC_NOTIFY_URL') !== undefined || !loose.length) return;
  errors.push(
    `notify (${loose.join(', ')}): set without BWDC_NOTIFY_URL, so no notification would use it; expected ` +
      'BWDC_NOTIFY_URL as well (the webhook, e.g. env://SLACK_WEBHOOK_URL)' +
      (val(env, 'BWDC_NOTIFY') === undefined ? '' : ", or the setting inside BWDC_NOTIFY's list"),
  );
}

/** A variable's text as its field takes it: a list comma-separated, a list of blocks as JSON. */
function textValue(schema: z.ZodType, text: string): unknown {
  const inner = schema instanceof z.ZodOptional ? (schema.unwrap() as z.ZodType) : schema;
  if (!(inner instanceof z.ZodArray)) return envValue(schema, text);
  if (!(inner.element instanceof z.ZodObject))
    return text
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

export interface EnvLayer {
  values: RawInstanceSettings;
  locate: Locate;
  errors: string[];
  /** Fields left out as invalid (already reported): later stages say nothing more about them. */
  invalid: PathKey[][];
}

/** A secret given either directly or as NAME_FILE (the Docker secrets convention). */
function secretFromEnv(env: Env, name: string, field: string, errors: string[]): [string | undefined, string] {
  const direct = val(env, name);
  const file = val(env, `${name}_FILE`);
  if (direct !== undefined && file !== undefined) {
    errors.push(`${field} (${name}, ${name}_FILE): both are set; set only one`);
    return [undefined, name];
  }
  if (file !== undefined) {
    if (!file.startsWith('/')) {
      errors.push(`${field} (${name}_FILE): expected an absolute path, got "${file}"`);
      return [undefined, name];
    }
    return [`file://${file}`, `${name}_FILE`];
  }
  return [direct, name];
}

export function readEnvLayer(env: Env): EnvLayer {
  const errors: string[] = [];
  const used = new Map<string, string>();
  const raw: Record<string, unknown> = {};
  for (const { path, schema, meta } of instanceFields) {
    const field = dotPath(path);
    const [text, name] = meta.fileVariant
      ? secretFromEnv(env, meta.env!, field, errors)
      : [val(env, meta.env!), meta.env!];
    // glibc's ":/etc/localtime" form of TZ is not an IANA name: leave it to the process default.
    if (text === undefined || (meta.env === 'TZ' && text.startsWith(':'))) continue;
    if (path[0] === 'notify' && path.length > 1 && val(env, 'BWDC_NOTIFY_URL') === undefined) continue; // looseTarget
    const other = [...used].find(([f]) => within(field, f) || within(f, field));
    const value = meta.fileVariant ? text : textValue(schema, text);
    const top = String(path[0]);
    if (other && !errors.some((e) => e.startsWith(`${top} (`)))
      errors.push(`${top} (${other[1]}, ${name}): both are set; set only one`);
    else if (value === undefined)
      errors.push(
        `${field} (${name}): not valid JSON; expected a list such as [{"url": "env://SLACK_URL", "format": "slack"}]`,
      );
    if (other) delete raw[top];
    if (other || value === undefined) continue;
    used.set(field, name);
    setAt(raw, path, value);
  }
  const directory = raw.directory as Record<string, unknown> | undefined;
  if (directory && directory.type === undefined) {
    const set = instanceFields.filter((f) => f.path[0] === 'directory' && val(env, f.meta.env!) !== undefined);
    errors.push(
      `directory (${set.map((f) => f.meta.env).join(', ')}): set BWDC_DIRECTORY_TYPE too (ldap, entra, google, okta or onelogin)`,
    );
    delete raw.directory;
  }
  looseTarget(env, errors);

  // The variable that set the field, or the block or list holding it.
  const locate: Locate = (path: readonly PathKey[]) => {
    for (let n = path.length; n > 0; n--)
      if (used.has(dotPath(path.slice(0, n)))) return used.get(dotPath(path.slice(0, n)))!;
    return 'environment';
  };
  // The problems found so far each left a field out (clientSecret, directory, notify): named first in each.
  const leftOut = errors.map((e) => [e.slice(0, e.indexOf(' '))]);
  const checked = validate(defaultsSchema, raw);
  errors.push(...issueLines(checked.issues, locate));
  return { values: checked.value ?? {}, locate, errors, invalid: [...leftOut, ...checked.issues.map((i) => i.path)] };
}
