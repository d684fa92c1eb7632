// awssm:// through the real AWS SDK against moto (a real AWS emulator), plus throttling and
// AccessDenied through aws-sdk-client-mock, which moto cannot produce.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as sdk from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { SecretsManagerProvider } from '../src/secrets/providers/aws/secrets-manager.js';
import { createSecretResolver } from '../src/secrets/index.js';
import { parseSecretRef } from '../src/shared/secret-ref.js';
import { createLogger } from '../src/observability/logger.js';
import { SecretError } from '../src/errors.js';
import { startMoto, type Moto } from './helpers/moto.js';

const log = await createLogger({ level: 'silent' });
const policy = { timeoutMs: 5000, retries: 3, minBackoffMs: 10, maxBackoffMs: 50 };
let moto: Moto;
let admin: sdk.SecretsManagerClient;
let jsonArn: string;

before(async () => {
  moto = await startMoto();
  Object.assign(process.env, moto.env);
  admin = new sdk.SecretsManagerClient({ region: 'us-east-1' });
  await admin.send(new sdk.CreateSecretCommand({ Name: 'bwdc/plain', SecretString: 'plain-value' }));
  const json = await admin.send(
    new sdk.CreateSecretCommand({
      Name: 'bwdc/json',
      SecretString: JSON.stringify({
        client_secret: 'json-value',
        nested: { ldap: { password: 'nested-value' } },
        num: 42,
        'dotted.key': 'dotted-value',
      }),
    }),
  );
  jsonArn = json.ARN!;
  await admin.send(new sdk.CreateSecretCommand({ Name: 'bwdc/rotated', SecretString: 'old-value' }));
  await admin.send(new sdk.PutSecretValueCommand({ SecretId: 'bwdc/rotated', SecretString: 'new-value' }));
  await admin.send(new sdk.CreateSecretCommand({ Name: 'bwdc/binary', SecretBinary: Buffer.from([1, 2, 3]) }));
  await admin.send(new sdk.CreateSecretCommand({ Name: 'bwdc/text', SecretString: 'not json' }));
});

after(async () => {
  admin?.destroy();
  await moto?.stop();
});

function provider() {
  return new SecretsManagerProvider(sdk, process.env, policy);
}
function ref(text: string) {
  const r = parseSecretRef(text);
  assert.ok(r.kind === 'ref');
  return r;
}
const ctx = { env: process.env, log };

test('a whole string secret', async () => {
  assert.equal(await provider().resolve(ref('awssm://bwdc/plain'), ctx), 'plain-value');
});

test('#KEY picks a key out of a JSON secret; a dot path reaches nested keys; numbers become text', async () => {
  const p = provider();
  assert.equal(await p.resolve(ref('awssm://bwdc/json#client_secret'), ctx), 'json-value');
  assert.equal(await p.resolve(ref('awssm://bwdc/json#nested.ldap.password'), ctx), 'nested-value');
  assert.equal(await p.resolve(ref('awssm://bwdc/json#num'), ctx), '42');
  assert.equal(
    await p.resolve(ref('awssm://bwdc/json#dotted.key'), ctx),
    'dotted-value',
    'an exact key with a dot wins',
  );
});

test('?versionStage=AWSPREVIOUS reads the value before the last rotation', async () => {
  const p = provider();
  assert.equal(await p.resolve(ref('awssm://bwdc/rotated'), ctx), 'new-value');
  assert.equal(await p.resolve(ref('awssm://bwdc/rotated?versionStage=AWSPREVIOUS'), ctx), 'old-value');
});

test('lookup by ARN, with the region taken from the ARN', async () => {
  assert.match(jsonArn, /^arn:aws:secretsmanager:us-east-1:/);
  const p = provider();
  assert.equal(
    await p.resolve(ref(`awssm://${jsonArn}#client_secret`), { ...ctx, env: { ...process.env, AWS_REGION: '' } }),
    'json-value',
  );
});

test('a missing secret is a clear error and is not retried', async () => {
  const p = provider();
  await assert.rejects(
    p.resolve(ref('awssm://bwdc/nope'), ctx),
    (e: Error) => e instanceof SecretError && /awssm:\/\/bwdc\/nope: secret not found/.test(e.message),
  );
  assert.equal(p.requests, 1);
});

