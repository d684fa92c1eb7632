// Secret references: parsing, the env and file providers, one fetch per reference per run, and
// the redactor that masks every resolved value.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { parseSecretRef, SecretRefSyntaxError } from '../src/shared/secret-ref.js';
import { SecretResolver } from '../src/secrets/resolver.js';
import { createSecretResolver } from '../src/secrets/index.js';
import { Redactor, redactor } from '../src/observability/redact.js';
import { createLogger, type Logger } from '../src/observability/logger.js';
import { SecretError } from '../src/errors.js';
import type { SecretProvider } from '../src/secrets/provider.js';

const silent = await createLogger({ level: 'silent' });

test('references parse into scheme, target, key and parameters', () => {
  assert.deepEqual(parseSecretRef('vault://secret/bwdc/org#client_secret'), {
    kind: 'ref',
    scheme: 'vault',
    text: 'vault://secret/bwdc/org#client_secret',
    target: 'secret/bwdc/org',
    key: 'client_secret',
    params: {},
  });
  const v1 = parseSecretRef('vault://kv/app?version=1#k');
  assert.equal(v1.kind === 'ref' && v1.params.version, '1');
  const v1b = parseSecretRef('vault://kv/app#k?version=1');
  assert.equal(v1b.kind === 'ref' && v1b.key, 'k');
  const arn = parseSecretRef(
    'awssm://arn:aws:secretsmanager:eu-west-1:123456789012:secret:bwdc/org-AbCdEf#a.b?versionStage=AWSPREVIOUS',
  );
  assert.ok(arn.kind === 'ref');
  assert.equal(arn.target, 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:bwdc/org-AbCdEf');
  assert.equal(arn.key, 'a.b');
  assert.equal(arn.params.versionStage, 'AWSPREVIOUS');
  assert.deepEqual(parseSecretRef('file:///run/secrets/x'), {
    kind: 'ref',
    scheme: 'file',
    text: 'file:///run/secrets/x',
    target: '/run/secrets/x',
    key: undefined,
    params: {},
  });
  assert.equal(parseSecretRef('plain-literal').kind, 'literal');
});

test('bad references are rejected with a message that does not contain the input', () => {
  for (const bad of [
    'vault://onlymount#k',
    'vault://m/p',
    'vault://m/p?version=3#k',
    'awssm://x?stage=1',
    'file://relative/path',
    'env://1BAD',
    'env://OK#key',
    'smb://SECRETVALUE',
    'vault://m/p#',
  ]) {
    assert.throws(
      () => parseSecretRef(bad),
      (err: Error) => {
        assert.ok(err instanceof SecretRefSyntaxError, bad);
        assert.ok(!err.message.includes('SECRETVALUE'));
        return true;
      },
    );
  }
});

test('file:// trims exactly one trailing newline; env:// reads another variable', async () => {
  const d = mkdtempSync(join(tmpdir(), 'bwdc-runner-secret-'));
  writeFileSync(join(d, 'a'), 'value-a\n\n');
  writeFileSync(join(d, 'b'), 'value-b\r\n');
  const r = createSecretResolver({ OTHER: 'from-env' }, silent).session();
  assert.equal(await r.resolve(`file://${join(d, 'a')}`, 'test'), 'value-a\n');
  assert.equal(await r.resolve(`file://${join(d, 'b')}`, 'test'), 'value-b');
  assert.equal(await r.resolve('env://OTHER', 'test'), 'from-env');
  await assert.rejects(r.resolve(`file://${join(d, 'missing')}`, 'test'), /cannot read the file: no such file/);
  await assert.rejects(r.resolve('env://MISSING', 'test'), SecretError);
});

test('an empty secret is an error, not a silently cleared setting', async () => {
  const r = createSecretResolver({ EMPTY: '' }, silent).session();
  await assert.rejects(r.resolve('env://EMPTY', 'clientSecret'), /resolved to an empty value/);
});

test('within one session a reference is fetched once; a new session fetches again (rotation)', async () => {
  let calls = 0;
  let value = 'rotation-value-1';
  const counting: SecretProvider = {
    scheme: 'vault',
    async resolve() {
      calls++;
      return value;
    },
  };
  const resolver = new SecretResolver({}, silent).register(counting);
  const s1 = resolver.session();
  const results = await Promise.all(Array.from({ length: 100 }, () => s1.resolve('vault://kv/shared#k', 'x')));
  assert.ok(results.every((r) => r === 'rotation-value-1'));
  assert.equal(calls, 1);
  value = 'rotation-value-2';
  assert.equal(await resolver.session().resolve('vault://kv/shared#k', 'x'), 'rotation-value-2');
  assert.equal(calls, 2);
});

test('registering a provider twice is refused; a scheme without a provider is a SecretError', async () => {
  const p: SecretProvider = {
    scheme: 'env',
    async resolve() {
      return 'never-resolved';
    },
  };
  assert.throws(() => new SecretResolver({}, silent).register(p).register(p), /registered twice/);
  await assert.rejects(new SecretResolver({}, silent).session().resolve('awssm://x', 'w'), SecretError);
});

test('provider modules load only when a reference needs them', async () => {
  let loaded = 0;
  const resolver = new SecretResolver({}, silent).register({
    scheme: 'awssm',
    async load() {
      loaded++;
      return {
        scheme: 'awssm',
        async resolve() {
          return 'lazy-loaded-value';
        },
      };
    },
  });
  assert.equal(loaded, 0);
  await resolver.session().resolve('awssm://a', 'w');
  await resolver.session().resolve('awssm://b', 'w');
  assert.equal(loaded, 1);
});

test('the redactor masks raw, JSON-escaped and URL-encoded forms, longest first', () => {
  const r = new Redactor();
  r.add('ab"c\\d');
  r.add('p@ss word');
  assert.equal(r.scrub('x ab"c\\d y'), 'x [REDACTED] y');
  assert.equal(r.scrub(JSON.stringify({ m: 'ab"c\\d' })), '{"m":"[REDACTED]"}');
  assert.equal(r.scrub('client_secret=p%40ss%20word'), 'client_secret=[REDACTED]');
});

test('a secret shorter than 4 characters is not masked (it would garble every line) and the resolver warns', async () => {
  const r = new Redactor();
  assert.equal(r.add('1'), false);
  assert.equal(r.add('abcd'), true);
  assert.equal(
    r.scrub('{"time":"2026-11-27T12:44:00.015Z","n":1} abcd'),
    '{"time":"2026-11-27T12:44:00.015Z","n":1} [REDACTED]',
  );
  const warnings: unknown[] = [];
  const log = {
    warn: (o: unknown, m: string) => warnings.push([o, m]),
    debug() {},
    info() {},
    error() {},
    child() {
      return log;
    },
  } as unknown as Logger;
  const resolver = createSecretResolver({ SHORT: 'x1' }, log);
  assert.equal(await resolver.session().resolve('env://SHORT', 'instances[0].clientSecret'), 'x1');
  assert.deepEqual(warnings, [
    [
      { where: 'instances[0].clientSecret', minLength: 4 },
      'a secret is too short to be masked in logs; use a real secret',
    ],
  ]);
});

test('every log line passes the redactor, whatever field a secret was put in', async () => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _e, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  const log = await createLogger({ level: 'info', destination: sink });
  const value = 'log-canary-0d1e2f';
  redactor.add(value);
  log.info({ nested: { deep: `<<${value}>>` } }, `message with ${value}`);
  log.error({ err: new Error(`boom ${value}`) }, 'failed');
  assert.equal(lines.length, 2);
  for (const l of lines) assert.ok(!l.includes(value), l);
  assert.match(lines[0]!, /<<\[REDACTED\]>>/);
});
