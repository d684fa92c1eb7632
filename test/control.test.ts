// Pause, resume and quarantine with `run` (docs/operations.md), and the history file's own rules: a torn
// last line is skipped and reported, the next entry starts a line of its own, size and age bound it.
// bwdc here is the double sending its import to the test server through the gate (plan-setup.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { bitwarden, CANARY_CLIENT_SECRET, makeFixture, runCli } from './helpers/fixture.js';
import { setup } from './helpers/plan-setup.js';
import { receiver } from './helpers/receiver.js';
import { appendHistory, readHistory } from '../src/state/history.js';

const users = [
  { externalId: 'a', email: 'a@corp.example' },
  { externalId: 'b', email: 'b@corp.example' },
];

test('pause: run exits 75 naming who paused and why, syncs nothing; resume: the next run syncs; both in the history', async () => {
  const s = setup({ users });
  const paused = await s.cli(['pause', 'corp', '--reason', 'AD migration'], { USER: 'alice' });
  assert.equal(paused.code, 0, paused.stderr);
  assert.match(paused.stdout, /corp: paused since \S+ by alice@\S+: AD migration/);
  assert.equal(statSync(join(s.fx.stateDir, 'corp', 'pause.json')).mode & 0o777, 0o600);

  const skipped = await s.cli(['run']);
  assert.equal(skipped.code, 75, skipped.stdout + skipped.stderr);
  const end = skipped.logs.find((l) => l.outcome === 'skipped')!;
  assert.match(String(end.msg), /^skipped: paused since \d{4}-\d\d-\d\dT\S+ by alice@\S+: AD migration$/);
  assert.equal(s.org.members.length, 0, 'nothing synced');
  assert.equal(bitwarden.imports.filter((i) => i.orgId === s.org.id).length, 0);
  // A dry run changes nothing and still runs.
  assert.equal((await s.cli(['test'])).code, 0);

  const resumed = await s.cli(['resume', 'corp'], { USER: 'bob' });
  assert.match(resumed.stdout, /corp: resumed \(was paused since .* by alice@\S+: AD migration\)/);
  assert.equal((await s.cli(['run'])).code, 0);
  assert.equal(s.org.members.length, 2);
  assert.match((await s.cli(['resume', 'corp'])).stdout, /corp: was not paused/);

  const h = await s.cli(['history', '--json']);
  const kinds = (
    JSON.parse(h.stdout) as { instances: Array<{ entries: Array<{ kind: string; by?: string }> }> }
  ).instances[0]!.entries.map((e) => `${e.kind}${e.by ? ` ${e.by.split('@')[0]}` : ''}`);
  assert.deepEqual(kinds, ['pause alice', 'resume bob', 'sync']);
  assert.match((await s.cli(['pause', 'nobody'])).stderr, /unknown instance "nobody"/);
  assert.equal((await s.cli(['pause'])).code, 2);
});

