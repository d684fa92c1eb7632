// Exponential backoff with full jitter, capped: the one answer to "how long until the next try",
// for a run's retries (runner/retry-policy.ts) and for the runner's own requests (shared/retry.ts).

/** The wait before try `attempt + 1` after `attempt` failed (attempt counts from 1). */
export function backoffMs(attempt: number, base: number, max: number, random = Math.random): number {
  const ceiling = Math.min(max, base * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
