// The contract every secret backend fits (after external-secrets' Provider/SecretsClient split):
// a provider resolves one parsed reference to its value, or throws a SecretError that names the
// reference and the backend's reason, never the value.
import type { Logger } from '../observability/logger.js';
import type { SecretRef, SecretScheme } from '../shared/secret-ref.js';

export type Env = Readonly<Record<string, string | undefined>>;
export type Reference = Extract<SecretRef, { kind: 'ref' }>;

export interface ResolveContext {
  env: Env;
  log: Logger;
  signal?: AbortSignal;
}

export interface SecretProvider {
  readonly scheme: SecretScheme;
  resolve(ref: Reference, ctx: ResolveContext): Promise<string>;
  /** Releases clients and timers (tokens renewals and the like). */
  close?(): Promise<void>;
}

/** A provider whose module is imported only when a reference first needs it. */
export interface ProviderFactory {
  readonly scheme: SecretScheme;
  load(env: Env): Promise<SecretProvider>;
}
