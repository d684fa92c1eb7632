// vault:// through node-vault against the Vault-API-compatible test server: KV v1/v2 detection,
// token, Kubernetes and AppRole auth, namespaces, token reuse, renewal and re-login, and errors.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nodeVault from 'node-vault';
import { VaultKvProvider } from '../src/secrets/providers/vault/kv.js';
import { parseSecretRef } from '../src/shared/secret-ref.js';
import { createLogger } from '../src/observability/logger.js';
import { SecretError } from '../src/errors.js';
import { VaultTestServer } from './vault-server/server.js';

const log = await createLogger({ level: 'silent' });
const policy = { timeoutMs: 2000, retries: 3, minBackoffMs: 20, maxBackoffMs: 100 };
const dir = mkdtempSync(join(tmpdir(), 'bwdc-runner-vault-'));
const jwtPath = join(dir, 'token');
writeFileSync(jwtPath, 'eyJ.service-account.jwt\n');
const secretIdPath = join(dir, 'secret-id');
writeFileSync(secretIdPath, 'approle-secret-id\n');

function mounts() {
  return {
    '': {
      secret: { version: 2 as const, data: { 'bwdc/org': { client_secret: 'v2-value', nested: { a: 'deep' } } } },
      kv1: { version: 1 as const, data: { 'bwdc/org': { client_secret: 'v1-value' } } },
      transit: { version: 1 as const, type: 'transit', data: {} },
    },
    'team-a': { secret: { version: 2 as const, data: { 'bwdc/org': { client_secret: 'ns-value' } } } },
  };
}

let server: VaultTestServer;
before(async () => {
  server = await new VaultTestServer({
    namespaces: mounts(),
    tokens: { 'root-token': '', 'ns-token': 'team-a' },
    kubernetes: { role: 'bwdc', jwt: 'eyJ.service-account.jwt', ttlSec: 3, maxTtlSec: 3 },
    approle: { roleId: 'role-1', secretId: 'approle-secret-id', ttlSec: 3600 },
    deny: ['secret/data/forbidden'],
  }).start();
});
after(() => server.stop());

function provider(env: Record<string, string>, p = policy) {
  return new VaultKvProvider(nodeVault, { VAULT_ADDR: server.url, ...env }, p);
}
function ref(text: string) {
  const r = parseSecretRef(text);
  assert.ok(r.kind === 'ref');
  return r;
}
const ctx = { env: {}, log };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('KV v2 and v1 are detected from the mount, as the vault CLI does', async () => {
  const p = provider({ VAULT_TOKEN: 'root-token' });
  assert.equal(await p.resolve(ref('vault://secret/bwdc/org#client_secret'), ctx), 'v2-value');
  assert.equal(await p.resolve(ref('vault://kv1/bwdc/org#client_secret'), ctx), 'v1-value');
  assert.equal(await p.resolve(ref('vault://secret/bwdc/org#nested.a'), ctx), 'deep');
  assert.ok(server.requests.some((r) => r.path === 'sys/internal/ui/mounts/secret/bwdc/org'));
  assert.ok(server.requests.some((r) => r.path === 'secret/data/bwdc/org'));
  assert.ok(server.requests.some((r) => r.path === 'kv1/bwdc/org'));
});

test('?version= forces the KV version; a v1 read of a v2 mount says what the mount is', async () => {
  const p = provider({ VAULT_TOKEN: 'root-token' });
  assert.equal(await p.resolve(ref('vault://secret/bwdc/org?version=2#client_secret'), ctx), 'v2-value');
  await assert.rejects(
    p.resolve(ref('vault://secret/bwdc/org?version=1#client_secret'), ctx),
    /not found; the mount secret\/ is KV v2, not v1: use \?version=2/,
  );
});

test('a path written with data/ on a v2 mount still works', async () => {
  const p = provider({ VAULT_TOKEN: 'root-token' });
  assert.equal(await p.resolve(ref('vault://secret/data/bwdc/org#client_secret'), ctx), 'v2-value');
});

test('without permission for the preflight, the first segment is taken as a KV v2 mount', async () => {
  const s = await new VaultTestServer({ namespaces: mounts(), tokens: { t: '' }, denyPreflight: true }).start();
  try {
    const p = new VaultKvProvider(nodeVault, { VAULT_ADDR: s.url, VAULT_TOKEN: 't' }, policy);
    assert.equal(await p.resolve(ref('vault://secret/bwdc/org#client_secret'), ctx), 'v2-value');
  } finally {
    await s.stop();
  }
});

test('a non-KV mount is refused', async () => {
  await assert.rejects(
    provider({ VAULT_TOKEN: 'root-token' }).resolve(ref('vault://transit/keys/x#k'), ctx),
    /is a "transit" secrets engine, not KV/,
  );
});

test('the namespace goes in X-Vault-Namespace', async () => {
  const p = provider({ VAULT_TOKEN: 'ns-token', VAULT_NAMESPACE: 'team-a' });
  assert.equal(await p.resolve(ref('vault://secret/bwdc/org#client_secret'), ctx), 'ns-value');
  assert.ok(server.requests.some((r) => r.namespace === 'team-a' && r.path === 'secret/data/bwdc/org'));
});

