// The merge stage: an instance's settings are layers (environment < file defaults < the instance itself);
// a field's value is the top-most layer's. And the instance's problems, which stay quiet about a field
// whose value an earlier stage already reported invalid (one bad value, one message).
import * as z from 'zod';
import { defaultOf } from '../shared/env-setting.js';
import { dotPath, type Locate, type PathKey } from './issues.js';
import { defaultsSchema, type RawInstanceSettings } from './schema.js';

export interface Layer {
  values: RawInstanceSettings;
  locate: Locate;
  /** Folder that relative paths in this layer are relative to. */
  baseDir: string;
  /** How the layer's fields are named in messages: ['defaults'], ['instances', 2], or [] for the environment. */
  label: PathKey[];
  /** Fields of this layer left out as invalid by the validate stage (already reported). */
  invalid?: readonly PathKey[][];
}

export interface Picked<T> {
  value: T | undefined;
  where: string;
  layer: Layer | undefined;
  /** The field as named in the layer it came from. */
  path: PathKey[];
}

/** The declared default of an instance setting (schema.ts), parsed; undefined when it has none. */
function defaultAt(path: readonly PathKey[]): unknown {
  let node: z.ZodType | undefined = defaultsSchema;
  for (const k of path) {
    const inner: z.ZodType | undefined = node instanceof z.ZodOptional ? (node.unwrap() as z.ZodType) : node;
    node = inner instanceof z.ZodObject ? (inner.shape[k] as z.ZodType | undefined) : undefined;
  }
  return node && defaultOf(node);
}

/** A field's value from the top-most layer that sets it, else its declared default. */
export function pick<T>(layers: readonly Layer[], path: PathKey[]): Picked<T> {
  for (let i = layers.length - 1; i >= 0; i--) {
    const layer = layers[i]!;
    let v: unknown = layer.values;
    for (const k of path) v = v === undefined || v === null ? undefined : (v as Record<PathKey, unknown>)[k];
    if (v !== undefined) return { value: v as T, where: layer.locate(path), layer, path: [...layer.label, ...path] };
  }
  return { value: defaultAt(path) as T | undefined, where: 'default', layer: undefined, path };
}

/**
 * A block merged over the layers, field by field (defaults give some fields, the instance the rest).
 * A `directory` of another type than the layers below it replaces theirs whole.
 */
export function mergeBlock<T extends object>(layers: readonly Layer[], key: 'directory' | 'sync'): T | undefined {
  let merged: Record<string, unknown> | undefined;
  for (const layer of layers) {
    const v = layer.values[key] as Record<string, unknown> | undefined;
    if (v === undefined) continue;
    merged = key === 'directory' && merged && merged.type !== v.type ? { ...v } : { ...merged, ...v };
  }
  return merged as T | undefined;
}

const overlaps = (a: readonly PathKey[], b: readonly PathKey[]) =>
  a.slice(0, Math.min(a.length, b.length)).every((k, i) => k === b[i]);

/** One instance's problems: each names the field, where it was set and what is expected. */
export class InstanceProblems {
  private readonly start: number;
  constructor(
    private readonly layers: readonly Layer[],
    private readonly label: PathKey[],
    private readonly errors: string[],
    readonly warnings: string[],
  ) {
    this.start = errors.length;
  }

  /** True when a field (or a part of it, or the block holding it) was already reported invalid. */
  reported(field: readonly PathKey[]): boolean {
    return this.layers.some((l) => (l.invalid ?? []).some((bad) => overlaps(bad, field)));
  }

  /** A field of this instance: instances[2].clientId (where). `about` adds fields the problem follows from. */
  at(field: PathKey[], where: string, msg: string, about: PathKey[][] = []): void {
    if ([field, ...about].some((f) => this.reported(f))) return;
    this.errors.push(`${dotPath([...this.label, ...field])} (${where}): ${msg}`);
  }

  /** A value named as written where it was set (a shared layer: defaults, the environment). */
  atValue(p: Picked<unknown>, msg: string, field: PathKey[] = p.path.slice(p.layer?.label.length ?? 0)): void {
    if (this.reported(field)) return;
    this.errors.push(`${dotPath(p.layer ? p.path : [...this.label, ...p.path])} (${p.where}): ${msg}`);
  }

  warn(field: PathKey[], where: string, msg: string): void {
    this.warnings.push(`${dotPath([...this.label, ...field])} (${where}): ${msg}`);
  }

  get failed(): boolean {
    return this.errors.length > this.start;
  }
}