test('quarantine: N failed syncs in a row pause the instance, one notice says so and how to resume; resume clears the count', async () => {
  const hook = await receiver();
  const clientId = `organization.${randomUUID()}`; // unknown to the server: every run fails, class auth
  const fx = makeFixture('corp');
  fx.control({ apiHttp: true, directory: { users, groups: [] } });
  const config = fx.writeConfig([
    {
      name: 'corp',
      dataJson: undefined,
      clientId,
      directory: { type: 'ldap', hostname: 'ldap.test', port: 389, rootPath: 'dc=test', username: 'cn=bwdc,dc=test' },
      sync: { users: true, groups: true },
      quarantineAfter: 3,
      retry: { attempts: 0 },
      notify: [{ url: hook.url, after: 1 }],
    },
  ]);
  const cli = (args: string[]) => runCli([...args, '-c', config], fx.fileEnv());
  for (let i = 1; i <= 2; i++) assert.equal((await cli(['run'])).code, 1);
  assert.equal(existsSync(join(fx.stateDir, 'corp', 'pause.json')), false, 'not before the third failure');
  const third = await cli(['run']);
  assert.equal(third.code, 1);
  assert.ok(third.logs.some((l) => /quarantined after 3 failures in a row \(last: class auth: /.test(String(l.msg))));
  const notices = hook.got.map((g) => JSON.parse(g.body) as { event: string; message: string });
  assert.deepEqual(
    notices.map((n) => n.event),
    ['failure', 'quarantine'],
    'the first failure, then the quarantine; nothing for the second',
  );
  const fourth = await cli(['run']);
  assert.equal(fourth.code, 75, 'quarantined: skipped');
  assert.match(String(fourth.logs.find((l) => l.outcome === 'skipped')!.msg), /by quarantine: quarantined after 3/);
  assert.equal(hook.got.length, 2, 'a skipped run says nothing');

  assert.equal((await cli(['resume', 'corp'])).code, 0);
  const last = JSON.parse(readFileSync(join(fx.stateDir, 'corp', 'last-run.json'), 'utf8')) as {
    consecutiveFailures: number;
  };
  assert.equal(last.consecutiveFailures, 0);
  assert.equal((await cli(['run'])).code, 1, 'runs again (and fails again: still a wrong key)');
  assert.equal(existsSync(join(fx.stateDir, 'corp', 'pause.json')), false, 'one failure is not three');
  bitwarden.addClient(clientId, CANARY_CLIENT_SECRET);
});

test('the generic notification carries what the sync changed', async () => {
  const hook = await receiver();
  const s = setup({ users });
  const config = join(s.fx.dir, 'config.yaml');
  const text = readFileSync(config, 'utf8').replace(
    '\ninstances:',
    `\n  notify: [{ url: "${hook.url}", on: [always] }]\ninstances:`,
  );
  writeFileSync(config, text);
  assert.equal((await s.cli(['run'])).code, 0);
  const body = JSON.parse(hook.got[0]!.body) as { changes: string };
  assert.equal(body.changes, '2 invited');
});

test('history file: a torn last line is skipped and reported, the next append starts a fresh line; size and age bound it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hist-'));
  const at = (d: number) => new Date(Date.UTC(2026, 0, d)).toISOString();
  const keepAll = { maxBytes: 1e9, maxAgeMs: 1e15 };
  await appendHistory(dir, { at: at(1), kind: 'sync', outcome: 'success' }, keepAll);
  appendFileSync(join(dir, 'history.jsonl'), '{"at":"2026-01-02T00:00:00.000Z","kind":"sy');
  let read = await readHistory(dir);
  assert.equal(read.entries.length, 1);
  assert.deepEqual(read.skipped, [{ line: 2, reason: 'torn last line (a write cut short)' }]);
  await appendHistory(dir, { at: at(3), kind: 'sync', outcome: 'failure' }, keepAll);
  read = await readHistory(dir);
  assert.deepEqual(
    read.entries.map((e) => e.at),
    [at(1), at(3)],
  );
  assert.equal(read.skipped[0]!.reason, 'not a JSON entry', 'no longer last, still skipped');
  assert.equal(statSync(join(dir, 'history.jsonl')).mode & 0o777, 0o600);
  assert.deepEqual(
    (await readHistory(dir, Date.parse(at(2)))).entries.map((e) => e.at),
    [at(3)],
  );

  // Size: past maxBytes the newest entries that fit three quarters of it stay.
  const big = mkdtempSync(join(tmpdir(), 'hist-'));
  const limits = { maxBytes: 4096, maxAgeMs: 1e12 };
  const now = Date.UTC(2026, 1, 1);
  for (let i = 0; i < 100; i++)
    await appendHistory(
      big,
      { at: new Date(now + i).toISOString(), kind: 'sync', n: i, pad: 'x'.repeat(60) },
      limits,
      now,
    );
  const size = statSync(join(big, 'history.jsonl')).size;
  assert.ok(size <= 4096, `${size} bytes`);
  const kept = (await readHistory(big)).entries.map((e) => e.n as number);
  assert.equal(kept.at(-1), 99, 'the newest is kept');
  assert.deepEqual(
    kept,
    [...kept].sort((a, b) => a - b),
  );
  assert.ok(kept.length > 20 && kept.length < 100);

  // Age: an oldest entry older than maxAge starts a compaction that drops every old one.
  const old = mkdtempSync(join(tmpdir(), 'hist-'));
  const day = 86_400_000;
  for (const d of [1, 2, 40, 41])
    await appendHistory(
      old,
      { at: new Date(d * day).toISOString(), kind: 'sync' },
      { maxBytes: 1e9, maxAgeMs: 1e15 },
      0,
    );
  await appendHistory(
    old,
    { at: new Date(42 * day).toISOString(), kind: 'sync' },
    { maxBytes: 1e9, maxAgeMs: 30 * day },
    42 * day,
  );
  assert.deepEqual(
    (await readHistory(old)).entries.map((e) => Date.parse(e.at) / day),
    [40, 41, 42],
  );
});
