// `#KEY` picks a field out of a JSON secret (AWS) or a Vault secret's data: the exact key first,
// then a dot path for nesting (`#db.password`). Without a key the whole string is the value.
import { SecretError } from '../errors.js';
import type { Reference } from './provider.js';

export function pickFromObject(ref: Reference, data: unknown, key: string): string {
  let node: unknown = data;
  if (data && typeof data === 'object' && key in data) node = (data as Record<string, unknown>)[key];
  else {
    for (const part of key.split('.')) {
      node = node && typeof node === 'object' ? (node as Record<string, unknown>)[part] : undefined;
    }
  }
  if (node === undefined || node === null) {
    const keys = data && typeof data === 'object' ? Object.keys(data).join(', ') : 'none';
    throw new SecretError(`${ref.text}: the secret has no key "${key}" (its keys: ${keys})`);
  }
  if (typeof node === 'string') return node;
  if (typeof node === 'number' || typeof node === 'boolean' || typeof node === 'bigint') return String(node);
  throw new SecretError(
    `${ref.text}: key "${key}" holds an object, not a string; name a field inside it with a dot path`,
  );
}

export function pickKey(ref: Reference, text: string): string {
  if (!ref.key) return text;
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new SecretError(
      `${ref.text}: the secret is not JSON, so #${ref.key} cannot be picked out of it; drop the #KEY to use the whole value`,
    );
  }
  return pickFromObject(ref, data, ref.key);
}
