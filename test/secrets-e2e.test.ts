// End to end: `bwdc-runner run` with the client secret in Vault and the directory secret in AWS
// Secrets Manager (moto), both reaching the bwdc double's environment and nothing else; and a
// rotation in the backends picked up by the next run without a restart.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as sdk from '@aws-sdk/client-secrets-manager';
import {
  bitwarden,
  CLIENT_ID,
  assertNoCanary,
  CANARY_CLIENT_SECRET,
  CANARY_DIRECTORY_SECRET,
  makeFixture,
  runCli,
} from './helpers/fixture.js';
import { startMoto, type Moto } from './helpers/moto.js';
import { VaultTestServer } from './vault-server/server.js';

// The backends' own credentials are secrets too: neither may appear anywhere but in the runner's environment.
const VAULT_TOKEN_CANARY = 'hvs.canary-VAULT-token-55aa';
const AWS_KEY_CANARY = 'canary-AWS-secret-key-77bb';
let moto: Moto;
let vault: VaultTestServer;
let admin: sdk.SecretsManagerClient;

before(async () => {
  moto = await startMoto();
  Object.assign(process.env, moto.env);
  admin = new sdk.SecretsManagerClient({ region: 'us-east-1' });
  await admin.send(
    new sdk.CreateSecretCommand({
      Name: 'bwdc/ldap',
      SecretString: JSON.stringify({ bind: { password: CANARY_DIRECTORY_SECRET } }),
    }),
  );
  vault = await new VaultTestServer({
    namespaces: { '': { secret: { version: 2, data: { 'bwdc/org': { client_secret: CANARY_CLIENT_SECRET } } } } },
    tokens: { [VAULT_TOKEN_CANARY]: '' },
    approle: { roleId: 'bwdc-role', secretId: 'canary-APPROLE-secret-id-9c9c', ttlSec: 3600 },
  }).start();
});
after(async () => {
  admin?.destroy();
  await vault?.stop();
  await moto?.stop();
});

function env(fx: ReturnType<typeof makeFixture>) {
  return fx.env({
    BW_CLIENTSECRET_FILE: undefined,
    BWDC_DIRECTORY_SECRET_FILE: undefined,
    BW_CLIENTSECRET: 'vault://secret/bwdc/org#client_secret',
    BWDC_DIRECTORY_SECRET: 'awssm://bwdc/ldap#bind.password',
    VAULT_ADDR: vault.url,
    VAULT_TOKEN: VAULT_TOKEN_CANARY,
    ...moto.env,
    AWS_SECRET_ACCESS_KEY: AWS_KEY_CANARY,
  });
}

test('run: the client secret from Vault and the directory secret from AWS reach bwdc, and only bwdc', async () => {
  const fx = makeFixture();
  const r = await runCli(['run'], env(fx));
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const calls = fx.records();
  // The client secret went to the identity request (the runner's login), the directory secret to bwdc
  // through data.json (the double binds with it and refuses a wrong one); neither through an environment.
  const token = bitwarden.tokenRequests.at(-1)!;
  assert.equal(new URLSearchParams(token.fields).get('client_secret'), CANARY_CLIENT_SECRET);
  assert.deepEqual(
    calls.map((c) => c.command),
    ['sync'],
  );
  // Backend credentials stay with the runner.
  for (const c of calls) {
    assert.equal(c.env.VAULT_TOKEN, undefined);
    assert.equal(c.env.AWS_SECRET_ACCESS_KEY, undefined);
    assertNoCanary(`argv of ${c.command}`, JSON.stringify(c.argv));
    for (const backendSecret of [VAULT_TOKEN_CANARY, AWS_KEY_CANARY])
      assert.ok(!JSON.stringify(c).includes(backendSecret), `${c.command} saw a backend credential`);
  }
  assertNoCanary('runner output', r.stdout, r.stderr);
  for (const backendSecret of [VAULT_TOKEN_CANARY, AWS_KEY_CANARY])
    assert.ok(!r.stdout.includes(backendSecret) && !r.stderr.includes(backendSecret));
});

