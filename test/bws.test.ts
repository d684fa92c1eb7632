// bws:// references through Bitwarden's own SDK (@bitwarden/sdk-napi, the real native module) against
// the Secrets Manager stand-in in test/bws-server/ (real cryptography: the SDK decrypts what it serves).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { createSecretResolver } from '../src/secrets/index.js';
import { createLogger } from '../src/observability/logger.js';
import { parseSecretRef } from '../src/shared/secret-ref.js';
import { MAX_UNANSWERED_CALLS, bwsServer } from '../src/secrets/providers/bws/secrets-manager.js';
import { BwsTestServer } from './bws-server/server.js';
import {
  CANARY_CLIENT_SECRET,
  CANARY_DIRECTORY_SECRET,
  assertNoCanary,
  binPath,
  makeFixture,
  runCli,
} from './helpers/fixture.js';

const log = await createLogger({ level: 'silent' });
const bws = await new BwsTestServer().start();

function resolverFor(token: string, extra: Record<string, string> = {}) {
  return createSecretResolver(
    { BWS_ACCESS_TOKEN: token, BWS_SERVER_URL: bws.url, BWDC_SECRET_BACKOFF: '10ms', ...extra },
    log,
  );
}
const reads = (id: string) => bws.requests.filter((r) => r === `GET /api/secrets/${id}`).length;

test('a value, and a key out of a JSON value, decrypted by the real SDK; one read per reference per run', async () => {
  const token = bws.machineAccount();
  const plain = bws.setSecret('plain-value-1');
  const json = bws.setSecret(JSON.stringify({ password: 'json-pw', user: 'cn=bwdc' }));
  const resolver = resolverFor(token, { OTHER: 'x' });
  const session = resolver.session();
  await session.resolve('env://OTHER', 'x');
  assert.ok(!resolver.loadedSchemes().includes('bws'), 'the SDK is loaded only for a bws:// reference');
  assert.equal(await session.resolve(`bws://${plain}`, 'x'), 'plain-value-1');
  assert.equal(await session.resolve(`bws://${json}#password`, 'x'), 'json-pw');
  assert.equal(await session.resolve(`bws://${json}#password`, 'x'), 'json-pw');
  assert.equal(reads(json), 1, 'the session keeps what it read');
  await assert.rejects(session.resolve(`bws://${json}#nope`, 'x'), /has no key "nope" \(its keys: password, user\)/);
  assert.ok(resolver.loadedSchemes().includes('bws'));
  await resolver.close();
});

test('a missing secret (404) and a revoked token (401) fail at once, naming the reference, never the token', async () => {
  const token = bws.machineAccount();
  const missing = '00000000-0000-4000-8000-000000000404';
  const resolver = resolverFor(token);
  await assert.rejects(resolver.session().resolve(`bws://${missing}`, 'x'), (err: Error) => {
    assert.match(err.message, new RegExp(`bws://${missing}: secret not found`));
    return true;
  });
  assert.equal(reads(missing), 1, 'not retried');
  const id = bws.setSecret('v');
  bws.revoke(token);
  await assert.rejects(resolver.session().resolve(`bws://${id}`, 'x'), (err: Error) => {
    assert.match(err.message, /access token was refused/);
    assert.ok(
      !err.message.includes(token.split(':')[1]!) && !err.message.includes(token.split('.')[2]!.split(':')[0]!),
    );
    return true;
  });
  await resolver.close();
  // A revoked token cannot log in at all.
  const again = resolverFor(token);
  await assert.rejects(again.session().resolve(`bws://${id}`, 'x'), /access token was refused/);
  await again.close();
});

test('429 is retried with backoff, then the value arrives; rotation between runs is seen', async () => {
  const token = bws.machineAccount();
  const id = bws.setSecret('before');
  bws.fail429 = 2;
  const resolver = resolverFor(token);
  assert.equal(await resolver.session().resolve(`bws://${id}`, 'x'), 'before');
  assert.equal(reads(id), 3);
  bws.secrets.get(id)!.value = 'after';
  assert.equal(await resolver.session().resolve(`bws://${id}`, 'x'), 'after', 'a new run reads again');
  await resolver.close();
});

