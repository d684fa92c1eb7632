// The real-bwdc tier (docs/image.md "The real bwdc in the tests"): the runner drives the real bwdc release
// (BWDC_RELEASE_ZIP) against Debian's slapd and the Bitwarden test server, as users run it on a host.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import {
  bitwarden,
  CANARY_CLIENT_SECRET,
  CANARY_DIRECTORY_SECRET,
  CLIENT_ID,
  pidAlive,
  runCli,
} from './helpers/fixture.js';
import { realBwdc, realBwdcSkip } from './helpers/real-bwdc.js';
import { realInstance } from './helpers/real-instance.js';
import { SEED_GROUPS, SEED_USERS, startSlapd, type Slapd } from './helpers/slapd.js';

const skip = realBwdcSkip();
let slapd: Slapd | undefined;
after(() => slapd?.stop());
const ldap = async (): Promise<Slapd> => (slapd ??= await startSlapd({ bindPassword: CANARY_DIRECTORY_SECRET }));

const outcome = (logs: Array<Record<string, unknown>>) => logs.find((l) => l.outcome !== undefined)!;
const secrets = [CANARY_CLIENT_SECRET, CANARY_DIRECTORY_SECRET];

test('real bwdc: check, run (3 users, 2 groups), a second run (nothing), plan --json, test', { skip }, async (t) => {
  const inst = realInstance(realBwdc()!, await ldap());
  const org = bitwarden.organization(CLIENT_ID);
  const importsBefore = bitwarden.imports.length;

  await t.test('check passes and names the real bwdc', async () => {
    const r = await runCli(['check'], inst.env);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /bwdc: \S+ \(version 2026\.6\.1\)/);
  });

  await t.test('run: one bwdc start imports the 3 users and 2 groups', async () => {
    const startsBefore = inst.starts().length;
    const r = await runCli(['run'], inst.env);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(
      inst
        .starts()
        .slice(startsBefore)
        .map((s) => s.argv.split(' ')[0]),
      ['sync'],
    );
    assert.equal(bitwarden.imports.length, importsBefore + 1);
    assert.deepEqual(org.members.map((m) => m.email).sort(), SEED_USERS.map((u) => u.mail).sort());
    assert.deepEqual(org.groups.map((g) => g.name).sort(), SEED_GROUPS.map((g) => g.cn).sort());
    const eng = org.groups.find((g) => g.name === 'engineering')!;
    assert.equal(eng.memberIds.length, 2);
    const done = outcome(r.logs);
    assert.equal(done.outcome, 'success');
    assert.equal(done.users, 3);
    assert.equal(done.groups, 2);
  });

  await t.test('after the run: data.json and every state file are 0600 and hold no secret', () => {
    const files = inst.stateFiles();
    assert.ok(files.some((f) => f.path.endsWith('/ldap/data.json')));
    for (const f of files) {
      assert.equal(f.mode & 0o077, 0, `${f.path} has mode ${f.mode.toString(8)}`);
      for (const s of secrets) assert.ok(!f.text.includes(s), `${f.path} still holds a secret`);
    }
  });

  await t.test('a second run imports nothing (bwdc: the payload is unchanged)', async () => {
    const r = await runCli(['run'], inst.env);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(bitwarden.imports.length, importsBefore + 1, 'no second import');
    assert.equal(outcome(r.logs).users, 0);
  });

  await t.test('plan --json reads the directory with bwdc and compares it with the organization', async () => {
    const r = await runCli(['plan', '--json'], inst.env);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const plan = JSON.parse(r.stdout).instances[0];
    assert.equal(plan.ok, true);
    assert.equal(plan.import.members, 3);
    assert.equal(plan.import.groups, 2);
    assert.deepEqual(plan.invite, [], 'everyone is a member already');
    assert.deepEqual(plan.remove, []);
  });

  await t.test('test reports what the directory holds, importing nothing', async () => {
    const r = await runCli(['test'], inst.env);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(String(outcome(r.logs).msg), /would sync 2 group\(s\), 3 enabled/);
    assert.equal(bitwarden.imports.length, importsBefore + 1);
  });

  await t.test('nothing secret in any output', () => {
    for (const f of inst.stateFiles()) for (const s of secrets) assert.ok(!f.text.includes(s));
  });
});

test('real bwdc: a wrong LDAP bind password fails the run with class directory', { skip }, async () => {
  const inst = realInstance(realBwdc()!, await ldap(), [{ name: 'badbind', directorySecret: 'env://WRONG_BIND' }]);
  const r = await runCli(['run'], { ...inst.env, WRONG_BIND: 'not-the-bind-password' });
  assert.equal(r.code, 1, r.stdout + r.stderr);
  const done = outcome(r.logs);
  assert.equal(done.outcome, 'failure');
  assert.equal(done.failureClass, 'directory', JSON.stringify(done));
  assert.equal(inst.starts().length, 1);
  for (const s of secrets) assert.ok(!(r.stdout + r.stderr).includes(s));
});

test('real bwdc: a wrong API key fails with class auth before bwdc starts', { skip }, async () => {
  const inst = realInstance(realBwdc()!, await ldap(), [{ name: 'badkey', clientSecret: 'env://WRONG_KEY' }]);
  const r = await runCli(['run'], { ...inst.env, WRONG_KEY: 'not-the-client-secret' });
  assert.equal(r.code, 1, r.stdout + r.stderr);
  const done = outcome(r.logs);
  assert.equal(done.failureClass, 'auth', JSON.stringify(done));
  assert.deepEqual(inst.starts(), [], 'bwdc was never started');
});

test("real bwdc: the timeout kills bwdc's whole process group", { skip }, async () => {
  // An LDAP server that accepts connections and never answers: bwdc waits on its bind.
  const held: Socket[] = [];
  const silent = createServer((s) => held.push(s));
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  const port = (silent.address() as { port: number }).port;
  const s = await ldap();
  const inst = realInstance(realBwdc()!, s, [{ name: 'hang', timeout: '6s', directory: { ...s.directory, port } }], {
    sleeper: true,
  });
  try {
    const r = await runCli(['run'], inst.env);
    assert.equal(outcome(r.logs).failureClass, 'timeout', r.stdout);
    const [start] = inst.starts();
    const sleeper = Number(readFileSync(join(inst.fx.dir, 'sleeper.pid'), 'utf8').trim());
    assert.ok(start && sleeper > 0);
    assert.equal(pidAlive(start.pid), false, 'bwdc is gone');
    assert.equal(pidAlive(sleeper), false, "a process in bwdc's group is gone too");
  } finally {
    held.forEach((h) => h.destroy());
    silent.close();
  }
});
