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

function shapeKeys(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  // Walk the schema along the path to list the keys allowed where an unknown key was found.
  let node: unknown = schema;
  for (const k of path) {
    const def = (
      node as {
        def?: {
          type?: string;
          shape?: Record<string, unknown>;
          element?: unknown;
          innerType?: unknown;
          options?: unknown[];
        };
      }
    ).def;
    if (!def) return [];
    if (def.type === 'optional' || def.type === 'default') node = def.innerType;
    if ((node as { def?: { type?: string } }).def?.type === 'array' && typeof k === 'number')
      node = (node as { def: { element: unknown } }).def.element;
    else if ((node as { def?: { shape?: Record<string, unknown> } }).def?.shape)
      node = (node as { def: { shape: Record<string, unknown> } }).def.shape[String(k)];
    else return [];
    while ((node as { def?: { type?: string } })?.def?.type === 'optional')
      node = (node as { def: { innerType: unknown } }).def.innerType;
  }
  return Object.keys((node as { def?: { shape?: Record<string, unknown> } })?.def?.shape ?? {});
}

export function formatZodIssues(
  error: z.ZodError,
  schema: z.ZodType,
  locate: Locate,
  prefix: readonly PathKey[] = [],
): string[] {
  const out: string[] = [];
  for (const issue of error.issues) {
    const path = [...prefix, ...(issue.path as PathKey[])];
    if (issue.code === 'unrecognized_keys') {
      const allowed = shapeKeys(schema, issue.path);
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
