// bws://SECRET-ID#KEY through Bitwarden's own SDK (its native module, sdk.ts): a machine account's access
// token (BWS_ACCESS_TOKEN or BWS_ACCESS_TOKEN_FILE), the server as the official `bws` CLI takes it
// (BWS_SERVER_URL, or BWS_API_URL + BWS_IDENTITY_URL; the US cloud by default). The SDK logs in once
// (the organization key arrives encrypted with the token's key) and decrypts each secret it reads;
// the login is shared by every reference of the process and renewed when the server refuses it, or when
// BWS_ACCESS_TOKEN_FILE changes (a rotated token is used at once, as for VAULT_TOKEN_FILE). The SDK's
// calls cannot be cancelled: each attempt is bounded by BWDC_SECRET_TIMEOUT and the run's signal, and a
// client that timed out is dropped (its late answer ignored), so the next attempt starts afresh.
import { readFileSync, statSync } from 'node:fs';
import { SecretError, errorMessage } from '../../../errors.js';
import { redactor } from '../../../observability/redact.js';
import type { Env, Reference, ResolveContext, SecretProvider } from '../../provider.js';
import { withRetries, type SecretRequestPolicy } from '../../retry.js';
import { pickKey } from '../../pick-key.js';
import { serviceUrl } from '../../../shared/service-urls.js';

import { SdkClient, type NativeSdk } from './sdk.js';

export interface BwsServer {
  apiUrl: string;
  identityUrl: string;
}

/** BWS_SERVER_URL (a self-hosted or EU base), or BWS_API_URL + BWS_IDENTITY_URL, else the US cloud. */
export function bwsServer(env: Env): BwsServer {
  if ((env.BWS_API_URL || env.BWS_IDENTITY_URL) && !(env.BWS_API_URL && env.BWS_IDENTITY_URL))
    throw new SecretError('bws: set both BWS_API_URL and BWS_IDENTITY_URL, or BWS_SERVER_URL');
  const urls = { base: env.BWS_SERVER_URL, api: env.BWS_API_URL, identity: env.BWS_IDENTITY_URL };
  return { apiUrl: serviceUrl(urls, 'api'), identityUrl: serviceUrl(urls, 'identity') };
}

/** BWS_ACCESS_TOKEN_FILE's modification time, to see a rotation (0 when unset or unreadable). */
function tokenFileStamp(env: Env): number {
  return env.BWS_ACCESS_TOKEN_FILE ? (statSync(env.BWS_ACCESS_TOKEN_FILE, { throwIfNoEntry: false })?.mtimeMs ?? 0) : 0;
}

function accessToken(env: Env): string {
  const direct = env.BWS_ACCESS_TOKEN;
  const file = env.BWS_ACCESS_TOKEN_FILE;
  if (direct && file) throw new SecretError('bws: BWS_ACCESS_TOKEN and BWS_ACCESS_TOKEN_FILE are both set; set one');
  let token = direct;
  if (file) {
    try {
      token = readFileSync(file, 'utf8').trim();
    } catch (err) {
      throw new SecretError(
        `bws: BWS_ACCESS_TOKEN_FILE ${file} cannot be read: ${(err as NodeJS.ErrnoException).code ?? errorMessage(err)}`,
      );
    }
  }
  if (!token)
    throw new SecretError('bws: no machine account access token; set BWS_ACCESS_TOKEN or BWS_ACCESS_TOKEN_FILE');
  // 0.<client id>.<client secret>:<encryption key>: the whole of it, and each secret part, is masked.
  redactor.add(token);
  for (const part of token.split(/[.:]/).slice(2)) if (part.length >= 8) redactor.add(part);
  if (!/^0\.[0-9a-f-]{36}\.[^.:]+:[A-Za-z0-9+/=]+$/i.test(token))
    throw new SecretError('bws: the access token is not a machine account access token (0.<id>.<secret>:<key>)');
  return token;
}

/** An SDK error's text (masked, bounded) and the server's status, which it carries as "[404 Not Found]". */
function sdkFailure(err: unknown): { message: string; status: number } {
  const message = redactor.scrub(errorMessage(err)).slice(0, 300);
  return { message, status: Number(/\[(\d{3})[^\]]*\]/.exec(message)?.[1] ?? NaN) };
}

/** The server refused the machine account's token (revoked, expired, or a renewal the SDK could not make). */
function tokenRefused({ message, status }: { message: string; status: number }): boolean {
  return status === 401 || status === 403 || (status !== 404 && /invalid_client|unauthorized/i.test(message));
}

/** The token never appears in an SDK error. */
export function describeBwsError(ref: Reference, err: unknown): SecretError {
  if (err instanceof SecretError) return err;
  const failure = sdkFailure(err);
  const { message, status } = failure;
  let why: string;
  let transient = false;
  if (status === 404)
    why = 'secret not found, or the machine account has no access to it (check the id and the project access)';
  else if (tokenRefused(failure))
    why = 'the machine account access token was refused (revoked or expired: check BWS_ACCESS_TOKEN)';
  else if (status === 429 || status >= 500) {
    why = `the server answered HTTP ${status}`;
    transient = true;
  } else if (/error sending request|connection|timed? ?out|dns|refused/i.test(message)) {
    why = `cannot reach Bitwarden Secrets Manager (${message})`;
    transient = true;
  } else why = message;
  return new SecretError(`${ref.text}: ${why}`, { transient, cause: undefined });
}

