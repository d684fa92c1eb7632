// One retry loop for the runner's own requests (secret backends, the Bitwarden Public API,
// notifications): bounded attempts, the waits of shared/backoff.ts, and an abort signal that ends
// a wait at once. What is worth another attempt is the caller's to say.
import { setTimeout as sleep } from 'node:timers/promises';
import { backoffMs } from './backoff.js';

export interface RetryOptions {
  /** Further attempts after a failure that `transient` accepts. */
  retries: number;
  /** The first wait; each further one doubles, up to `maxMs` (with jitter). */
  baseMs: number;
  maxMs: number;
  signal?: AbortSignal;
  /** Told before each wait: the failure, the attempt that failed (from 1), the attempts left. */
  onRetry?: (err: unknown, attempt: number, retriesLeft: number) => void;
  /** The wait the failure itself asks for (a server's Retry-After), in ms; used instead of the backoff. */
  waitOf?: (err: unknown) => number | undefined;
}

/**
 * Calls `attempt(n)` (n counts from 1) until it returns. A failure is thrown as it is when
 * `transient` says no, when no retries are left, or when `signal` is aborted.
 */
export async function retry<T>(
  attempt: (n: number) => Promise<T>,
  transient: (err: unknown) => boolean,
  o: RetryOptions,
): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (err) {
      const retriesLeft = o.retries - (n - 1);
      if (!transient(err) || retriesLeft <= 0 || o.signal?.aborted) throw err;
      o.onRetry?.(err, n, retriesLeft);
      const wait = o.waitOf?.(err) ?? backoffMs(n, o.baseMs, o.maxMs);
      await sleep(wait, undefined, { signal: o.signal }).catch(() => undefined);
      if (o.signal?.aborted) throw err;
    }
  }
}
