// A setting declared once: its zod schema with what the generated docs, the environment reader and the
// messages need beside it (its variable, default, example), kept in one zod registry. Here, in shared/,
// so that every layer reads its variables through declarations (secrets/ may not import config/).
import * as z from 'zod';
import { ConfigError } from '../errors.js';
import { durationPattern, parseDuration } from './duration.js';

export interface SettingMeta {
  /** The variable that sets it. */
  env?: string;
  /** The value when nothing sets it, as written (e.g. "15m"); parsed through the schema. */
  default?: string | number | boolean;
  /** For messages: "e.g. 636". */
  example?: string | number;
  /** What is expected, where the schema's own words would not do (a size, a plan id). */
  expected?: string;
  /** What a bad value is not ("a plan id"); default "valid". */
  noun?: string;
  /** A secret, or a URL that carries one: never quoted in a message. */
  secret?: boolean;
  /** Also settable as NAME_FILE, an absolute path (the Docker secrets convention). */
  fileVariant?: boolean;
}

export const settingsRegistry = z.registry<SettingMeta>();

/** Metadata for a schema that is not an optional setting of its own (a block's field, a list item's). */
export function declare<T extends z.ZodType>(schema: T, meta: SettingMeta): T {
  settingsRegistry.add(schema, meta);
  return schema;
}

declare const defaulted: unique symbol;
/** The type of a setting declared with a default: its value is never undefined once loaded. */
export interface Defaulted {
  readonly [defaulted]: true;
}

/** One optional setting: its schema, its description (docs and config.schema.json) and its metadata. */
export function setting<T extends z.ZodType, M extends SettingMeta = SettingMeta>(schema: T, doc: string, meta?: M) {
  const d = meta?.default;
  // An empty default (BWDC_PASS_ENV: nothing) is no value to name.
  const s = schema.optional().describe(d === undefined || d === '' ? doc : `${doc} Default ${String(d)}.`);
  settingsRegistry.add(s, meta ?? {});
  return s as z.ZodOptional<T> & (M extends { default: string | number | boolean } ? Defaulted : unknown);
}

const durationText = 'expected a duration such as 90s, 15m or 1h';
/** A duration (`90s`, `15m`, `1h`; a bare number is seconds), parsed into milliseconds. */
export const duration = z
  .union([z.string().regex(durationPattern, durationText), z.number().nonnegative()])
  .describe('A duration: `90s`, `15m`, `1h`, `500ms`; a bare number is seconds.')
  .transform((v, ctx) => parseDuration(v) ?? (ctx.issues.push({ code: 'custom', message: durationText, input: v }), 0));

export type Env = Readonly<Record<string, string | undefined>>;

/** An environment text typed where unambiguous (a number, true, false) unless the schema takes it as text. */
export function envValue(schema: z.ZodType, text: string): unknown {
  const typed = text === 'true' ? true : text === 'false' ? false : /^\d+(\.\d+)?$/.test(text) ? Number(text) : text;
  return typed !== text && !schema.safeParse(typed).success && schema.safeParse(text).success ? text : typed;
}

/** The declared default, parsed (undefined when it has none). */
export function defaultOf<T>(schema: z.ZodType<T>): T | undefined {
  const d = settingsRegistry.get(schema)?.default;
  return d === undefined ? undefined : schema.parse(d);
}

/**
 * A variable of the process read through its declaration: unset or empty gives the default; an invalid
 * value is a configuration error (exit 2) naming the variable and what is expected, never a silent default.
 */
export function readSetting<T>(env: Env, schema: z.ZodType<T>): T {
  const meta = settingsRegistry.get(schema) ?? {};
  const text = env[meta.env!];
  if (text === undefined || text === '') return defaultOf(schema) as T;
  const parsed = schema.safeParse(envValue(schema, text));
  if (parsed.success) return parsed.data;
  const found = meta.secret ? 'the value' : `"${text}"`;
  throw new ConfigError(
    `${meta.env}: ${found} is not ${meta.noun ?? 'valid'}; expected ${meta.expected ?? 'a valid value'}`,
  );
}
