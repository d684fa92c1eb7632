// A data.json for people to read: every secret bwdc may hold (the directory secrets of all five
// sections, the session) replaced by a mask, at any depth.
import { directoryKinds } from './types.js';

const secretKeys = new Set([
  'accessToken',
  'refreshToken',
  'apiKeyClientId',
  'apiKeyClientSecret',
  'twoFactorToken',
  ...directoryKinds.map((k) => k.path[1]),
]);

export const mask = '********';

export function maskSecrets<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v) => maskSecrets(v) as unknown) as T;
  if (!value || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (secretKeys.has(k) && typeof v === 'string' && v !== '') out[k] = mask;
    else out[k] = maskSecrets(v);
  }
  return out as T;
}
