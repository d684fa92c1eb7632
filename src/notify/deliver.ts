// One POST or GET to a notification target or a heartbeat URL: a bounded timeout per attempt, a
// retry or two on network errors, 5xx and 429, never an exception. The URL is a secret (it carries
// a token): results and errors name the target's label, never the URL.
import { retry } from '../shared/retry.js';
import { failureReason, httpRequest } from '../shared/http.js';

export interface DeliveryOptions {
  timeoutMs: number;
  retries: number;
  backoffMs: number;
}

export const defaultDelivery: DeliveryOptions = { timeoutMs: 5000, retries: 2, backoffMs: 500 };

export interface Delivery {
  ok: boolean;
  /** Secret-free: an HTTP status or an error code. */
  detail: string;
  attempts: number;
}

/** A failed attempt; `detail` is secret-free. */
class Undelivered extends Error {
  constructor(
    readonly detail: string,
    readonly transient: boolean,
  ) {
    super(detail);
  }
}

export async function deliver(
  url: string,
  payload: { method: 'POST'; json: unknown } | { method: 'POST'; text: string } | { method: 'GET' },
  o: DeliveryOptions,
): Promise<Delivery> {
  let attempts = 0;
  const body = 'json' in payload ? JSON.stringify(payload.json) : 'text' in payload ? payload.text : undefined;
  try {
    const status = await retry(
      async (n) => {
        attempts = n;
        const timeout = AbortSignal.timeout(o.timeoutMs);
        let res;
        try {
          res = await httpRequest({
            method: payload.method,
            url,
            signal: timeout,
            body,
            headers: {
              'Content-Type': 'json' in payload ? 'application/json' : 'text/plain; charset=utf-8',
              'User-Agent': 'bwdc-runner',
            },
          });
        } catch (err) {
          // The reason is a code (ECONNREFUSED) or "timed out": nothing of the URL.
          throw new Undelivered(failureReason(err, timeout.aborted).replace(/https?:\/\/\S+/g, '<url>'), true);
        }
        if (res.status < 200 || res.status >= 300)
          throw new Undelivered(`HTTP ${res.status}`, res.status >= 500 || res.status === 429);
        return res.status;
      },
      (err) => (err as Undelivered).transient,
      { retries: o.retries, baseMs: o.backoffMs, maxMs: o.timeoutMs },
    );
    return { ok: true, detail: `HTTP ${status}`, attempts };
  } catch (err) {
    return { ok: false, detail: err instanceof Undelivered ? err.detail : 'failed', attempts };
  }
}