test('a token from VAULT_TOKEN_FILE', async () => {
  const f = join(dir, 'vault-token');
  writeFileSync(f, 'root-token\n');
  assert.equal(
    await provider({ VAULT_TOKEN_FILE: f }).resolve(ref('vault://kv1/bwdc/org#client_secret'), ctx),
    'v1-value',
  );
});

test('Kubernetes auth: posts to the named mount, reuses the token, renews it, logs in again after it expired', async () => {
  const before = { logins: server.logins, renewals: server.renewals };
  const p = provider({ VAULT_K8S_ROLE: 'bwdc', VAULT_K8S_TOKEN_PATH: jwtPath });
  assert.equal(p.authMethod, 'kubernetes');
  for (let i = 0; i < 5; i++)
    assert.equal(await p.resolve(ref('vault://secret/bwdc/org#client_secret'), ctx), 'v2-value');
  assert.equal(server.logins - before.logins, 1, 'one login for many reads');
  assert.ok(server.requests.some((r) => r.path === 'auth/kubernetes/login'));
  assert.ok(!server.requests.some((r) => r.path === 'auth//login'), "node-vault's empty mount_point bug is avoided");
  await sleep(2200); // in the last third of the 3 s lease: renewed, not a new login
  await p.resolve(ref('vault://secret/bwdc/org#client_secret'), ctx);
  assert.equal(server.renewals - before.renewals, 1);
  assert.equal(server.logins - before.logins, 1);
  await sleep(1200); // past the max TTL: the token is gone, so a new login
  await p.resolve(ref('vault://secret/bwdc/org#client_secret'), ctx);
  assert.equal(server.logins - before.logins, 2);
  assert.deepEqual(p.stats.logins, 2);
});

test('Kubernetes auth with a wrong role is a clear error', async () => {
  await assert.rejects(
    provider({ VAULT_K8S_ROLE: 'nope', VAULT_K8S_TOKEN_PATH: jwtPath }).resolve(
      ref('vault://secret/bwdc/org#client_secret'),
      ctx,
    ),
    /Vault kubernetes login: Vault answered HTTP 400: invalid role name/,
  );
});

test('AppRole auth with the secret id from a file', async () => {
  const p = provider({ VAULT_APPROLE_ROLE_ID: 'role-1', VAULT_APPROLE_SECRET_ID_FILE: secretIdPath });
  assert.equal(p.authMethod, 'approle');
  assert.equal(await p.resolve(ref('vault://secret/bwdc/org#client_secret'), ctx), 'v2-value');
  assert.ok(server.requests.some((r) => r.path === 'auth/approle/login'));
});

test('no auth method, or no VAULT_ADDR, is an explicit error', () => {
  assert.throws(() => provider({}), /no valid Vault auth method/);
  assert.throws(() => new VaultKvProvider(nodeVault, { VAULT_TOKEN: 'x' }, policy), /VAULT_ADDR is not set/);
  assert.throws(
    () => provider({ VAULT_AUTH_METHOD: 'kubernetes' }),
    /VAULT_AUTH_METHOD=kubernetes needs VAULT_K8S_ROLE/,
  );
  // A name that is a built-in property of objects is just another unsupported method.
  for (const method of ['constructor', 'toString'])
    assert.throws(
      () => provider({ VAULT_AUTH_METHOD: method }),
      /is not supported; expected token, kubernetes or approle/,
    );
});

test('403 and 404 are not retried; a missing key names the keys', async () => {
  const p = provider({ VAULT_TOKEN: 'root-token' });
  await assert.rejects(p.resolve(ref('vault://secret/forbidden#k'), ctx), /permission denied/);
  assert.equal(server.requests.filter((r) => r.path === 'secret/data/forbidden').length, 1);
  const n = server.requests.length;
  await assert.rejects(
    p.resolve(ref('vault://secret/bwdc/missing#k'), ctx),
    /vault:\/\/secret\/bwdc\/missing#k: not found/,
  );
  assert.equal(server.requests.length - n, 1);
  await assert.rejects(
    p.resolve(ref('vault://secret/bwdc/org#nope'), ctx),
    /has no key "nope" \(its keys: client_secret, nested\)/,
  );
  await assert.rejects(
    provider({ VAULT_TOKEN: 'wrong' }).resolve(ref('vault://kv1/bwdc/org#client_secret'), ctx),
    /permission denied/,
  );
});

test('a sealed Vault (503) is retried and works once unsealed; sealed for good gives up clearly', async () => {
  const p = provider({ VAULT_TOKEN: 'root-token' });
  await p.resolve(ref('vault://secret/bwdc/org#client_secret'), ctx); // mount detected while unsealed
  server.sealed = true;
  setTimeout(() => (server.sealed = false), 60);
  assert.equal(await p.resolve(ref('vault://secret/bwdc/org#client_secret'), ctx), 'v2-value');
  server.sealed = true;
  try {
    await assert.rejects(
      provider({ VAULT_TOKEN: 'root-token' }, { ...policy, retries: 2 }).resolve(
        ref('vault://kv1/bwdc/org#client_secret'),
        ctx,
      ),
      (e: Error) => e instanceof SecretError && /Vault is sealed/.test(e.message),
    );
  } finally {
    server.sealed = false;
  }
});