test('a missing key names the keys that exist, not their values', async () => {
  await assert.rejects(provider().resolve(ref('awssm://bwdc/json#clientsecret'), ctx), (e: Error) => {
    assert.match(e.message, /has no key "clientsecret" \(its keys: client_secret, nested, num, dotted.key\)/);
    assert.ok(!e.message.includes('json-value'));
    return true;
  });
});

test('a binary secret and a #KEY on a non-JSON secret are clear errors', async () => {
  await assert.rejects(provider().resolve(ref('awssm://bwdc/binary'), ctx), /the secret is binary/);
  await assert.rejects(provider().resolve(ref('awssm://bwdc/text#k'), ctx), /is not JSON, so #k cannot be picked/);
});

test('no region anywhere is a clear error', async () => {
  const p = new SecretsManagerProvider(sdk, {}, policy);
  await assert.rejects(p.resolve(ref('awssm://bwdc/plain'), { ...ctx, env: {} }), /no AWS region/);
});

test('through the resolver: the AWS SDK is loaded only when an awssm:// reference is used', async () => {
  const resolver = createSecretResolver(process.env, log);
  await resolver.session().resolve('env://AWS_REGION', 'x');
  assert.ok(!resolver.loadedSchemes().includes('awssm'));
  assert.equal(await resolver.session().resolve('awssm://bwdc/json#client_secret', 'x'), 'json-value');
  assert.ok(resolver.loadedSchemes().includes('awssm'));
  assert.ok(!resolver.loadedSchemes().includes('vault'));
  await resolver.close();
});

test('throttling is retried with backoff until it succeeds', async () => {
  const mock = mockClient(sdk.SecretsManagerClient);
  try {
    const throttled = Object.assign(new Error('Rate exceeded'), {
      name: 'ThrottlingException',
      $metadata: { httpStatusCode: 400 },
    });
    mock
      .on(sdk.GetSecretValueCommand)
      .rejectsOnce(throttled)
      .rejectsOnce(throttled)
      .resolves({ SecretString: 'after-throttling' });
    const p = provider();
    assert.equal(await p.resolve(ref('awssm://bwdc/plain'), ctx), 'after-throttling');
    assert.equal(mock.commandCalls(sdk.GetSecretValueCommand).length, 3);
  } finally {
    mock.restore();
  }
});

test('throttling that never ends gives up after the bounded retries', async () => {
  const mock = mockClient(sdk.SecretsManagerClient);
  try {
    mock
      .on(sdk.GetSecretValueCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    await assert.rejects(provider().resolve(ref('awssm://bwdc/plain'), ctx), /ThrottlingException/);
    assert.equal(mock.commandCalls(sdk.GetSecretValueCommand).length, policy.retries + 1);
  } finally {
    mock.restore();
  }
});

test('AccessDenied is not retried and says which permission is missing', async () => {
  const mock = mockClient(sdk.SecretsManagerClient);
  try {
    mock.on(sdk.GetSecretValueCommand).rejects(
      Object.assign(new Error('User: arn:aws:sts::1:assumed-role/x is not authorized'), {
        name: 'AccessDeniedException',
        $metadata: { httpStatusCode: 400 },
      }),
    );
    await assert.rejects(
      provider().resolve(ref('awssm://bwdc/plain'), ctx),
      /access denied: the role needs secretsmanager:GetSecretValue/,
    );
    assert.equal(mock.commandCalls(sdk.GetSecretValueCommand).length, 1);
  } finally {
    mock.restore();
  }
});

test('network down: retried, then a clear error', async () => {
  const p = new SecretsManagerProvider(sdk, { ...process.env }, { ...policy, retries: 1 });
  const saved = process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER;
  process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = 'http://127.0.0.1:9'; // discard port: refused
  try {
    await assert.rejects(p.resolve(ref('awssm://bwdc/plain'), ctx), /cannot reach Secrets Manager|ECONNREFUSED/);
    assert.equal(p.requests, 2);
  } finally {
    process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = saved;
  }
});