test('check resolves both references and shows no value', async () => {
  const fx = makeFixture();
  const r = await runCli(['check'], env(fx));
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /clientSecret: vault:\/\/secret\/bwdc\/org#client_secret {2}ok/);
  assert.match(r.stdout, /directorySecret: awssm:\/\/bwdc\/ldap#bind\.password {2}ok/);
  assertNoCanary('check output', r.stdout, r.stderr);
});

test('rotation: a value changed in the backends between two runs is used by the second run', async () => {
  const fx = makeFixture();
  fx.control({ clientSecret: CANARY_CLIENT_SECRET });
  assert.equal((await runCli(['run'], env(fx))).code, 0);
  const rotated = `${CANARY_CLIENT_SECRET}-rotated`;
  bitwarden.addClient(CLIENT_ID, rotated);
  vault.setSecret('', 'secret', 'bwdc/org', { client_secret: rotated });
  await admin.send(
    new sdk.PutSecretValueCommand({
      SecretId: 'bwdc/ldap',
      SecretString: JSON.stringify({ bind: { password: `${CANARY_DIRECTORY_SECRET}-rotated` } }),
    }),
  );
  fx.control({ clientSecret: rotated, directorySecret: `${CANARY_DIRECTORY_SECRET}-rotated` });
  const r = await runCli(['run'], env(fx));
  assert.equal(r.code, 0, r.stdout);
  assert.equal(
    new URLSearchParams(bitwarden.tokenRequests.at(-1)!.fields).get('client_secret'),
    rotated,
    'the rotated key was used',
  );
  vault.setSecret('', 'secret', 'bwdc/org', { client_secret: CANARY_CLIENT_SECRET });
  await admin.send(
    new sdk.PutSecretValueCommand({
      SecretId: 'bwdc/ldap',
      SecretString: JSON.stringify({ bind: { password: CANARY_DIRECTORY_SECRET } }),
    }),
  );
});

test('a Vault that refuses the token: exit 3, the reference and reason named, no bwdc call', async () => {
  const fx = makeFixture();
  const r = await runCli(['run'], { ...env(fx), VAULT_TOKEN: 'bad-token' });
  assert.equal(r.code, 3);
  assert.match(r.stdout, /vault:\/\/secret\/bwdc\/org#client_secret: permission denied/);
  assert.equal(fx.records().length, 0);
});

test('a run that logged in to Vault (AppRole) revokes its token at the end: no live token is left behind', async () => {
  const fx = makeFixture();
  const before = vault.liveLoginTokens;
  const e = {
    ...env(fx),
    VAULT_TOKEN: undefined,
    VAULT_APPROLE_ROLE_ID: 'bwdc-role',
    VAULT_APPROLE_SECRET_ID: 'canary-APPROLE-secret-id-9c9c',
  };
  const r = await runCli(
    ['run'],
    Object.fromEntries(Object.entries(e).filter(([, v]) => v !== undefined)) as Record<string, string>,
  );
  assert.equal(r.code, 0, r.stdout);
  assert.ok(vault.logins >= 1, 'it did log in');
  assert.equal(vault.liveLoginTokens, before, 'the login token was revoked when the run ended');
  assert.ok(!r.stdout.includes('canary-APPROLE-secret-id-9c9c'));
});

test('a sealed Vault that comes back: the run retries as a transient failure and syncs', async () => {
  const fx = makeFixture();
  vault.sealed = true;
  // Unsealed once the run has met the sealed Vault (so, while it waits for its retry), however slowly
  // the machine starts it: the secret backend's own retries are off here.
  const seen = vault.requests.length;
  const unseal = setInterval(() => {
    if (vault.requests.length > seen) vault.sealed = false;
  }, 20);
  try {
    const r = await runCli(['run'], {
      ...env(fx),
      BWDC_SECRET_RETRIES: '0',
      BWDC_RETRY_ATTEMPTS: '3',
      BWDC_RETRY_BACKOFF: '500ms',
    });
    assert.equal(r.code, 0, r.stdout);
    const done = r.logs.find((l) => l.outcome)!;
    assert.equal(done.outcome, 'success');
    assert.ok((done.attempts as number) >= 2, `attempts ${String(done.attempts)}`);
    assert.ok(r.logs.some((l) => l.msg === 'transient failure, will retry' && l.failureClass === 'secret'));
  } finally {
    clearInterval(unseal);
    vault.sealed = false;
  }
});
