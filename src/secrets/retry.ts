// One retry policy for every secret backend: bounded attempts, exponential backoff with jitter,
// only for errors the backend marks transient (network, 5xx, throttling, a sealed Vault). The SDKs'
// own retries are turned off so that attempts are counted and logged in one place.
import { setTimeout as sleep } from 'node:timers/promises';
import { SecretError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import { backoffMs } from '../shared/backoff.js';
import { parseDuration } from '../shared/duration.js';
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
  const retries =
    env.BWDC_SECRET_RETRIES !== undefined && /^\d+$/.test(env.BWDC_SECRET_RETRIES)
      ? Number(env.BWDC_SECRET_RETRIES)
      : 3;
  return {
    timeoutMs: parseDuration(env.BWDC_SECRET_TIMEOUT ?? '10s') ?? 10_000,
    retries,
    minBackoffMs: parseDuration(env.BWDC_SECRET_BACKOFF ?? '250ms') ?? 250,
    maxBackoffMs: 5000,
  };
}

/**
 * Runs `attempt` until it succeeds, throws a non-retryable SecretError, or runs out of attempts.
 * `describe` turns any failure into a SecretError whose `retryable` decides. The waits are the
 * run retries' own backoff (shared/backoff.ts).
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
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (err) {
      const e = err instanceof SecretError ? err : describe(err);
      onAttemptFailed?.(e);
      const retriesLeft = policy.retries - (n - 1);
      if (!e.retryable || retriesLeft <= 0 || signal?.aborted) throw e;
      log.warn({ secret: what, attempt: n, retriesLeft, err: e.message }, 'secret backend request failed; retrying');
      await sleep(backoffMs(n, policy.minBackoffMs, policy.maxBackoffMs), undefined, { signal }).catch(() => undefined);
      if (signal?.aborted) throw e;
    }
  }
}