test('bws:// reference syntax: a UUID, an optional #KEY', () => {
  assert.throws(() => parseSecretRef('bws://not-a-uuid'), /expected bws:\/\/SECRET-ID\[#KEY\]/);
  const ref = parseSecretRef('bws://2b1f6c0e-8d4a-4c3e-9a51-0e6f3b2d7c10#password');
  assert.deepEqual([ref.kind === 'ref' && ref.scheme, ref.kind === 'ref' && ref.key], ['bws', 'password']);
});

test('the server as the bws CLI takes it: the US cloud, BWS_SERVER_URL, or BWS_API_URL with BWS_IDENTITY_URL', () => {
  assert.deepEqual(bwsServer({}), {
    apiUrl: 'https://api.bitwarden.com',
    identityUrl: 'https://identity.bitwarden.com',
  });
  assert.deepEqual(bwsServer({ BWS_SERVER_URL: 'https://vault.example.com/' }), {
    apiUrl: 'https://vault.example.com/api',
    identityUrl: 'https://vault.example.com/identity',
  });
  assert.deepEqual(
    bwsServer({
      BWS_SERVER_URL: 'https://ignored',
      BWS_API_URL: 'https://a.example/',
      BWS_IDENTITY_URL: 'https://i.example',
    }),
    { apiUrl: 'https://a.example', identityUrl: 'https://i.example' },
  );
  assert.throws(() => bwsServer({ BWS_API_URL: 'https://a.example' }), /set both BWS_API_URL and BWS_IDENTITY_URL/);
});

test('a run whose client secret and directory secret come from bws:// works end to end, with nothing leaked', async () => {
  const fx = makeFixture('bws');
  const token = bws.machineAccount();
  const client = bws.setSecret(CANARY_CLIENT_SECRET);
  const dir = bws.setSecret(JSON.stringify({ bind_password: CANARY_DIRECTORY_SECRET }));
  writeFileSync(join(fx.dir, 'bws_token'), `${token}\n`);
  const r = await runCli(
    ['run'],
    fx.env({
      BW_CLIENTSECRET_FILE: undefined,
      BW_CLIENTSECRET: `bws://${client}`,
      BWDC_DIRECTORY_SECRET_FILE: undefined,
      BWDC_DIRECTORY_SECRET: `bws://${dir}#bind_password`,
      BWS_ACCESS_TOKEN_FILE: join(fx.dir, 'bws_token'),
      BWS_SERVER_URL: bws.url,
    }),
  );
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /Synced 2 group\(s\) and 3 user\(s\)/);
  assertNoCanary('run output', r.stdout, r.stderr);
  for (const part of [token, token.split(':')[1]!, token.split('.')[2]!.split(':')[0]!])
    assert.ok(!(r.stdout + r.stderr).includes(part), 'the access token never appears');
  // bwdc never sees the token.
  for (const rec of fx.records()) assert.equal(rec.env.BWS_ACCESS_TOKEN, undefined);
  const check = await runCli(
    ['check'],
    fx.env({
      BW_CLIENTSECRET_FILE: undefined,
      BW_CLIENTSECRET: `bws://${client}`,
      BWS_ACCESS_TOKEN_FILE: join(fx.dir, 'bws_token'),
      BWS_SERVER_URL: bws.url,
    }),
  );
  assert.equal(check.code, 0, check.stdout);
  assert.match(check.stdout, new RegExp(`clientSecret: bws://${client} {2}ok`));
});

/** A loopback endpoint that accepts connections and never answers (a hung Secrets Manager). */
async function silentEndpoint() {
  const sockets: Socket[] = [];
  const silent = createNetServer((s) => sockets.push(s));
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
  const close = () => {
    for (const s of sockets) s.destroy();
    silent.close();
  };
  return { url, sockets, close };
}

test('a bws:// endpoint that accepts and never answers: the reference fails within BWDC_SECRET_TIMEOUT + 1 s, and at once when the run is aborted', async () => {
  const { url, close } = await silentEndpoint();
  const env = { BWS_ACCESS_TOKEN: bws.machineAccount(), BWS_SERVER_URL: url, BWDC_SECRET_RETRIES: '0' };
  const id = bws.setSecret('never-served');
  const timed = createSecretResolver({ ...env, BWDC_SECRET_TIMEOUT: '1s' }, log);
  const t0 = Date.now();
  await assert.rejects(timed.session().resolve(`bws://${id}`, 'x'), /no answer within 1000 ms/);
  assert.ok(Date.now() - t0 < 2000, `took ${Date.now() - t0} ms`);

  const stop = new AbortController();
  const aborted = createSecretResolver({ ...env, BWDC_SECRET_TIMEOUT: '60s' }, log);
  const pending = aborted.session(stop.signal).resolve(`bws://${id}`, 'x');
  setTimeout(() => stop.abort(), 300);
  const t1 = Date.now();
  await assert.rejects(pending, /stopped/);
  assert.ok(Date.now() - t1 < 1300, `took ${Date.now() - t1} ms`);
  close();
});

test('BWS_ACCESS_TOKEN_FILE rotated: the new token is used at once, by the change and by a refusal of the old one', async () => {
  const fx = makeFixture('bws-rotate');
  const file = join(fx.dir, 'bws_token');
  const first = bws.machineAccount();
  writeFileSync(file, `${first}\n`);
  const id = bws.setSecret('rotated-ok');
  const resolver = resolverFor('', { BWS_ACCESS_TOKEN: '', BWS_ACCESS_TOKEN_FILE: file });
  assert.equal(await resolver.session().resolve(`bws://${id}`, 'x'), 'rotated-ok');
  // Rotation seen by the file's change: the old token is revoked, the run still reads.
  const second = bws.machineAccount();
  bws.revoke(first);
  writeFileSync(file, `${second}\n`);
  utimesSync(file, new Date(), new Date(Date.now() + 5000));
  assert.equal(await resolver.session().resolve(`bws://${id}`, 'x'), 'rotated-ok');
  // Rotation the stamp does not show (same modification time): the refusal makes the runner read the file.
  const stamp = statSync(file).mtime;
  const third = bws.machineAccount();
  bws.revoke(second);
  writeFileSync(file, `${third}\n`);
  utimesSync(file, stamp, stamp);
  assert.equal(await resolver.session().resolve(`bws://${id}`, 'x'), 'rotated-ok');
  await resolver.close();
});

test('a bws:// endpoint that never answers: the SDK calls given up on stay few, however many attempts follow', async () => {
  const { url, sockets, close } = await silentEndpoint();
  const env = { BWS_ACCESS_TOKEN: bws.machineAccount(), BWS_SERVER_URL: url, BWDC_SECRET_RETRIES: '0' };
  const id = bws.setSecret('never-served');
  const resolver = createSecretResolver({ ...env, BWDC_SECRET_TIMEOUT: '200ms' }, log);
  // A scheduler's runs, one after another, each with its own attempt.
  for (let run = 0; run < 12; run++)
    await assert.rejects(resolver.session().resolve(`bws://${id}`, 'x'), /cannot reach Bitwarden Secrets Manager/);
  await new Promise((r) => setTimeout(r, 300));
  const open = sockets.filter((s) => !s.destroyed && !s.readableEnded).length;
  assert.ok(open <= MAX_UNANSWERED_CALLS, `${open} connections left open by 12 attempts`);
  close();
});

test('one-shot commands end with their work: a hung bws:// endpoint holds no process past its result', async () => {
  // The SDK's call to the silent endpoint stays open after the run gave up on it (BWDC_SECRET_TIMEOUT);
  // the process must still exit with its code within a second of its last line (docs/design.md
  // "Commands and exit codes").
  const { url, close } = await silentEndpoint();
  const fx = makeFixture('bws-hung');
  const id = bws.setSecret('never-served');
  const env = fx.env({
    BW_CLIENTSECRET_FILE: undefined,
    BW_CLIENTSECRET: `bws://${id}`,
    BWS_ACCESS_TOKEN: bws.machineAccount(),
    BWS_SERVER_URL: url,
    BWDC_SECRET_TIMEOUT: '1s',
    BWDC_SECRET_RETRIES: '0',
  });
  const timed = (args: string[]) =>
    new Promise<{ code: number | null; output: string; lingered: number }>((done) => {
      const child = spawn(process.execPath, [binPath, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      let last = Date.now();
      const take = (c: Buffer) => {
        output += c.toString();
        last = Date.now();
      };
      child.stdout.on('data', take);
      child.stderr.on('data', take);
      const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      child.on('close', (code) => {
        clearTimeout(killer);
        done({ code, output, lingered: Date.now() - last });
      });
    });
  // run, test and plan take the instance's lock: one after the other; check beside them.
  const checking = timed(['check']);
  const run = await timed(['run']);
  const dry = await timed(['test']);
  const plan = await timed(['plan']);
  const check = await checking;
  close();
  for (const [name, r, code] of [
    ['run', run, 3],
    ['test', dry, 3],
    ['plan', plan, 3],
    ['check', check, 3],
  ] as const) {
    assert.equal(r.code, code, `${name}: ${r.output}`);
    assert.match(r.output, /no answer within 1000 ms|cannot reach Bitwarden Secrets Manager/, name);
    assert.ok(r.lingered < 1000, `${name} lived ${r.lingered} ms past its last line`);
  }
});
