// Step "token" (login: runner): the organization token, as `bwdc login` would get it, from the identity
// URL bwdc would use; shared with other runs of the same API key while it has enough life left for this
// run: bwdc's margin plus the run's timeout (tokenLifeNeededMs, bitwarden/token-cache.ts).
import { randomUUID } from 'node:crypto';
import { BitwardenError } from '../../bitwarden/request-error.js';
import { TokenCache, tokenLifeNeededMs } from '../../bitwarden/token-cache.js';
import { bundledVersion, resolveBwdcPath } from '../../bwdc/locate.js';
import type { InstanceConfig } from '../../config/model.js';
import { redactor } from '../../observability/redact.js';
import type { InstanceState } from '../../state/instance-state.js';
import { identityUrlOf, type TokenRequest } from '../../bitwarden/identity.js';
import type { RunContext, RunDeps, SessionToken } from '../types.js';
import { RunFailure } from './failure.js';
import { serverOf } from './server.js';

/** The process's organization tokens, in memory only (TokenCache). */
const processTokens = new TokenCache();

/** The bound of one request of the runner's own to Bitwarden: a minute, or the instance's timeout if shorter. */
export function bitwardenTimeoutMs(instance: InstanceConfig): number {
  return Math.min(instance.timeoutMs, 60_000);
}

/**
 * The identity request of a run, as bwdc would send it from this data.json: a run's token step and check's
 * token step both send this one. bwdc's version is that of the bwdc the run would start (BWDC_PATH or PATH).
 */
export function tokenRequest(
  instance: InstanceConfig,
  deps: Pick<RunDeps, 'config' | 'env' | 'signal'>,
  data: Readonly<Record<string, unknown>>,
  clientSecret: string,
): TokenRequest {
  const bwdcPath = resolveBwdcPath(deps.config.bwdcPath, deps.env);
  return {
    identityUrl: identityUrlOf(data),
    clientId: instance.clientId,
    clientSecret,
    // bwdc makes one at its first start and sends it as the device identifier; written with the session.
    deviceIdentifier: typeof data.appId === 'string' && data.appId ? data.appId : randomUUID(),
    clientVersion: (bwdcPath && bundledVersion(bwdcPath)) || 'unknown',
    timeoutMs: bitwardenTimeoutMs(instance),
    signal: deps.signal,
  };
}

/** Where a run gets its token: the deps' cache, or the process's. */
export function tokensOf(deps: Pick<RunDeps, 'tokens'>): TokenCache {
  return deps.tokens ?? processTokens;
}

export async function obtainToken(
  { instance, deps }: RunContext,
  state: InstanceState,
  clientSecret: string,
  minLifeMs = tokenLifeNeededMs(instance.timeoutMs),
): Promise<SessionToken> {
  const { data } = await serverOf(state, 'identity');
  const request = tokenRequest(instance, deps, data, clientSecret);
  try {
    const token = await tokensOf(deps).get(request, minLifeMs);
    // Masked while this attempt may still use it (bwdc holds it until its timeout), even when the token expires
    // sooner by our clock: a server clock behind ours, or a short lifetime, would otherwise unmask it mid-run.
    redactor.add(token.accessToken, Date.now() + instance.timeoutMs);
    return { ...token, appId: request.deviceIdentifier };
  } catch (err) {
    if (err instanceof BitwardenError) throw new RunFailure(err.message, err.failureClass);
    throw err;
  }
}
