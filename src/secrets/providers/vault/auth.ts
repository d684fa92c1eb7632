// Vault auth methods, each a function that logs in and returns the token with its lease. The
// method is VAULT_AUTH_METHOD when set; otherwise the first one whose settings are present:
// a token (VAULT_TOKEN / VAULT_TOKEN_FILE), AppRole (VAULT_APPROLE_ROLE_ID), Kubernetes
// (VAULT_K8S_ROLE). None present ends in an explicit "no valid auth method" error.
import { readFileSync, statSync } from 'node:fs';
import type { client as VaultClient } from 'node-vault';
import { SecretError } from '../../../errors.js';
import type { Env } from '../../provider.js';

export interface VaultToken {
  token: string;
  /** ms since the epoch; Infinity for a static token we know nothing about. */
  expiresAt: number;
  ttlMs: number;
  renewable: boolean;
  /** Whether a new login can replace it: a token the runner obtained, and so may revoke. */
  canLogin: boolean;
  /**
   * A token read from VAULT_TOKEN_FILE, with the file's mtime when read: a Vault Agent sink or a
   * mounted Secret is rewritten at each rotation, and the file is read again when it changes.
   */
  file?: { path: string; mtimeMs: number };
}

/** True when the token file changed (or vanished) since the token was read from it. */
export function tokenFileChanged(t: VaultToken): boolean {
  if (!t.file) return false;
  try {
    return statSync(t.file.path).mtimeMs !== t.file.mtimeMs;
  } catch {
    return true;
  }
}

export interface AuthMethod {
  name: 'token' | 'kubernetes' | 'approle';
  login(client: VaultClient): Promise<VaultToken>;
}

export const defaultK8sTokenPath = '/var/run/secrets/kubernetes.io/serviceaccount/token';

function readSecretFile(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (err) {
    throw new SecretError(`Vault ${what}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}

export interface VaultAuthBody {
  auth?: { client_token?: string; lease_duration?: number; renewable?: boolean };
}

/** What Vault's login and renew-self answers carry (node-vault types them as any). */
export interface VaultAuthBody {
  auth?: { client_token?: string; lease_duration?: number; renewable?: boolean };
}

function fromAuth(body: VaultAuthBody, method: string): VaultToken {
  const auth = body?.auth;
  if (!auth?.client_token) throw new SecretError(`Vault ${method} login returned no token`);
  const ttlMs = (auth.lease_duration ?? 0) * 1000;
  return {
    token: auth.client_token,
    ttlMs,
    expiresAt: ttlMs > 0 ? Date.now() + ttlMs : Infinity,
    renewable: auth.renewable ?? false,
    canLogin: true,
  };
}

function tokenAuth(env: Env): AuthMethod | undefined {
  const file = env.VAULT_TOKEN_FILE;
  if (!env.VAULT_TOKEN && !file) return undefined;
  return {
    name: 'token',
    async login() {
      if (env.VAULT_TOKEN)
        return { token: env.VAULT_TOKEN, ttlMs: 0, expiresAt: Infinity, renewable: false, canLogin: false };
      // The mtime first: a rotation between the two reads is then seen as a change at the next request.
      const mtimeMs = statSync(file!, { throwIfNoEntry: false })?.mtimeMs ?? 0;
      const token = readSecretFile(file!, 'token file (VAULT_TOKEN_FILE)');
      return {
        token,
        ttlMs: 0,
        expiresAt: Infinity,
        renewable: false,
        canLogin: false,
        file: { path: file!, mtimeMs },
      };
    },
  };
}

function appRoleAuth(env: Env): AuthMethod | undefined {
  const roleId = env.VAULT_APPROLE_ROLE_ID;
  if (!roleId) return undefined;
  const mount = env.VAULT_APPROLE_MOUNT || 'approle';
  return {
    name: 'approle',
    async login(client) {
      const secretId =
        env.VAULT_APPROLE_SECRET_ID ||
        (env.VAULT_APPROLE_SECRET_ID_FILE
          ? readSecretFile(env.VAULT_APPROLE_SECRET_ID_FILE, 'AppRole secret id file')
          : undefined);
      if (!secretId)
        throw new SecretError('Vault AppRole: set VAULT_APPROLE_SECRET_ID or VAULT_APPROLE_SECRET_ID_FILE');
      return fromAuth(
        (await client.approleLogin({ role_id: roleId, secret_id: secretId, mount_point: mount })) as VaultAuthBody,
        'AppRole',
      );
    },
  };
}

function kubernetesAuth(env: Env): AuthMethod | undefined {
  const role = env.VAULT_K8S_ROLE;
  if (!role) return undefined;
  // Always name the mount: node-vault 0.12 posts to /v1/auth//login without it.
  const mount = env.VAULT_K8S_MOUNT || 'kubernetes';
  const jwtPath = env.VAULT_K8S_TOKEN_PATH || defaultK8sTokenPath;
  return {
    name: 'kubernetes',
    async login(client) {
      // Read at every login: projected service-account tokens are rotated by the kubelet.
      const jwt = readSecretFile(jwtPath, 'Kubernetes service-account token');
      return fromAuth((await client.kubernetesLogin({ role, jwt, mount_point: mount })) as VaultAuthBody, 'Kubernetes');
    },
  };
}

const builders = { token: tokenAuth, approle: appRoleAuth, kubernetes: kubernetesAuth } as const;

export function selectAuthMethod(env: Env): AuthMethod {
  const forced = env.VAULT_AUTH_METHOD;
  if (forced) {
    if (!Object.hasOwn(builders, forced))
      throw new SecretError(`VAULT_AUTH_METHOD: "${forced}" is not supported; expected token, kubernetes or approle`);
    const m = builders[forced as keyof typeof builders](env);
    if (!m) {
      const needs = {
        token: 'VAULT_TOKEN or VAULT_TOKEN_FILE',
        approle: 'VAULT_APPROLE_ROLE_ID',
        kubernetes: 'VAULT_K8S_ROLE',
      }[forced as keyof typeof builders];
      throw new SecretError(`VAULT_AUTH_METHOD=${forced} needs ${needs}`);
    }
    return m;
  }
  for (const build of [tokenAuth, appRoleAuth, kubernetesAuth]) {
    const m = build(env);
    if (m) return m;
  }
  throw new SecretError(
    'no valid Vault auth method: set VAULT_TOKEN or VAULT_TOKEN_FILE, VAULT_APPROLE_ROLE_ID (+ secret id), or VAULT_K8S_ROLE',
  );
}
