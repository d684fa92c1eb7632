// One retry policy for every secret backend: bounded attempts, exponential backoff with jitter,
// only for errors the backend marks transient (network, 5xx, throttling, a sealed Vault). The SDKs'
// own retries are turned off so that attempts are counted and logged in one place.
import { SecretError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import { readSetting } from '../shared/env-setting.js';
import { processSettings } from '../shared/process-settings.js';
import { retry } from '../shared/retry.js';
import type { Env } from './provider.js';

export interface SecretRequestPolicy {
  /** Hard limit of one request to a backend. */
  timeoutMs: number;
  /** Further attempts after a transient failure. */
  retries: number;
  minBackoffMs: number;
  maxBackoffMs: number;
}

/** From BWDC_SECRET_TIMEOUT, _RETRIES, _BACKOFF (declared in shared/process-settings.ts, checked at load). */
export function secretRequestPolicy(env: Env): SecretRequestPolicy {
  return {
    timeoutMs: readSetting(env, processSettings.secretTimeoutMs)!,
    retries: readSetting(env, processSettings.secretRetries)!,
    minBackoffMs: readSetting(env, processSettings.secretBackoffMs)!,
    maxBackoffMs: 5000,
  };
}

/**
 * Runs `attempt` until it succeeds, throws a non-transient SecretError, or runs out of attempts.
 * `describe` turns any failure into a SecretError whose `transient` decides (shared/retry.ts).
 */
export function withRetries<T>(
  what: string,
  policy: SecretRequestPolicy,
  log: Logger,
  attempt: () => Promise<T>,
  describe: (err: unknown) => SecretError,
  signal?: AbortSignal,
  onAttemptFailed?: (err: SecretError) => void,
): Promise<T> {
  return retry(
    async () => {
      try {
        return await attempt();
      } catch (err) {
        const e = err instanceof SecretError ? err : describe(err);
        onAttemptFailed?.(e);
        throw e;
      }
    },
    (e) => (e as SecretError).transient,
    {
      retries: policy.retries,
      baseMs: policy.minBackoffMs,
      maxMs: policy.maxBackoffMs,
      signal,
      onRetry: (e, n, retriesLeft) =>
        log.warn(
          { secret: what, attempt: n, retriesLeft, err: (e as SecretError).message },
          'secret backend request failed; retrying',
        ),
    },
  );
}
