// The held requests of a sync, forwarded to the real API in the order bwdc sent them, each awaited, once
// the whole sync was judged (gated-sync.ts, docs/guard-rails.md "All or nothing"). Each waits for the server
// as long as bwdc itself would (300 s, its HTTP client's headersTimeout), bounded by the instance's timeout.
// A request that was sent and never answered has an unknown outcome: the server may be applying it still,
// so nothing is sent after it and the run does not retry it (never two imports of one instance in flight).
import { expiresSoon } from '../bitwarden/identity.js';
import { failureReason, httpRequest } from '../shared/http.js';
import type { HeldRequest } from './gate.js';

/** bwdc's own wait for an answer (Node's fetch headersTimeout, docs/upstream/bwdc.md). */
export const bwdcWaitMs = 300_000;

export interface ForwardOptions {
  apiUrl: string;
  /** Per request: bwdcWaitMs bounded by the instance's timeout. */
  timeoutMs: number;
  signal?: AbortSignal;
  /** A token with enough life left, for a held token that has less than a minute (login: runner). */
  freshToken?: () => Promise<string>;
}

export interface ForwardFailure {
  /** 1-based: which request of the sync failed. */
  request: number;
  /** The server's status, when it answered. */
  status?: number;
  message: string;
  /** Sent, never answered: the server may have applied it. */
  unknownOutcome: boolean;
}

export interface ForwardReport {
  total: number;
  /** Requests the server answered 200, from the first on: exactly these reached it and were applied. */
  accepted: number;
  /** The removals of the accepted requests (what counts against the day budget). */
  removalsAccepted: number;
  failure?: ForwardFailure;
}

/** Failures of the connection before any byte of the request left: nothing reached the server. */
const notSent = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

export async function forwardHeld(held: readonly HeldRequest[], o: ForwardOptions): Promise<ForwardReport> {
  const url = `${o.apiUrl}/public/organization/import`;
  const report: ForwardReport = { total: held.length, accepted: 0, removalsAccepted: 0 };
  for (const [i, h] of held.entries()) {
    const token = expiresSoon(h.token) && o.freshToken ? await o.freshToken() : h.token;
    const timeout = AbortSignal.timeout(o.timeoutMs);
    const signal = o.signal ? AbortSignal.any([o.signal, timeout]) : timeout;
    const headers = {
      ...h.headers,
      Authorization: `Bearer ${token}`,
      'Content-Type': 'application/json; charset=utf-8',
    };
    let answer;
    try {
      answer = await httpRequest({ method: 'POST', url, headers, body: h.text, signal });
    } catch (err) {
      const reason = failureReason(err, timeout.aborted);
      const unknownOutcome = !notSent.has(reason);
      report.failure = {
        request: i + 1,
        message: `request to ${url} failed, reason: ${reason}`,
        unknownOutcome,
      };
      return report;
    }
    if (answer.status !== 200) {
      report.failure = { request: i + 1, status: answer.status, message: serverMessage(answer), unknownOutcome: false };
      return report;
    }
    report.accepted++;
    report.removalsAccepted += h.removals;
  }
  return report;
}

/** The server's error message (ErrorResponseModel.message), else its status and body, as bwdc reports it. */
function serverMessage(answer: { status: number; text: string }): string {
  try {
    const m = (JSON.parse(answer.text) as { message?: unknown }).message;
    if (typeof m === 'string' && m) return m;
  } catch {
    /* not JSON */
  }
  return JSON.stringify({ response: answer.text.slice(0, 500), statusCode: answer.status });
}
