// The organization as the plan and the import gate read it, and the roster a verification reads (Public
// API, bitwarden/public-api.ts), with
// one more chance for a token that ran out meanwhile: a 401 on a token whose `exp` has passed (or is
// about to) is the runner's doing, not a refused key, so a fresh token is fetched and the read redone
// (docs/guard-rails.md "Tokens").
import { PublicApi, type OrganizationState, type Roster } from '../bitwarden/public-api.js';
import { BitwardenError } from '../bitwarden/request-error.js';
import { expiresSoon } from '../bitwarden/identity.js';

export interface ReadOptions {
  apiUrl: string;
  accessToken: string;
  freshToken?: () => Promise<string>;
  timeoutMs: number;
  signal?: AbortSignal;
}

export function readOrganization(o: ReadOptions): Promise<OrganizationState> {
  return withFreshToken(o, (api) => api.organization());
}

/** Members and groups without the groups' members (plan/verify.ts needs no more). */
export function readRoster(o: ReadOptions): Promise<Roster> {
  return withFreshToken(o, (api) => api.roster());
}

async function withFreshToken<T>(o: ReadOptions, read: (api: PublicApi) => Promise<T>): Promise<T> {
  const api = (accessToken: string) =>
    new PublicApi({ apiUrl: o.apiUrl, accessToken, timeoutMs: o.timeoutMs, signal: o.signal });
  try {
    return await read(api(o.accessToken));
  } catch (err) {
    if (!(err instanceof BitwardenError) || err.failureClass !== 'auth' || !expiresSoon(o.accessToken) || !o.freshToken)
      throw err;
    return read(api(await o.freshToken()));
  }
}