test('a slow Vault hits the request timeout (retried, then a clear error)', async () => {
  server.delayMs = 500;
  try {
    const p = provider({ VAULT_TOKEN: 'root-token' }, { ...policy, timeoutMs: 100, retries: 1 });
    await assert.rejects(p.resolve(ref('vault://kv1/bwdc/org#client_secret'), ctx), /did not answer in time/);
  } finally {
    server.delayMs = 0;
  }
});

test('Vault down: a clear, retryable network error', async () => {
  const p = new VaultKvProvider(
    nodeVault,
    { VAULT_ADDR: 'http://127.0.0.1:9', VAULT_TOKEN: 't' },
    { ...policy, retries: 1 },
  );
  await assert.rejects(p.resolve(ref('vault://kv1/x#k'), ctx), /cannot reach Vault: ECONNREFUSED/);
});

test('TLS: verified by default and with VAULT_SKIP_VERIFY=false; VAULT_CACERT trusts a private CA; =true skips', async () => {
  const key = join(dir, 'tls.key');
  const cert = join(dir, 'tls.crt');
  const r = spawnSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  assert.equal(r.status, 0, 'openssl made a certificate');
  const s = await new VaultTestServer({
    namespaces: mounts(),
    tokens: { t: '' },
    tls: { key: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8') },
  }).start();
  try {
    const at = (env: Record<string, string>) =>
      new VaultKvProvider(nodeVault, { VAULT_ADDR: s.url, VAULT_TOKEN: 't', ...env }, { ...policy, retries: 0 });
    const read = (env: Record<string, string>) => at(env).resolve(ref('vault://kv1/bwdc/org#client_secret'), ctx);
    await assert.rejects(read({}), /self.signed|certificate/i);
    await assert.rejects(read({ VAULT_SKIP_VERIFY: 'false' }), /self.signed|certificate/i);
    assert.equal(await read({ VAULT_CACERT: cert }), 'v1-value');
    assert.equal(await read({ VAULT_SKIP_VERIFY: 'true' }), 'v1-value');
  } finally {
    await s.stop();
  }
});

test('a rotated VAULT_TOKEN_FILE is read again when the file changes, and on a 403 (same mtime) before one retry', async () => {
  const file = join(dir, 'rotating-token');
  server.addToken('file-token-1');
  writeFileSync(file, 'file-token-1\n');
  const p = provider({ VAULT_TOKEN_FILE: file });
  assert.equal(await p.resolve(ref('vault://secret/bwdc/org#client_secret'), ctx), 'v2-value');
  // A Vault Agent sink rewrites the file with a new token, and the old one is revoked.
  server.addToken('file-token-2');
  writeFileSync(file, 'file-token-2\n');
  utimesSync(file, new Date(), new Date(Date.now() + 5000));
  server.revokeToken('file-token-1');
  assert.equal(
    await p.resolve(ref('vault://secret/bwdc/org#client_secret'), ctx),
    'v2-value',
    'the changed file is read again',
  );
  // The file rewritten without its mtime moving: the 403 makes the provider read it again, once.
  const { mtime } = statSync(file);
  server.addToken('file-token-3');
  writeFileSync(file, 'file-token-3\n');
  utimesSync(file, mtime, mtime);
  server.revokeToken('file-token-2');
  assert.equal(
    await p.resolve(ref('vault://secret/bwdc/org#client_secret'), ctx),
    'v2-value',
    'read again after the 403',
  );
  server.revokeToken('file-token-3');
  await assert.rejects(
    p.resolve(ref('vault://secret/bwdc/org#client_secret'), ctx),
    /permission denied/,
    'a token revoked with no new one in the file: one retry, then the error',
  );
  await p.close();
  assert.equal(server.revocations, 0, 'a token the user gave is never revoked');
});

test('close() revokes a token the runner obtained by login (AppRole), never a given one', async () => {
  const before = server.revocations;
  const p = provider({ VAULT_APPROLE_ROLE_ID: 'role-1', VAULT_APPROLE_SECRET_ID_FILE: secretIdPath });
  const live = server.liveLoginTokens;
  assert.equal(await p.resolve(ref('vault://secret/bwdc/org#client_secret'), ctx), 'v2-value');
  assert.equal(server.liveLoginTokens, live + 1);
  await p.close();
  assert.equal(server.revocations, before + 1);
  assert.equal(server.liveLoginTokens, live, 'the login token is gone');
  const given = provider({ VAULT_TOKEN: 'root-token' });
  await given.resolve(ref('vault://secret/bwdc/org#client_secret'), ctx);
  await given.close();
  assert.equal(server.revocations, before + 1);
  assert.ok(server.tokens.has('root-token'));
});
