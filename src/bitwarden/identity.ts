// The organization token, requested the way `bwdc login` requests it (docs/upstream/bwdc.md "Login and
// tokens"): same endpoint, form fields in the same order, same headers. The runner does this itself so that a
// run is one bwdc start (`sync` alone), and a wrong key fails in a fraction of a second without starting
// bwdc. Proxies and CA as bwdc honours them (http.ts). No secret ever in an error: the client secret is only
// in the request body.
import { failureReason, httpRequest, type HttpReply } from '../shared/http.js';
import { BitwardenError, failureOfStatus } from './request-error.js';
import { serviceUrlOf } from '../shared/service-urls.js';
import { redactor } from '../observability/redact.js';

export interface OrgToken {
  accessToken: string;
  /** ms since the epoch, from the JWT's `exp` (or `expires_in` when the JWT has none). */
  expiresAt: number;
}

export interface TokenRequest {
  identityUrl: string;
  clientId: string;
  clientSecret: string;
  /** data.json's appId: bwdc sends it as the device identifier. */
  deviceIdentifier: string;
  /** bwdc's version, for the Bitwarden-Client-Version header. */
  clientVersion: string;
  timeoutMs: number;
  signal?: AbortSignal;
}

/** Where bwdc sends `login`: environmentUrls.identity, else <base>/identity, else the US cloud. */
export function identityUrlOf(data: Record<string, unknown>): string {
  return serviceUrlOf(data, 'identity');
}

/** The `exp` of a JWT (decoded, never verified: bwdc does the same), in ms. */
export function jwtExpiry(token: string): number | undefined {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  try {
    const exp = (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown }).exp;
    return typeof exp === 'number' ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A token whose `exp` falls within a minute (or has passed): the gate and the organization read then use a
 * fresh one. A token without a readable `exp` is taken as good.
 */
export function expiresSoon(token: string, now = Date.now()): boolean {
  return (jwtExpiry(token) ?? Infinity) - now < 60_000;
}

/** Redirects followed at most: what fetch (WHATWG) allows. */
const MAX_REDIRECTS = 20;

/**
 * bwdc v2026.6.1 sends `login` through the global fetch (bitwarden/directory-connector, tag v2026.6.1,
 * libs/services/api.service.ts and src-cli/services/node/nodeApi.service.ts: `fetch(new Request(...))`),
 * whose default `redirect: "follow"` repeats a POST with its body only on 307 and 308; on 301, 302 and
 * 303 it turns into a GET, which no token endpoint answers. So: 307/308 are followed, other redirects
 * and 404 mean the URL is not an identity endpoint: a wrong server URL, class config (docs/scheduler.md).
 */
export async function requestOrgToken(req: TokenRequest): Promise<OrgToken> {
  let url = `${req.identityUrl}/connect/token`;
  // The order bwdc sends them in.
  const body = new URLSearchParams([
    ['scope', 'api.organization'],
    ['client_id', req.clientId],
    ['deviceType', '8'],
    ['deviceIdentifier', req.deviceIdentifier],
    ['deviceName', 'linux'],
    ['grant_type', 'client_credentials'],
    ['client_secret', req.clientSecret],
  ]);
  const timeout = AbortSignal.timeout(req.timeoutMs);
  const signal = req.signal ? AbortSignal.any([req.signal, timeout]) : timeout;
  let res: HttpReply;
  for (let redirects = 0; ; redirects++) {
    try {
      res = await httpRequest({
        method: 'POST',
        url,
        body: body.toString(),
        signal,
        manualRedirects: true,
        headers: {
          'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8',
          Accept: 'application/json',
          'Device-Type': '8',
          'Bitwarden-Client-Name': 'connector',
          'Bitwarden-Client-Version': req.clientVersion,
          // What bwdc sends, its upstream bug included (docs/upstream/bwdc.md "Login and tokens").
          'User-Agent': 'Bitwarden_DC/[object Promise] (LINUX)',
        },
      });
    } catch (err) {
      throw new BitwardenError(`request to ${url} failed, reason: ${failureReason(err, timeout.aborted)}`, 'network');
    }
    if ((res.status !== 307 && res.status !== 308) || !res.location || redirects >= MAX_REDIRECTS) break;
    url = new URL(res.location, url).toString();
  }
  if ((res.status >= 300 && res.status < 400) || res.status === 404) {
    const where = res.location ? ` (to ${redactor.scrub(res.location)})` : '';
    throw new BitwardenError(
      `login: ${url} answered HTTP ${res.status}${where}: not a Bitwarden identity endpoint; ` +
        'check the server URL (BW_SERVER, server: or data.json environmentUrls)',
      'config',
    );
  }
  const { text } = res;
  if (res.status === 400 || res.status === 401) {
    const error = /"error"\s*:\s*"([a-z_]+)"/.exec(text)?.[1] ?? `HTTP ${res.status}`;
    throw new BitwardenError(
      `login: the organization API key was refused (${error}); check the client id and secret`,
      'auth',
    );
  }
  if (res.status !== 200) {
    throw new BitwardenError(`login: ${url} answered HTTP ${res.status}`, failureOfStatus(res.status));
  }
  let json: { access_token?: unknown; expires_in?: unknown };
  try {
    json = JSON.parse(text) as typeof json;
  } catch {
    throw new BitwardenError(`login: ${url} answered 200 without JSON`, 'server');
  }
  if (typeof json.access_token !== 'string' || json.access_token.split('.').length !== 3) {
    throw new BitwardenError(`login: ${url} answered without an access token`, 'server');
  }
  const expiresIn = typeof json.expires_in === 'number' ? json.expires_in * 1000 : 3_600_000;
  return { accessToken: json.access_token, expiresAt: jwtExpiry(json.access_token) ?? Date.now() + expiresIn };
}