/** Settles with `work`, or fails when `timeoutMs` passes or `signal` aborts, whichever comes first. */
function bounded<T>(work: Promise<T>, timeoutMs: number, signal: AbortSignal | undefined, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const end = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', aborted);
    };
    const aborted = () => {
      end();
      reject(new SecretError(`${what}: stopped (the run was aborted)`));
    };
    const timer = setTimeout(() => {
      end();
      reject(
        new SecretError(`${what}: cannot reach Bitwarden Secrets Manager (no answer within ${timeoutMs} ms)`, {
          transient: true,
        }),
      );
    }, timeoutMs);
    signal?.addEventListener('abort', aborted, { once: true });
    if (signal?.aborted) return aborted();
    work.then(
      (v) => (end(), resolve(v)),
      (err: unknown) => (end(), reject(err as Error)),
    );
  });
}

/**
 * SDK calls left unanswered (timed out or aborted; they cannot be cancelled, and each holds a connection)
 * after which no new one is made: a server that accepts and never answers would otherwise gain one stuck
 * connection per attempt for the life of a `schedule` process (measured: 20 attempts, 20 open sockets).
 */
export const MAX_UNANSWERED_CALLS = 3;
/**
 * A call unanswered for this long stops counting (the SDK itself never gives up: measured, still open after
 * 120 s): a server that recovers is tried again, at the cost of at most MAX_UNANSWERED_CALLS more per period.
 */
const UNANSWERED_FORGET_MS = 5 * 60_000;

export class BwsProvider implements SecretProvider {
  readonly scheme = 'bws' as const;
  private client: Promise<SdkClient> | undefined;
  /** SDK calls given up on (MAX_UNANSWERED_CALLS) and not ended yet. */
  private readonly unanswered = new Map<Promise<unknown>, number>();
  /** BWS_ACCESS_TOKEN_FILE's stamp when the client logged in, and the token it logged in with. */
  private loggedInWith = 0;
  private tokenUsed: string | undefined;
  /** Secret reads and logins, for the benchmarks and tests. */
  requests = 0;
  logins = 0;

  constructor(
    private readonly native: NativeSdk,
    private readonly env: Env,
    private readonly policy: SecretRequestPolicy,
  ) {}

  private login(ref: Reference): Promise<SdkClient> {
    // A rotated token file: log in with the new token rather than wait for the old one to be refused.
    if (this.client && tokenFileStamp(this.env) !== this.loggedInWith) this.client = undefined;
    this.client ??= (async () => {
      this.loggedInWith = tokenFileStamp(this.env);
      const token = accessToken(this.env);
      this.tokenUsed = token;
      const client = new SdkClient(this.native, { ...bwsServer(this.env), userAgent: 'bwdc-runner' });
      this.logins++;
      await client.loginAccessToken(token);
      return client;
    })().catch((err: unknown) => {
      this.client = undefined; // the next reference tries again
      throw describeBwsError(ref, err);
    });
    return this.client;
  }

  /** Whether BWS_ACCESS_TOKEN_FILE now holds another token than the one the client logged in with. */
  private tokenFileChanged(): boolean {
    const file = this.env.BWS_ACCESS_TOKEN_FILE;
    if (!file) return false;
    try {
      return readFileSync(file, 'utf8').trim() !== this.tokenUsed;
    } catch {
      return false;
    }
  }

  /** An SDK call within the attempt's bounds; one given up on while still running is counted until it ends. */
  private async bounded<T>(work: Promise<T>, ref: Reference, signal: AbortSignal | undefined): Promise<T> {
    let ended = false;
    const end = () => {
      ended = true;
      this.unanswered.delete(work);
    };
    work.then(end, end);
    try {
      return await bounded(work, this.policy.timeoutMs, signal, ref.text);
    } catch (err) {
      if (!ended) this.unanswered.set(work, Date.now());
      throw err;
    }
  }

  async resolve(ref: Reference, ctx: ResolveContext): Promise<string> {
    const secret = await withRetries(
      ref.text,
      this.policy,
      ctx.log,
      async () => {
        for (const [call, since] of this.unanswered)
          if (Date.now() - since > UNANSWERED_FORGET_MS) this.unanswered.delete(call);
        if (this.unanswered.size >= MAX_UNANSWERED_CALLS)
          throw new SecretError(
            `${ref.text}: cannot reach Bitwarden Secrets Manager (${this.unanswered.size} earlier requests still ` +
              'unanswered; no new one is made until they end)',
            { transient: true },
          );
        const login = this.login(ref);
        try {
          const client = await this.bounded(login, ref, ctx.signal);
          this.requests++;
          return await this.bounded(client.getSecret(ref.target), ref, ctx.signal);
        } catch (err) {
          // A client that timed out may stay stuck: the next attempt starts with a new one.
          if (err instanceof SecretError && err.transient && this.client === login) this.client = undefined;
          if (err instanceof SecretError) throw err;
          // A refused token may be a renewal the SDK could not make: log in afresh on the next attempt.
          if (tokenRefused(sdkFailure(err))) {
            if (this.client === login) this.client = undefined;
            // The token file holds another token by now (rotated): worth an attempt with it at once.
            if (this.tokenFileChanged())
              throw new SecretError(`${ref.text}: the access token was refused; the token file changed, trying it`, {
                transient: true,
              });
          }
          throw describeBwsError(ref, err);
        }
      },
      (err) => describeBwsError(ref, err),
      ctx.signal,
    );
    return pickKey(ref, secret.value);
  }
}
