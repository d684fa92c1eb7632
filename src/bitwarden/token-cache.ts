// Organization tokens held in memory only, shared by every run of the process that uses the same
// API key (same identity URL, client id and secret): at most one identity request per key per token
// lifetime, however many instances share it. A token with less than bwdc's own margin left is not
// handed out. Each token is registered with the redactor the moment it arrives.
import { createHash } from 'node:crypto';
import { redactor } from '../observability/redact.js';
import { requestOrgToken, type OrgToken, type TokenRequest } from './identity.js';

/** bwdc renews a token with less than this left before an import (docs/upstream/bwdc.md "Login and tokens"). */
export const TOKEN_MARGIN_MS = 5 * 60_000;

export class TokenCache {
  private readonly tokens = new Map<string, Promise<OrgToken>>();
  /** Identity requests made: the figure the benchmarks report. */
  requests = 0;

  constructor(private readonly request: (req: TokenRequest) => Promise<OrgToken> = requestOrgToken) {}

  async get(req: TokenRequest): Promise<OrgToken> {
    const key = `${req.identityUrl}\n${req.clientId}\n${createHash('sha256').update(req.clientSecret).digest('hex')}`;
    const held = this.tokens.get(key);
    if (held) {
      const token = await held.catch(() => undefined);
      if (token && token.expiresAt - Date.now() > TOKEN_MARGIN_MS) return token;
      // Another run replaced it meanwhile: take that one.
      if (this.tokens.get(key) !== held) return this.get(req);
    }
    this.requests++;
    const fresh = this.request(req).then((token) => {
      redactor.add(token.accessToken);
      return token;
    });
    this.tokens.set(key, fresh);
    fresh.catch(() => {
      if (this.tokens.get(key) === fresh) this.tokens.delete(key);
    });
    return fresh;
  }
}
