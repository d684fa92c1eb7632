// One bwdc start per run: the runner's own login (the identity request `bwdc login` makes), the
// session and the directory secret written into data.json without `bwdc config` and its side
// effects, tokens shared between instances of one API key, and the fallback (login: bwdc).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertNoCanary, bitwarden, ldapTemplate, makeFixture, runCli, startCli, waitFor } from './helpers/fixture.js';

const lastRun = (logs: Array<Record<string, unknown>>) =>
  logs.filter((l) => l.outcome !== undefined && l.instance).at(-1)!;

// A user's own LDAP sync settings (not AD's), which `bwdc config ldap.password` would overwrite.
const custom = {
  ...ldapTemplate,
  directoryLdap: { ...ldapTemplate.directoryLdap, ad: true },
  sync: {
    ...ldapTemplate.sync,
    userObjectClass: 'inetOrgPerson',
    groupObjectClass: 'groupOfNames',
    memberAttribute: 'uniqueMember',
    userEmailAttribute: 'email',
  },
};

test("the user's sync settings survive a run (login: runner); the fallback's `bwdc config` overwrites them with AD defaults, as bwdc does", async () => {
  for (const [login, kept] of [
    ['runner', true],
    ['bwdc', false],
  ] as const) {
    const fx = makeFixture();
    writeFileSync(fx.templatePath, JSON.stringify(custom));
    const r = await runCli(['run'], fx.env({ BWDC_LOGIN: login }));
    assert.equal(r.code, 0, r.stdout);
    const sync = fx.dataJson().sync as Record<string, unknown>;
    if (kept)
      assert.deepEqual(
        [sync.userObjectClass, sync.groupObjectClass, sync.memberAttribute, sync.userEmailAttribute],
        ['inetOrgPerson', 'groupOfNames', 'uniqueMember', 'email'],
      );
    else
      assert.deepEqual(
        [sync.userObjectClass, sync.groupObjectClass, sync.memberAttribute, sync.userEmailAttribute],
        ['person', 'group', 'member', 'mail'],
      );
  }
});

test("a directory secret that is bwdc's [STORED SECURELY] placeholder is refused (exit 2), nothing started", async () => {
  const fx = makeFixture();
  writeFileSync(fx.dirSecretPath, '[STORED SECURELY]\n');
  const r = await runCli(['run'], fx.env());
  assert.equal(r.code, 2, r.stdout);
  assert.match(String(lastRun(r.logs).msg), /the placeholder a desktop export writes in place of the secret/);
  assert.equal(fx.records().length, 0);
});

test('a 5xx from the identity server takes the retry path; the run then syncs with one bwdc start', async () => {
  const fx = makeFixture();
  bitwarden.failNext = 1;
  const r = await runCli(['run'], fx.env({ BWDC_RETRY_ATTEMPTS: '2', BWDC_RETRY_BACKOFF: '100ms' }));
  assert.equal(r.code, 0, r.stdout);
  assert.ok(r.logs.some((l) => l.msg === 'transient failure, will retry' && l.failureClass === 'server'));
  assert.equal(lastRun(r.logs).attempts, 2);
  assert.deepEqual(
    fx.records().map((c) => c.command),
    ['sync'],
  );
});

test('schedule: instances sharing one API key share its token (one identity request); the token is never in a log line, /status, /metrics or data.json after the runs', async () => {
  const fx = makeFixture();
  const names = Array.from({ length: 6 }, (_, i) => `i${i}`);
  const cfg = fx.writeConfig(names.map((name) => ({ name, schedule: '*/2 * * * * *' })));
  const before = bitwarden.tokenRequests.length;
  const run = startCli(['schedule', '--config', cfg], fx.fileEnv({ BWDC_HTTP_PORT: '0', BWDC_HTTP_HOST: '127.0.0.1' }));
  try {
    await waitFor(
      () => names.every((n) => run.logs().filter((l) => l.instance === n && l.outcome === 'success').length >= 2),
      30_000,
    );
    const port = run.logs().find((l) => l.port !== undefined)!.port as number;
    const status = await (await fetch(`http://127.0.0.1:${port}/status`)).text();
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    run.kill('SIGTERM');
    const done = await run.done;
    assert.equal(done.code, 0);
    assert.equal(bitwarden.tokenRequests.length - before, 1, '12 runs of 6 instances, one identity request');
    // Every JWT starts with a base64url '{"': none may appear anywhere the runner writes.
    for (const [where, text] of [
      ['logs', done.stdout + done.stderr],
      ['/status', status],
      ['/metrics', metrics],
    ] as const) {
      assert.ok(!text.includes('eyJ'), `a token in ${where}`);
      assertNoCanary(where, text);
    }
    for (const n of names) {
      const data = readFileSync(join(fx.stateDir, n, 'data.json'), 'utf8');
      assert.ok(!data.includes('eyJ'), `${n}: no token left in data.json`);
      assertNoCanary(`${n} data.json`, data);
    }
  } finally {
    run.kill('SIGKILL');
  }
});
