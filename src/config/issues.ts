// Turns schema issues into messages that name the field, where it was set, and what is expected.
import type { z } from 'zod';

export type PathKey = string | number;
export type Locate = (path: readonly PathKey[]) => string;

export function dotPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const k of path) {
    if (typeof k === 'number') out += `[${k}]`;
    else out += out ? `.${String(k)}` : String(k);
  }
  return out;
}

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++)
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
  return d[a.length]![b.length]!;
}

/** "did you mean" for a misspelled key. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const dist = editDistance(word.toLowerCase(), c.toLowerCase());
    if (dist < bestD) [best, bestD] = [c, dist];
  }
  return bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

type SchemaDef = {
  type?: string;
  shape?: Record<string, unknown>;
  element?: unknown;
  innerType?: unknown;
  options?: unknown[];
  discriminator?: string;
};
const defOf = (node: unknown): SchemaDef | undefined => (node as { def?: SchemaDef } | undefined)?.def;

/** Through optional/default wrappers, and into the option of a discriminated union the input picks. */
function unwrap(node: unknown, input: unknown): unknown {
  for (;;) {
    const def = defOf(node);
    if (def?.type === 'optional' || def?.type === 'default') node = def.innerType;
    else if (def?.type === 'union' && def.discriminator && def.options) {
      const want = (input as Record<string, unknown> | undefined)?.[def.discriminator];
      const option = def.options.find((o) => {
        const lit = defOf(defOf(o)?.shape?.[def.discriminator!]) as { values?: unknown[] } | undefined;
        return lit?.values?.includes(want);
      });
      if (!option) return node;
      node = option;
    } else return node;
  }
}

/** The keys allowed where an unknown key was found: the schema walked along the path (and the input). */
function shapeKeys(schema: z.ZodType, path: readonly PropertyKey[], input: unknown): string[] {
  let node: unknown = unwrap(schema, input);
  let value = input;
  for (const k of path) {
    const def = defOf(node);
    if (!def) return [];
    if (def.type === 'array' && typeof k === 'number') node = def.element;
    else if (def.shape) node = def.shape[String(k)];
    else return [];
    value = (value as Record<PropertyKey, unknown> | undefined)?.[k];
    node = unwrap(node, value);
  }
  return Object.keys(defOf(node)?.shape ?? {});
}

export function formatZodIssues(
  error: z.ZodError,
  schema: z.ZodType,
  locate: Locate,
  prefix: readonly PathKey[] = [],
  /** The value that was parsed: picks the option of a discriminated union (`directory.type`). */
  input?: unknown,
): string[] {
  const out: string[] = [];
  for (const issue of error.issues) {
    const path = [...prefix, ...(issue.path as PathKey[])];
    if (issue.code === 'unrecognized_keys') {
      const allowed = shapeKeys(schema, issue.path, input);
      for (const key of issue.keys) {
        const keyPath = [...path, key];
        const hint = closest(key, allowed);
        out.push(
          `${dotPath(keyPath)} (${locate(keyPath)}): unknown key "${key}"${hint ? `; did you mean "${hint}"?` : ''} Allowed here: ${allowed.join(', ')}`,
        );
      }
      continue;
    }
    const where = dotPath(path) || '(top level)';
    out.push(`${where} (${locate(path)}): ${issue.message}`);
  }
  return out;
}
