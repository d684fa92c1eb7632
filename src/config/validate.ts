// The validate stage: a raw value (one layer: the file, the environment, a folder's runner.yaml) checked
// against its zod schema field by field. A bad field is reported once, in this project's words, and
// dropped; every other field is kept, so one bad value never turns into "required" errors about
// settings that are set (docs/configuration.md "Errors"). The dropped paths are returned so later stages
// stay quiet about them.
import * as z from 'zod';
import { closest, dotPath, type PathKey } from './issues.js';
import { expectedText, foundText } from './messages.js';

export interface FieldIssue {
  path: PathKey[];
  message: string;
}

export interface Validated<T> {
  /** The value with every bad field left out. */
  value: T | undefined;
  issues: FieldIssue[];
}

const isRecord = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** The schema inside optional wrappers (zod's typed classes, no internals). */
const unwrap = (node: z.ZodType): z.ZodType =>
  node instanceof z.ZodOptional ? unwrap(node.unwrap() as z.ZodType) : node;
const isOptional = (node: z.ZodType) => node.safeParse(undefined).success;

/** Checks `value` against `schema`; the result keeps every field that passed. */
export function validate<T>(schema: z.ZodType<T>, value: unknown, path: PathKey[] = []): Validated<T> {
  const issues: FieldIssue[] = [];
  const out = walk(schema, value, path, issues);
  return { value: out as T | undefined, issues };
}

function walk(schema: z.ZodType, value: unknown, path: PathKey[], issues: FieldIssue[]): unknown {
  const node = unwrap(schema);
  if (value === undefined) return isOptional(schema) ? undefined : missing(node, path, issues);
  if (node instanceof z.ZodObject && isRecord(value)) return walkObject(node.shape, value, path, issues);
  if (node instanceof z.ZodArray && Array.isArray(value))
    return value.map((v, i) => walk(node.element as z.ZodType, v, [...path, i], issues)).filter((v) => v !== undefined);
  if (node instanceof z.ZodDiscriminatedUnion && isRecord(value)) {
    const key = node.def.discriminator;
    const options = node.options as readonly z.ZodObject[];
    const option = options.find((o) => (o.shape[key] as z.ZodType).safeParse(value[key]).success);
    if (option) return walk(option, value, path, issues);
    const at = [...path, key];
    issues.push({ path: at, message: problem(node, value[key], node.safeParse(value).error?.issues[0]) });
    return undefined;
  }
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  issues.push({ path, message: problem(schema, value, parsed.error.issues[0]) });
  return undefined;
}

function walkObject(
  shape: Record<string, z.ZodType>,
  value: Record<string, unknown>,
  path: PathKey[],
  issues: FieldIssue[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const allowed = Object.keys(shape);
  for (const [key, v] of Object.entries(value)) {
    if (!Object.hasOwn(shape, key)) {
      const hint = closest(key, allowed);
      issues.push({
        path: [...path, key],
        message: `unknown key "${key}"${hint ? `; did you mean "${hint}"?` : ''} Allowed here: ${allowed.join(', ')}`,
      });
      continue;
    }
    const checked = walk(shape[key]!, v, [...path, key], issues);
    if (checked !== undefined) out[key] = checked;
  }
  for (const key of allowed) if (value[key] === undefined) walk(shape[key]!, undefined, [...path, key], issues);
  return out;
}

function missing(node: z.ZodType, path: PathKey[], issues: FieldIssue[]): undefined {
  const what = node.description ? `: ${node.description}` : `; expected ${expectedText(node)}`;
  issues.push({ path, message: `required${what}` });
  return undefined;
}

/** Why `value` does not fit `schema`, in this project's words. */
export function problem(schema: z.ZodType, value: unknown, issue = schema.safeParse(value).error?.issues[0]): string {
  // A whole sentence of the schema's own ("<found> is not a valid instance name; expected ...") is kept
  // as written, so the file says what the environment and the chart say.
  // So is a rule's own sentence (a secret reference's syntax, a URL): it says what is wrong by itself.
  if (issue && (issue.message.includes('; expected ') || (issue.code === 'custom' && !/^expected/.test(issue.message))))
    return issue.message;
  // The schema's own messages (all written "expected ...") are this project's; zod's defaults are not.
  const own = issue && ownMessage(issue);
  if (value === undefined) return `required; ${own ?? `expected ${expectedText(schema)}`}`;
  return `${foundText(value, schema)} is not valid; ${own ?? `expected ${expectedText(schema)}`}`;
}

function ownMessage(issue: z.core.$ZodIssue): string | undefined {
  if (issue.message.startsWith('expected')) return issue.message;
  if (issue.code === 'invalid_union')
    for (const option of issue.errors) for (const i of option) if (i.message.startsWith('expected')) return i.message;
  return undefined;
}

/** The issues as message lines: `field (where): message`, where is a variable or file:line. */
export function issueLines(issues: readonly FieldIssue[], locate: (path: readonly PathKey[]) => string): string[] {
  return issues.map((i) => `${dotPath(i.path) || '(top level)'} (${locate(i.path)}): ${i.message}`);
}
