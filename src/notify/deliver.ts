// One POST or GET to a notification target or a heartbeat URL: a bounded timeout per attempt, a
// retry or two on network errors, 5xx and 429, never an exception. The URL is a secret (it carries
// a token): results and errors name the target's label, never the URL.
import { backoffMs } from '../shared/backoff.js';
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

export async function deliver(
  url: string,
  payload: { method: 'POST'; json: unknown } | { method: 'POST'; text: string } | { method: 'GET' },
  o: DeliveryOptions,
): Promise<Delivery> {
  let detail: string;
  for (let attempt = 1; ; attempt++) {
    const timeout = AbortSignal.timeout(o.timeoutMs);
    try {
      const body = 'json' in payload ? JSON.stringify(payload.json) : 'text' in payload ? payload.text : undefined;
      const res = await httpRequest({
        method: payload.method,
        url,
        signal: timeout,
        body,
        headers: {
          'Content-Type': 'json' in payload ? 'application/json' : 'text/plain; charset=utf-8',
          'User-Agent': 'bwdc-runner',
        },
      });
      if (res.status >= 200 && res.status < 300) return { ok: true, detail: `HTTP ${res.status}`, attempts: attempt };
      detail = `HTTP ${res.status}`;
      if (res.status < 500 && res.status !== 429) return { ok: false, detail, attempts: attempt };
    } catch (err) {
      // The reason is a code (ECONNREFUSED) or "timed out": nothing of the URL.
      detail = failureReason(err, timeout.aborted).replace(/https?:\/\/\S+/g, '<url>');
    }
    if (attempt > o.retries) return { ok: false, detail, attempts: attempt };
    await new Promise((r) => setTimeout(r, backoffMs(attempt, o.backoffMs, o.timeoutMs)));
  }
}
