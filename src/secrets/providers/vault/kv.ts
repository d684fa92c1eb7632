// vault://MOUNT/PATH#KEY: KV v1 or v2, told apart the way the vault CLI does it (a preflight read
// of sys/internal/ui/mounts/<path>), or forced with ?version=1|2. One login per token lifetime:
// the token is reused, renewed while renewable, and replaced by a new login when it cannot be.
import { readFileSync } from 'node:fs';
import type { client as VaultClient } from 'node-vault';
import { SecretError, errorMessage } from '../../../errors.js';
import type { Env, Reference, ResolveContext, SecretProvider } from '../../provider.js';
import { withRetries, type SecretRequestPolicy } from '../../retry.js';
import { pickFromObject } from '../../pick-key.js';
import { selectAuthMethod, tokenFileChanged, type AuthMethod, type VaultAuthBody, type VaultToken } from './auth.js';

interface MountInfo {
  path: string; // "secret/"
  version: 1 | 2;
}

type NodeVault = typeof import('node-vault');

interface VaultHttpError {
  response?: { statusCode?: number; body?: { errors?: string[]; warnings?: string[] } };
  code?: string;
}

export function vaultStatus(err: unknown): number | undefined {
  return (err as VaultHttpError).response?.statusCode;
}

/** Turns a node-vault/axios failure into a SecretError; 5xx, 429 and network errors are transient. */
export function describeVaultError(what: string, err: unknown): SecretError {
  if (err instanceof SecretError) return err;
  const status = vaultStatus(err);
  const errors = (err as VaultHttpError).response?.body?.errors?.filter(Boolean).join('; ');
  if (status === 403)
    return new SecretError(`${what}: permission denied (check the token's policy grants read on this path)`);
  if (status === 404) return new SecretError(`${what}: not found`);
  if (status === 503)
    return new SecretError(`${what}: Vault is sealed or unavailable (HTTP 503${errors ? `: ${errors}` : ''})`, {
      transient: true,
    });
  if (status !== undefined && (status >= 500 || status === 429))
    return new SecretError(`${what}: Vault answered HTTP ${status}${errors ? `: ${errors}` : ''}`, { transient: true });
  if (status !== undefined)
    return new SecretError(`${what}: Vault answered HTTP ${status}${errors ? `: ${errors}` : ''}`);
  const code = (err as VaultHttpError).code;
  if (code === 'ECONNABORTED' || code === 'ETIMEDOUT' || /timeout/i.test(errorMessage(err)))
    return new SecretError(`${what}: Vault did not answer in time`, { transient: true });
  return new SecretError(`${what}: cannot reach Vault: ${code ?? errorMessage(err)}`, { transient: true });
}

export interface VaultStats {
  logins: number;
  renewals: number;
  reads: number;
  revocations: number;
}

export class VaultKvProvider implements SecretProvider {
  readonly scheme = 'vault' as const;
  readonly stats: VaultStats = { logins: 0, renewals: 0, reads: 0, revocations: 0 };
  private readonly client: VaultClient;
  private readonly auth: AuthMethod;
  private token: VaultToken | undefined;
  private pendingToken: Promise<VaultToken> | undefined;
  private readonly mounts = new Map<string, Promise<MountInfo>>();

