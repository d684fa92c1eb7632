// Organization tokens held in memory only, shared by every run of the process that uses the same
// API key (same identity URL, client id and secret): at most one identity request per key per token
// lifetime, however many instances share it. A token with less than bwdc's own margin left is not
// handed out. Each token is registered with the redactor the moment it arrives, and forgotten by it
// once expired (observability/redact.ts).
//
// A request in flight is shared with every run that asks meanwhile, and so is its outcome: a refused
// key or a failed request fails all of them with one identity request (docs/scheduler.md "Failure
// paths"). Each run waits within its own bound (its timeout and its signal), not the first asker's;
// the shared request is bounded by its first asker's timeout and abandoned once nobody waits.
import { createHash } from 'node:crypto';
import { redactor } from '../observability/redact.js';
import { requestOrgToken, type OrgToken, type TokenRequest } from './identity.js';
import { BitwardenError } from './request-error.js';

/** bwdc renews a token with less than this left before an import (docs/upstream/bwdc.md "Login and tokens"). */
export const TOKEN_MARGIN_MS = 5 * 60_000;

/**
 * The life a token handed to a run needs: bwdc's margin plus the run's own length (its timeout, at most
 * 30 minutes of an organization token's 60), so that the plan's reads and the import gate's forward
 * never meet a token the runner let run out (docs/guard-rails.md "Tokens").
 */
export function tokenLifeNeededMs(runTimeoutMs: number): number {
  return TOKEN_MARGIN_MS + Math.min(runTimeoutMs, 30 * 60_000);
}

interface InFlight {
  outcome: Promise<OrgToken>;
  waiters: number;
  /** Aborted when the last waiter gave up: nobody needs the answer any more. */
  abandon: AbortController;
}

export class TokenCache {
  private readonly tokens = new Map<string, OrgToken>();
  private readonly inFlight = new Map<string, InFlight>();
  /** Identity requests made: the figure the benchmarks report. */
  requests = 0;

  constructor(private readonly request: (req: TokenRequest) => Promise<OrgToken> = requestOrgToken) {}

  async get(req: TokenRequest, minLifeMs = TOKEN_MARGIN_MS): Promise<OrgToken> {
    const key = `${req.identityUrl}\n${req.clientId}\n${createHash('sha256').update(req.clientSecret).digest('hex')}`;
    const token = this.tokens.get(key);
    if (token && token.expiresAt - Date.now() > minLifeMs) return token;
    const shared = this.inFlight.get(key) ?? this.start(key, req);
    return this.wait(key, shared, req);
  }

  private start(key: string, req: TokenRequest): InFlight {
    this.requests++;
    const abandon = new AbortController();
    // Bounded by the asker's timeout; later waiters have their own bound in wait().
    const outcome = this.request({ ...req, signal: abandon.signal }).then((token) => {
      redactor.add(token.accessToken, token.expiresAt);
      this.tokens.set(key, token);
      return token;
    });
    const shared: InFlight = { outcome, waiters: 0, abandon };
    this.inFlight.set(key, shared);
    // Settled, whatever the outcome: the next asker (not a waiter of this one) makes a new request.
    const settle = () => {
      if (this.inFlight.get(key) === shared) this.inFlight.delete(key);
    };
    outcome.then(settle, settle);
    return shared;
  }

  /** The shared outcome, or this waiter's own timeout or abort, whichever comes first. */
  private wait(key: string, shared: InFlight, req: TokenRequest): Promise<OrgToken> {
    shared.waiters++;
    return new Promise<OrgToken>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        req.signal?.removeEventListener('abort', aborted);
        if (--shared.waiters > 0) return;
        shared.abandon.abort();
        // Abandoned, though maybe not settled yet: the next asker makes a request of its own, not this one's abort.
        if (this.inFlight.get(key) === shared) this.inFlight.delete(key);
      };
      const giveUp = (reason: string) => {
        done();
        reject(new BitwardenError(`request to ${req.identityUrl}/connect/token failed, reason: ${reason}`, 'network'));
      };
      const aborted = () => giveUp('aborted');
      const timer = setTimeout(() => giveUp('timed out'), req.timeoutMs);
      req.signal?.addEventListener('abort', aborted, { once: true });
      if (req.signal?.aborted) return aborted();
      shared.outcome.then(
        (token) => (done(), resolve(token)),
        (err: unknown) => (done(), reject(err as Error)),
      );
    });
  }
}
