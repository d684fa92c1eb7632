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
import type { RunContext, SessionToken } from '../types.js';
import { RunFailure } from './failure.js';
import { serverOf } from './server.js';

/** The process's organization tokens, in memory only (TokenCache). */
const processTokens = new TokenCache();

/** The bound of one request of the runner's own to Bitwarden: a minute, or the instance's timeout if shorter. */
export function bitwardenTimeoutMs(instance: InstanceConfig): number {
  return Math.min(instance.timeoutMs, 60_000);
}

export async function obtainToken(
  { instance, deps }: RunContext,
  state: InstanceState,
  clientSecret: string,
  minLifeMs = tokenLifeNeededMs(instance.timeoutMs),
): Promise<SessionToken> {
  const { url: identityUrl, data } = await serverOf(state, 'identity');
  // bwdc makes one at its first start and sends it as the device identifier; written with the session.
  const appId = typeof data.appId === 'string' && data.appId ? data.appId : randomUUID();
  const bwdcPath = resolveBwdcPath(deps.config.bwdcPath, deps.env);
  try {
    const token = await (deps.tokens ?? processTokens).get(
      {
        identityUrl,
        clientId: instance.clientId,
        clientSecret,
        deviceIdentifier: appId,
        clientVersion: (bwdcPath && bundledVersion(bwdcPath)) || 'unknown',
        timeoutMs: bitwardenTimeoutMs(instance),
        signal: deps.signal,
      },
      minLifeMs,
    );
    // Masked while this attempt may still use it (bwdc holds it until its timeout), even when the token expires
    // sooner by our clock: a server clock behind ours, or a short lifetime, would otherwise unmask it mid-run.
    redactor.add(token.accessToken, Date.now() + instance.timeoutMs);
    return { ...token, appId };
  } catch (err) {
    if (err instanceof BitwardenError) throw new RunFailure(err.message, err.failureClass);
    throw err;
  }
}