  constructor(
    nodeVault: NodeVault,
    private readonly env: Env,
    private readonly policy: SecretRequestPolicy,
  ) {
    if (!env.VAULT_ADDR)
      throw new SecretError(
        'VAULT_ADDR is not set: the address of the Vault server, e.g. https://vault.example.com:8200',
      );
    this.auth = selectAuthMethod(env);
    const skipVerify = ['1', 'true'].includes((env.VAULT_SKIP_VERIFY ?? '').toLowerCase());
    const timeoutMs = env.VAULT_CLIENT_TIMEOUT
      ? Number.parseFloat(env.VAULT_CLIENT_TIMEOUT) * 1000 || policy.timeoutMs
      : policy.timeoutMs;
    let ca: Buffer | undefined;
    if (env.VAULT_CACERT) {
      try {
        ca = readFileSync(env.VAULT_CACERT);
      } catch (err) {
        throw new SecretError(
          `VAULT_CACERT: cannot read ${env.VAULT_CACERT}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
        );
      }
    }
    const options: Record<string, unknown> = {
      apiVersion: 'v1',
      endpoint: env.VAULT_ADDR,
      namespace: env.VAULT_NAMESPACE || undefined,
      token: '',
      // node-vault treats any VAULT_SKIP_VERIFY value, even "false", as "skip": decide here.
      rpDefaults: { strictSSL: !skipVerify, timeout: timeoutMs },
      requestOptions: { timeout: timeoutMs, strictSSL: !skipVerify, ...(ca ? { ca } : {}) },
    };
    this.client = nodeVault(options);
  }

  get authMethod(): string {
    return this.auth.name;
  }

  /** A usable token: the current one, renewed when near its end, or a new login. */
  private async currentToken(ctx: ResolveContext): Promise<VaultToken> {
    let t = this.token;
    if (t && tokenFileChanged(t)) {
      ctx.log.info('Vault token file changed; reading the new token');
      t = this.token = undefined;
    }
    // Renew in the last third of the lease, as Vault Agent does, so a slow renewal still has room.
    const margin = t ? t.ttlMs / 3 : 0;
    if (t && t.expiresAt - Date.now() > margin) return t;
    this.pendingToken ??= this.refresh(t, ctx).finally(() => {
      this.pendingToken = undefined;
    });
    return this.pendingToken;
  }

  private async refresh(old: VaultToken | undefined, ctx: ResolveContext): Promise<VaultToken> {
    if (old && old.renewable && old.expiresAt > Date.now()) {
      try {
        this.client.token = old.token;
        const body = (await this.client.tokenRenewSelf()) as VaultAuthBody;
        this.stats.renewals++;
        const ttlMs = (body?.auth?.lease_duration ?? 0) * 1000;
        // Vault caps renewals at the token's max TTL: a short answer means a new login is near.
        this.token = { ...old, ttlMs, expiresAt: Date.now() + ttlMs, renewable: body?.auth?.renewable ?? false };
        ctx.log.debug({ ttlSeconds: ttlMs / 1000 }, 'Vault token renewed');
        return this.token;
      } catch (err) {
        ctx.log.info(
          { err: describeVaultError('token renewal', err).message },
          'Vault token renewal failed; logging in again',
        );
      }
    }
    const t = await withRetries(
      `Vault ${this.auth.name} login`,
      this.policy,
      ctx.log,
      () => this.auth.login(this.client),
      (e) => describeVaultError(`Vault ${this.auth.name} login`, e),
      ctx.signal,
    );
    if (t.canLogin) {
      this.stats.logins++;
      ctx.log.info({ method: this.auth.name, ttlSeconds: t.ttlMs / 1000 }, 'logged in to Vault');
    }
    this.token = t;
    return t;
  }

  private async request(path: string, ctx: ResolveContext): Promise<{ data?: unknown }> {
    for (let relogin = 0; ; relogin++) {
      const token = await this.currentToken(ctx);
      this.client.token = token.token;
      try {
        this.stats.reads++;
        return (await this.client.read(path)) as { data?: unknown };
      } catch (err) {
        // A login-based token revoked or expired early, or a token file rotated under the same mtime:
        // one new login (or read of the file), then give up.
        if (vaultStatus(err) === 403 && (token.canLogin || token.file) && relogin === 0) {
          this.token = undefined;
          continue;
        }
        throw err;
      }
    }
  }

  private mountFor(ref: Reference, ctx: ResolveContext): Promise<MountInfo> {
    const forced = ref.params.version;
    const first = `${ref.target.split('/')[0]}/`;
    if (forced) return Promise.resolve({ path: first, version: Number(forced) as 1 | 2 });
    for (const [prefix, info] of this.mounts) if (ref.target.startsWith(prefix)) return info;
    const detect = (async (): Promise<MountInfo> => {
      try {
        const body = (await withRetries(
          ref.text,
          this.policy,
          ctx.log,
          () => this.request(`sys/internal/ui/mounts/${ref.target}`, ctx),
          (e) => describeVaultError(`${ref.text} (mount detection)`, e),
          ctx.signal,
        )) as {
          data?: { path?: string; type?: string; options?: { version?: string } | null };
        };
        const d = body.data ?? {};
        if (d.type && d.type !== 'kv' && d.type !== 'generic')
          throw new SecretError(`${ref.text}: the mount ${d.path} is a "${d.type}" secrets engine, not KV`);
        return { path: d.path ?? first, version: d.options?.version === '2' ? 2 : 1 };
      } catch (err) {
        if (err instanceof SecretError && /permission denied/.test(err.message)) {
          // The policy does not allow the preflight: assume the first segment is a KV v2 mount.
          ctx.log.debug(
            { ref: ref.text },
            'Vault mount detection not permitted; assuming KV v2 at the first path segment',
          );
          return { path: first, version: 2 };
        }
        throw err;
      }
    })();
    this.mounts.set(first, detect);
    detect.then(
      (info) => {
        if (info.path !== first) {
          this.mounts.delete(first);
          this.mounts.set(info.path, detect);
        }
      },
      () => this.mounts.delete(first),
    );
    return detect;
  }

  async resolve(ref: Reference, ctx: ResolveContext): Promise<string> {
    const mount = await this.mountFor(ref, ctx);
    let rest = ref.target.slice(mount.path.length);
    if (mount.version === 2 && rest.startsWith('data/') && !ref.params.version) rest = rest.slice('data/'.length); // `vault kv` paths have no data/
    const path = mount.version === 2 ? `${mount.path}data/${rest}` : `${mount.path}${rest}`;
    let body: { data?: unknown };
    try {
      body = await withRetries(
        ref.text,
        this.policy,
        ctx.log,
        () => this.request(path, ctx),
        (e) => describeVaultError(ref.text, e),
        ctx.signal,
      );
    } catch (err) {
      if (ref.params.version && err instanceof SecretError && /permission denied|not found/.test(err.message)) {
        // The classic KV v1/v2 mix-up: say what the mount really is, if Vault lets us ask.
        const actual = await this.mountFor({ ...ref, params: {} }, ctx).catch(() => undefined);
        if (actual && actual.version !== mount.version) {
          throw new SecretError(
            `${err.message}; the mount ${actual.path} is KV v${actual.version}, not v${mount.version}: use ?version=${actual.version} or drop ?version=`,
          );
        }
      }
      throw err;
    }
    const data = mount.version === 2 ? (body.data as { data?: unknown } | undefined)?.data : body.data;
    if (!data || typeof data !== 'object')
      throw new SecretError(`${ref.text}: not found (the secret has no data; deleted or destroyed?)`);
    return pickFromObject(ref, data, ref.key!);
  }

  /**
   * A token this process obtained by login is revoked when the process is done with it (every
   * one-shot run, a CronJob pod, would otherwise leave a live token until its TTL). A token the user
   * gave (VAULT_TOKEN, VAULT_TOKEN_FILE) is never revoked: it is not ours.
   */
  async close(): Promise<void> {
    const t = this.token;
    this.token = undefined;
    if (!t?.canLogin || t.expiresAt <= Date.now()) return;
    try {
      this.client.token = t.token;
      await this.client.tokenRevokeSelf();
      this.stats.revocations++;
    } catch {
      /* best effort: the token still expires at its TTL */
    }
  }
}
