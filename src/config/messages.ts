// What a configuration message says about a value: what was found (never a secret) and what is
// expected, in words derived from the schema itself, with the declared example, so no validator
// wording reaches the user.
import * as z from 'zod';
import { settingsRegistry } from '../shared/env-setting.js';

export function foundText(value: unknown, schema: z.ZodType): string {
  if (settingsRegistry.get(schema)?.secret) return 'the value';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (value === null || typeof value !== 'object') return String(value);
  return Array.isArray(value) ? 'a list' : 'an object';
}

type JsonSchema = {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minLength?: number;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
};

const quoteAll = (values: unknown[]) => values.map((v) => String(v)).join(', ');

function numberText(s: JsonSchema, example: string | number | undefined): string {
  const kind = s.type === 'integer' ? 'a whole number' : 'a number';
  const range =
    s.minimum !== undefined && s.maximum !== undefined
      ? ` from ${s.minimum} to ${s.maximum}`
      : s.minimum !== undefined
        ? ` of at least ${s.minimum}`
        : s.exclusiveMinimum !== undefined
          ? ` above ${s.exclusiveMinimum}`
          : '';
  return `${kind}${range}, e.g. ${example ?? s.minimum ?? 10}`;
}

/** A JSON Schema node in words. */
function describe(s: JsonSchema, example: string | number | undefined): string {
  if (s.enum) return s.enum.length === 1 ? `"${String(s.enum[0])}"` : `one of ${quoteAll(s.enum)}`;
  if (s.const !== undefined) return JSON.stringify(s.const);
  const options = s.anyOf ?? s.oneOf;
  if (options) return options.map((o) => describe(o, example)).join(', or ');
  switch (s.type) {
    case 'boolean':
      return 'true or false';
    case 'integer':
    case 'number':
      return numberText(s, example);
    case 'array':
      return s.items ? `a list of ${describe(s.items, example)}` : 'a list';
    case 'object':
      return s.properties ? `a block with ${Object.keys(s.properties).join(', ')}` : 'a block of settings';
    default:
      return s.minLength ? 'a non-empty text' : 'a text';
  }
}

/** What `schema` expects, in words, with its declared example. */
export function expectedText(schema: z.ZodType): string {
  try {
    const example = settingsRegistry.get(schema)?.example;
    return describe(z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema, example);
  } catch {
    return 'a valid value';
  }
}
