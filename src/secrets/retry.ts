// One retry policy for every secret backend: bounded attempts, exponential backoff with jitter,
// only for errors the backend marks transient (network, 5xx, throttling, a sealed Vault). The SDKs'
// own retries are turned off so that attempts are counted and logged in one place.
import pRetry, { AbortError } from 'p-retry';
import { SecretError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import { parseDuration } from '../config/duration.js';
import type { Env } from './provider.js';

export interface SecretRequestPolicy {
  /** Hard limit of one request to a backend. */
  timeoutMs: number;
  /** Further attempts after a transient failure. */
  retries: number;
  minBackoffMs: number;
  maxBackoffMs: number;
}

export function secretRequestPolicy(env: Env): SecretRequestPolicy {
  const retries = env.BWDC_SECRET_RETRIES !== undefined && /^\d+$/.test(env.BWDC_SECRET_RETRIES) ? Number(env.BWDC_SECRET_RETRIES) : 3;
  return {
    timeoutMs: parseDuration(env.BWDC_SECRET_TIMEOUT ?? '10s') ?? 10_000,
    retries,
    minBackoffMs: parseDuration(env.BWDC_SECRET_BACKOFF ?? '250ms') ?? 250,
    maxBackoffMs: 5000,
  };
}

/**
 * Runs `attempt` until it succeeds, throws a non-retryable SecretError, or runs out of attempts.
 * `describe` turns any failure into a SecretError whose `retryable` decides.
 */
export async function withRetries<T>(
  what: string,
  policy: SecretRequestPolicy,
  log: Logger,
  attempt: () => Promise<T>,
  describe: (err: unknown) => SecretError,
  signal?: AbortSignal,
  onAttemptFailed?: (err: SecretError) => void,
): Promise<T> {
  try {
    return await pRetry(
      async () => {
        try {
          return await attempt();
        } catch (err) {
          const e = err instanceof SecretError ? err : describe(err);
          onAttemptFailed?.(e);
          throw e.retryable ? e : new AbortError(e);
        }
      },
      {
        retries: policy.retries,
        factor: 2,
        minTimeout: policy.minBackoffMs,
        maxTimeout: policy.maxBackoffMs,
        randomize: true,
        signal,
        onFailedAttempt: (e) => {
          if (e.retriesLeft > 0) log.warn({ secret: what, attempt: e.attemptNumber, retriesLeft: e.retriesLeft, err: e.message }, 'secret backend request failed; retrying');
        },
      },
    );
  } catch (err) {
    if (err instanceof SecretError) throw err;
    const original = (err as { originalError?: unknown }).originalError;
    if (original instanceof SecretError) throw original;
    throw describe(err);
  }
}
