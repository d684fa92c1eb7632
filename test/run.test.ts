// `bwdc-runner run` end to end: the compiled CLI, the bwdc double as a real child process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  readFileSync,
  statSync,
  writeFileSync,
  chmodSync,
  mkdirSync,
  mkdtempSync,
  utimesSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import {
  assertNoCanary,
  binPath,
  CANARY_CLIENT_SECRET,
  CANARY_DIRECTORY_SECRET,
  bitwarden,
  CLIENT_ID,
  doublePath,
  makeFixture,
  pidAlive,
  runCli,
  startCli,
  waitFor,
  ldapTemplate,
} from './helpers/fixture.js';

function lastRun(logs: Array<Record<string, unknown>>) {
  return logs.filter((l) => l.outcome !== undefined && l.instance !== undefined).at(-1)!;
}

test('a run is one bwdc start: the runner logs in and writes the session and the directory secret into data.json, wiped afterwards', async () => {
  const fx = makeFixture();
  const before = bitwarden.tokenRequests.length;
  const r = await runCli(['run'], fx.env());
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const done = lastRun(r.logs);
  assert.equal(done.msg, 'Synced 2 group(s) and 3 user(s).');
  assert.equal(done.bwdcCalls, 1);
  const calls = fx.records();
  assert.deepEqual(
    calls.map((c) => c.command),
    ['sync'],
  );
  // bwdc got neither secret through its environment: they were in data.json for the run (the double
  // binds with the directory secret it finds there, and would refuse a wrong one), then wiped.
  assert.equal(calls[0]!.env.BW_CLIENTSECRET, undefined);
  assert.ok(!JSON.stringify(calls[0]!.env).includes(CANARY_DIRECTORY_SECRET));
  // One identity request, the one `bwdc login` makes: fields in bwdc's order, bwdc's headers.
  assert.equal(bitwarden.tokenRequests.length, before + 1);
  const req = bitwarden.tokenRequests.at(-1)!;
  assert.deepEqual(
    req.fields.map(([k]) => k),
    ['scope', 'client_id', 'deviceType', 'deviceIdentifier', 'deviceName', 'grant_type', 'client_secret'],
  );
  assert.equal(req.headers['device-type'], '8');
  assert.equal(req.headers['bitwarden-client-name'], 'connector');
  const data = fx.dataJson();
  for (const key of ['accessToken', 'apiKeyClientId', 'apiKeyClientSecret'])
    assert.equal(data[key], undefined, `${key} wiped`);
  assert.equal((data.directoryLdap as Record<string, unknown>).password, undefined, 'the bind password wiped');
  assert.equal(data.organizationId, CLIENT_ID.replace('organization.', ''), 'kept, as bwdc logout keeps it');
  assert.equal(
    data.appId,
    new URLSearchParams(req.fields).get('deviceIdentifier'),
    "the device identifier is data.json's appId",
  );
  assertNoCanary('data.json after the run', JSON.stringify(data));
  assertNoCanary('stdout/stderr', r.stdout, r.stderr);
  for (const c of calls) assertNoCanary(`argv of bwdc ${c.command}`, JSON.stringify(c.argv));
});

test('the fallback (login: bwdc): login, config and sync, secrets only through the environment', async () => {
  const fx = makeFixture();
  const r = await runCli(['run'], fx.env({ BWDC_LOGIN: 'bwdc' }));
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const done = lastRun(r.logs);
  assert.equal(done.outcome, 'success');
  assert.equal(done.users, 3);
  assert.equal(done.groups, 2);
  assert.equal(done.msg, 'Synced 2 group(s) and 3 user(s).');
  for (const l of r.logs.filter((l) => l.runId)) assert.equal(l.instance, 'one');

  const calls = fx.records();
  assert.deepEqual(
    calls.map((c) => c.command),
    ['login', 'config', 'sync'],
  );
  const login = calls[0]!;
  assert.equal(login.env.BW_CLIENTSECRET, CANARY_CLIENT_SECRET, 'the secret reaches bwdc through its environment');
  assert.equal(login.env.BW_CLIENTID, CLIENT_ID);
  const config = calls[1]!;
  assert.deepEqual(config.argv.slice(0, 3), ['config', 'ldap.password', '--secretenv']);
  assert.equal(config.env[config.argv[3]!], CANARY_DIRECTORY_SECRET);
  // The API key is given only to login, the directory secret only to config.
  assert.equal(config.env.BW_CLIENTSECRET, undefined);
  assert.equal(calls[2]!.env.BW_CLIENTSECRET, undefined);
  assert.equal(calls[2]!.env[config.argv[3]!], undefined);
  // Nothing of the runner's own environment leaks into bwdc's beyond the allowlist.
  assert.equal(login.env.BWDC_DIRECTORY_SECRET_FILE, undefined);
  assert.equal(login.env.BITWARDENCLI_CONNECTOR_PLAINTEXT_SECRETS, 'true');
  assert.equal(login.env.BITWARDENCLI_CONNECTOR_APPDATA_DIR, join(fx.stateDir, 'one'));

  for (const c of calls) assertNoCanary(`argv of bwdc ${c.command}`, JSON.stringify(c.argv));
  assertNoCanary('stdout/stderr', r.stdout, r.stderr);
  // After the run no secret stays in the state folder: the session and the bind password are gone.
  const data = readFileSync(join(fx.stateDir, 'one', 'data.json'), 'utf8');
  assertNoCanary('data.json after the run', data);
  assert.equal(JSON.parse(data).accessToken, undefined);
  assert.ok(JSON.parse(data).lastSyncHash, "bwdc's own state is kept");
  assertNoCanary('backup', readFileSync(join(fx.stateDir, 'one', 'data.json.runner-backup'), 'utf8'));
});

test('the state folder is 0700 and data.json 0600', async () => {
  const fx = makeFixture();
  assert.equal((await runCli(['run'], fx.env())).code, 0);
  assert.equal(statSync(join(fx.stateDir, 'one')).mode & 0o777, 0o700);
  assert.equal(statSync(join(fx.stateDir, 'one', 'data.json')).mode & 0o777, 0o600);
});

test('canary secrets echoed by bwdc in an error never reach stdout, stderr, the log file or the message', async () => {
  const fx = makeFixture();
  fx.control({ faults: { sync: 'echo-secret' } });
  const r = await runCli(['run'], fx.env({ BWDC_LOG_FILE: 'true' }));
  assert.equal(r.code, 1);
  const done = lastRun(r.logs);
  assert.match(String(done.msg), /\[REDACTED\]/, 'the message kept its shape with the value masked');
  assertNoCanary('stdout/stderr', r.stdout, r.stderr);
  assertNoCanary('bwdc.log', readFileSync(join(fx.stateDir, 'one', 'bwdc.log'), 'utf8'));
  // Both secrets were in bwdc's message (from data.json, where the runner wrote them): not vacuous.
  assert.equal((String(done.msg).match(/\[REDACTED\]/g) ?? []).length, 2);
});

test('a wrong client secret is an auth failure at once (exit 1, class auth), without starting bwdc', async () => {
  const fx = makeFixture();
  const r = await runCli(['run'], fx.env({ BW_CLIENTSECRET_FILE: undefined, BW_CLIENTSECRET: 'something-else' }));
  assert.equal(r.code, 1);
  const done = lastRun(r.logs);
  assert.equal(done.failureClass, 'auth');
  assert.match(String(done.msg), /invalid_client/);
  assert.equal(fx.records().length, 0, 'no bwdc start');
  assert.equal(done.attempts, 1, 'not retried');
  // The fallback: bwdc login says it.
  fx.control({ clientSecret: 'something-else' });
  const fallback = await runCli(['run'], fx.env({ BWDC_LOGIN: 'bwdc' }));
  assert.equal(fallback.code, 1);
  assert.equal(lastRun(fallback.logs).failureClass, 'auth');
  assert.match(String(lastRun(fallback.logs).msg), /invalid_client/);
});

test('the 401/403 TypeError crash is classed auth, and the next run logs in again', async () => {
  const fx = makeFixture();
  fx.control({ faults: { sync: 'crash-401' }, faultTimes: { sync: 1 } });
  const r = await runCli(['run'], fx.env());
  assert.equal(r.code, 1);
  assert.equal(lastRun(r.logs).failureClass, 'auth');
  const again = await runCli(['run'], fx.env());
  assert.equal(again.code, 0, again.stdout);
});

for (const [fault, cls] of [
  ['network', 'network'],
  ['server-500', 'server'],
  ['ldap-down', 'directory'],
  ['ldap-bind', 'directory'],
  ['error', 'internal'],
] as const) {
  test(`bwdc failing with "${fault}" is class ${cls}, exit 1`, async () => {
    const fx = makeFixture();
    fx.control({ faults: { sync: fault } });
    const r = await runCli(['run'], fx.env());
    assert.equal(r.code, 1);
    assert.equal(lastRun(r.logs).failureClass, cls);
  });
}

test("bwdc's passing network errors are retried; a TLS certificate error is not, and its message says which setting fixes it", async () => {
  for (const message of [
    'getaddrinfo EAI_AGAIN ldap.corp.example',
    'connect ETIMEDOUT 10.0.0.5:636',
    'read ECONNRESET',
  ]) {
    const fx = makeFixture();
    fx.control({ faults: { sync: 'error' }, faultTimes: { sync: 1 }, errorMessage: message });
    const r = await runCli(['run'], fx.env({ BWDC_RETRY_ATTEMPTS: '2', BWDC_RETRY_BACKOFF: '100ms' }));
    assert.equal(r.code, 0, `${message}: ${r.stdout}`);
    assert.equal(lastRun(r.logs).attempts, 2, message);
  }
  const fx = makeFixture();
  fx.control({
    faults: { sync: 'error' },
    errorMessage:
      'request to https://bw.corp.example/api/public/organization/import failed, reason: self-signed certificate',
  });
  const r = await runCli(['run'], fx.env({ BWDC_RETRY_ATTEMPTS: '2', BWDC_RETRY_BACKOFF: '100ms' }));
  // Class config exits 2 wherever it is found, bwdc's reply included (errors.ts exitCodeOf; 1 before issue 36).
  assert.equal(r.code, 2);
  const done = lastRun(r.logs);
  assert.equal(done.attempts, 1, 'not retried');
  assert.equal(done.failureClass, 'config');
  assert.match(String(done.msg), /self-signed certificate \(TLS: .*NODE_EXTRA_CA_CERTS/);
});

test('a transient failure is retried with backoff, an auth failure is not', async () => {
  const fx = makeFixture();
  fx.control({ faults: { sync: 'network' }, faultTimes: { sync: 1 } });
  const r = await runCli(['run'], fx.env({ BWDC_RETRY_ATTEMPTS: '2', BWDC_RETRY_BACKOFF: '100ms' }));
  assert.equal(r.code, 0, r.stdout);
  assert.equal(lastRun(r.logs).attempts, 2);
  assert.ok(r.logs.some((l) => l.msg === 'transient failure, will retry'));

  const fx2 = makeFixture();
  const r2 = await runCli(
    ['run'],
    fx2.env({
      BWDC_RETRY_ATTEMPTS: '2',
      BWDC_RETRY_BACKOFF: '100ms',
      BW_CLIENTSECRET_FILE: undefined,
      BW_CLIENTSECRET: 'other',
    }),
  );
  assert.equal(r2.code, 1);
  assert.equal(lastRun(r2.logs).attempts, 1);
});

test('SIGTERM while a failed attempt waits to retry: the retry does not start, and the run still reports the failure it had', async () => {
  const fx = makeFixture();
  fx.control({ faults: { sync: 'network' } });
  const run = startCli(
    ['run'],
    fx.env({ BWDC_RETRY_ATTEMPTS: '2', BWDC_RETRY_BACKOFF: '2s', BWDC_SHUTDOWN_GRACE: '10s' }),
  );
  await waitFor(() => run.logs().some((l) => l.msg === 'transient failure, will retry'));
  run.kill('SIGTERM');
  const r = await run.done;
  assert.equal(r.code, 143);
  assert.equal(fx.records().filter((c) => c.command === 'sync').length, 1, 'no second attempt after the signal');
  const done = lastRun(r.logs);
  assert.equal(done.outcome, 'failure', 'the run that did reach bwdc is reported, not dropped');
  assert.equal(done.failureClass, 'network');
  assert.equal(JSON.parse(readFileSync(join(fx.stateDir, 'one', 'last-run.json'), 'utf8')).failureClass, 'network');
  assert.equal(r.logs.find((l) => l.msg === 'finished')?.notStarted, 0);
});

test('a configuration error exits 2 and names the variable', async () => {
  const fx = makeFixture();
  const r = await runCli(['run'], fx.env({ BWDC_SCHEDULE: '61 * * * *' }));
  assert.equal(r.code, 2);
  assert.match(r.stderr, /BWDC_SCHEDULE/);
  assert.match(r.stderr, /not a valid cron expression/);
  assert.equal(fx.records().length, 0, 'no bwdc call before the configuration is valid');
});

test('usage errors exit 2: unknown command, unknown flag, unknown instance', async () => {
  const fx = makeFixture();
  for (const args of [['frobnicate'], ['run', '--frob'], ['run', '--instance', 'nope']]) {
    const r = await runCli(args, fx.env());
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.ok(r.stderr.length > 0);
  }
});

test('a secret that cannot be resolved exits 3 and names the reference, not a value', async () => {
  const fx = makeFixture();
  const r = await runCli(['run'], fx.env({ BW_CLIENTSECRET_FILE: join(fx.dir, 'missing') }));
  assert.equal(r.code, 3);
  const done = lastRun(r.logs);
  assert.equal(done.failureClass, 'secret');
  assert.match(String(done.msg), /file:\/\/.*missing: cannot read the file: no such file/);
  assert.equal(fx.records().length, 0);

  const r2 = await runCli(
    ['run'],
    fx.env({ BW_CLIENTSECRET_FILE: undefined, BW_CLIENTSECRET: 'env://NOT_SET_ANYWHERE' }),
  );
  assert.equal(r2.code, 3);
  assert.match(
    String(lastRun(r2.logs).msg),
    /env:\/\/NOT_SET_ANYWHERE: environment variable NOT_SET_ANYWHERE is not set/,
  );
});

test('bwdc missing or not executable exits 4', async () => {
  const fx = makeFixture();
  const r = await runCli(['run'], fx.env({ BWDC_PATH: join(fx.dir, 'no-such-bwdc') }));
  assert.equal(r.code, 4);
  assert.match(String(lastRun(r.logs).msg), /bwdc not found/);
  const notExec = join(fx.dir, 'bwdc');
  writeFileSync(notExec, '#!/bin/sh\n');
  chmodSync(notExec, 0o644);
  const r2 = await runCli(['run'], fx.env({ BWDC_PATH: notExec }));
  assert.equal(r2.code, 4);
  assert.match(String(lastRun(r2.logs).msg), /not executable/);
});

test('two concurrent runs of one instance: one syncs, the other exits 75 and says who holds the lock', async () => {
  const fx = makeFixture();
  fx.control({ faults: { sync: 'slow' }, slowMs: 1500 });
  const first = startCli(['run'], fx.env());
  await waitFor(() => existsSync(join(fx.stateDir, 'one', 'runner.lock')));
  const second = await runCli(['run'], fx.env());
  assert.equal(second.code, 75);
  const skipped = lastRun(second.logs);
  assert.equal(skipped.outcome, 'skipped');
  assert.match(String(skipped.msg), new RegExp(`locked by pid ${first.pid} on `));
  assert.equal((await first.done).code, 0);
});

test('a lock left by a process that died is recovered', async () => {
  const fx = makeFixture();
  mkdirSync(join(fx.stateDir, 'one'), { recursive: true });
  // A pid that cannot be alive: beyond pid_max.
  writeFileSync(
    join(fx.stateDir, 'one', 'runner.lock'),
    JSON.stringify({
      pid: 2 ** 30,
      hostname: (await import('node:os')).hostname(),
      runId: 'dead',
      since: '2026-01-01T00:00:00Z',
    }),
  );
  const r = await runCli(['run'], fx.env());
  assert.equal(r.code, 0, r.stdout);
  assert.ok(r.logs.some((l) => l.msg === 'took over a lock left by a process that died'));
});

test('a hanging bwdc and its grandchild are gone within timeout + grace; class timeout; the next run works', async () => {
  const fx = makeFixture();
  fx.control({ faults: { sync: 'hang-with-child' }, faultTimes: { sync: 1 } });
  const started = Date.now();
  // 3 s: on a loaded machine the double (a Node script) needs over a second to start and spawn its child.
  const r = await runCli(['run'], fx.env({ BWDC_TIMEOUT: '3s' }));
  const elapsed = Date.now() - started;
  assert.equal(r.code, 1);
  assert.equal(lastRun(r.logs).failureClass, 'timeout');
  assert.ok(elapsed < 3000 + 5000 + 3000, `took ${elapsed} ms`);
  const recs = fx.records();
  const sync = recs.find((c) => c.command === 'sync')!;
  const grandchild = recs.find((c) => c.grandchild)!.grandchild!;
  assert.equal(pidAlive(sync.pid), false, 'bwdc is gone');
  assert.equal(pidAlive(grandchild), false, 'the process bwdc spawned is gone too');
  const again = await runCli(['run'], fx.env({ BWDC_TIMEOUT: '10s' }));
  assert.equal(again.code, 0, again.stdout);
});

test('a data.json emptied by bwdc is restored from the backup, and the run reports it', async () => {
  const fx = makeFixture();
  assert.equal((await runCli(['run'], fx.env())).code, 0);
  const before = fx.dataJson();
  fx.control({ faults: { sync: 'empty-datajson' } });
  const r = await runCli(['run'], fx.env());
  assert.equal(r.code, 1);
  const done = lastRun(r.logs);
  assert.equal(done.restoredDataJson, true);
  assert.match(String(done.msg), /restored from the backup/);
  const after = fx.dataJson();
  assert.equal(after.lastSyncHash, before.lastSyncHash, "bwdc's state from the last good run is back");
});

test('bwdc killed with SIGKILL holding its data.json lock: the run fails, the next one works', async () => {
  const fx = makeFixture();
  fx.control({ faults: { sync: 'sigkill' }, faultTimes: { sync: 1 } });
  const r = await runCli(['run'], fx.env());
  assert.equal(r.code, 1);
  assert.match(String(lastRun(r.logs).msg), /killed by SIGKILL/);
  const again = await runCli(['run'], fx.env());
  assert.equal(again.code, 0, again.stdout);
});

test("bwdc's own data.json lock is removed only when stale: a fresh one (a bwdc running outside the runner) is left, and bwdc says ELOCKED", async () => {
  const fx = makeFixture();
  assert.equal((await runCli(['run'], fx.env())).code, 0);
  const lockDir = join(fx.stateDir, 'one', 'data.json.lock');
  mkdirSync(lockDir);
  const busy = await runCli(['run'], fx.env());
  // Class config exits 2 wherever it is found, bwdc's reply included (errors.ts exitCodeOf; 1 before issue 36).
  assert.equal(busy.code, 2, busy.stdout);
  assert.equal(lastRun(busy.logs).failureClass, 'config');
  assert.match(String(lastRun(busy.logs).msg), /ELOCKED/);
  assert.ok(existsSync(lockDir), "someone else's fresh lock is not removed");
  // No refresh for longer than proper-lockfile's 10 s: stale, removed, and the run works.
  const old = new Date(Date.now() - 20_000);
  utimesSync(lockDir, old, old);
  const r = await runCli(['run'], fx.env());
  assert.equal(r.code, 0, r.stdout);
  assert.ok(r.logs.some((l) => /removed a stale bwdc data.json lock/.test(String(l.msg))));
  assert.ok(!existsSync(lockDir));
});

test('an unchanged template keeps bwdc state; a changed one re-seeds it', async () => {
  const fx = makeFixture();
  fx.control({ apiHttp: true }); // bwdc's unchanged-check works through the import gate (docs/guard-rails.md)
  assert.equal((await runCli(['run'], fx.env())).code, 0);
  const second = await runCli(['run'], fx.env());
  assert.equal(lastRun(second.logs).msg, 'Synced 0 group(s) and 0 user(s).', 'the hash from the first sync survived');
  assert.ok(!second.logs.some((l) => l.msg === 'data.json seeded from the template'));

  writeFileSync(
    fx.templatePath,
    JSON.stringify({ ...ldapTemplate, sync: { ...ldapTemplate.sync, removeDisabled: true } }),
  );
  const third = await runCli(['run'], fx.env());
  const seeded = third.logs.find((l) => l.msg === 'data.json seeded from the template');
  assert.equal(seeded?.reason, 'template changed');
  assert.equal(lastRun(third.logs).msg, 'Synced 2 group(s) and 3 user(s).', 're-seeded state means a full sync');
});

test('SIGTERM during a hanging sync: bwdc is stopped after the grace, state intact, exit 143', async () => {
  const fx = makeFixture();
  assert.equal((await runCli(['run'], fx.env())).code, 0);
  const good = readFileSync(join(fx.stateDir, 'one', 'data.json'), 'utf8');
  fx.control({ faults: { sync: 'hang' } });
  const run = startCli(['run'], fx.env({ BWDC_SHUTDOWN_GRACE: '500ms', BWDC_TIMEOUT: '1m' }));
  await waitFor(() => fx.records().filter((c) => c.command === 'sync').length === 2);
  run.kill('SIGTERM');
  const r = await run.done;
  assert.equal(r.code, 143);
  const sync = fx
    .records()
    .filter((c) => c.command === 'sync')
    .at(-1)!;
  assert.equal(pidAlive(sync.pid), false);
  assert.equal(readFileSync(join(fx.stateDir, 'one', 'data.json'), 'utf8'), good);
  assert.equal(existsSync(join(fx.stateDir, 'one', 'runner.lock')), false, 'the lock is released');
});

test('concurrency 1, SIGTERM while one instance is in bwdc: the prepared next one never starts bwdc, keeps no lock and records no run', async () => {
  const fx = makeFixture();
  const cfg = join(fx.dir, 'config.yaml');
  writeFileSync(
    cfg,
    [
      'concurrency: 1',
      'defaults:',
      `  clientId: ${CLIENT_ID}`,
      `  clientSecret: file://${fx.secretPath}`,
      `  directorySecret: file://${fx.dirSecretPath}`,
      'instances:',
      ...['first', 'second', 'third'].map((n) => `  - { name: ${n}, dataJson: ${fx.templatePath} }`),
    ].join('\n'),
  );
  fx.control({ faults: { sync: 'hang' } });
  const env = fx.env({
    BWDC_INSTANCE: undefined,
    BWDC_DATA_JSON: undefined,
    BW_CLIENTID: undefined,
    BW_CLIENTSECRET_FILE: undefined,
    BWDC_DIRECTORY_SECRET_FILE: undefined,
    BWDC_SHUTDOWN_GRACE: '300ms',
    BWDC_TIMEOUT: '1m',
  });
  const run = startCli(['run', '--config', cfg], env);
  await waitFor(() => fx.records().some((c) => c.command === 'sync'));
  // "first" and "second" were admitted together; whichever finished preparing first is in bwdc, the
  // other one is prepared (its lock and seeded data.json exist) and waits for the bwdc slot.
  const inBwdc = basename(fx.records()[0]!.env.BITWARDENCLI_CONNECTOR_APPDATA_DIR!);
  const waiting = inBwdc === 'first' ? 'second' : 'first';
  await waitFor(() => run.logs().some((l) => l.instance === waiting && l.msg === 'data.json seeded from the template'));
  run.kill('SIGTERM');
  const r = await run.done;
  assert.equal(r.code, 143);
  assert.deepEqual(
    [...new Set(fx.records().map((c) => basename(c.env.BITWARDENCLI_CONNECTOR_APPDATA_DIR!)))],
    [inBwdc],
    'one instance ever ran bwdc',
  );
  assert.ok(r.logs.some((l) => l.instance === waiting && l.msg === 'not started: the runner is stopping'));
  assert.ok(!r.logs.some((l) => l.instance === waiting && l.outcome), 'no outcome for a run that never reached bwdc');
  assert.equal(existsSync(join(fx.stateDir, waiting, 'runner.lock')), false, 'its lock is released');
  assert.equal(existsSync(join(fx.stateDir, waiting, 'last-run.json')), false, 'no run recorded');
  assert.equal(existsSync(join(fx.stateDir, 'third')), false, '"third" was never admitted');
  assert.equal(r.logs.find((l) => l.msg === 'finished')?.notStarted, 2);
});

test('SIGINT exits 130', async () => {
  const fx = makeFixture();
  fx.control({ faults: { sync: 'hang' } });
  const run = startCli(['run'], fx.env({ BWDC_SHUTDOWN_GRACE: '200ms' }));
  await waitFor(() => fx.records().some((c) => c.command === 'sync'));
  run.kill('SIGINT');
  assert.equal((await run.done).code, 130);
});

test('test: a dry run reports counts (and the lists with --verbose) and never calls sync', async () => {
  const fx = makeFixture();
  fx.control({ users: 5, groups: 3 });
  const r = await runCli(['test', '--verbose'], fx.env());
  assert.equal(r.code, 0, r.stdout);
  const done = lastRun(r.logs);
  assert.equal(done.users, 5);
  assert.equal(done.groups, 3);
  const report = r.logs.find((l) => l.msg === 'test report')!.report as { enabledUsers: unknown[] };
  assert.equal(report.enabledUsers.length, 5);
  assert.ok(!fx.records().some((c) => c.command === 'sync'));
});

test("a 50 MB flood of bwdc output: the run works and the runner's memory stays bounded", async () => {
  const fx = makeFixture();
  fx.control({ faults: { sync: 'flood' }, floodBytes: 50 * 1024 * 1024 });
  const run = startCli(['run'], fx.env());
  let peakKb = 0;
  const sampler = setInterval(() => {
    try {
      peakKb = Math.max(peakKb, Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${run.pid}/status`, 'utf8'))![1]));
    } catch {
      /* exited */
    }
  }, 20);
  const r = await run.done;
  clearInterval(sampler);
  // The flood precedes a normal response line, which is kept in the captured tail.
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.stdout.length < 1024 * 1024, `runner printed ${r.stdout.length} bytes`);
  assert.ok(
    peakKb > 0 && peakKb < 150 * 1024,
    `runner peak RSS ${Math.round(peakKb / 1024)} MB while bwdc printed 50 MB`,
  );
});

test('one instance failing or hanging does not stop the others; the exit code says a sync failed', async () => {
  const fx = makeFixture();
  const cfg = join(fx.dir, 'config.yaml');
  writeFileSync(
    cfg,
    [
      'defaults:',
      `  clientId: ${CLIENT_ID}`,
      `  clientSecret: file://${fx.secretPath}`,
      `  directorySecret: file://${fx.dirSecretPath}`,
      '  timeout: 2m',
      'instances:',
      // Only the hanging one has a short timeout: a loaded machine must not time out the good ones.
      ...['good-1', 'hangs', 'fails', 'good-2'].map(
        (n) => `  - { name: ${n}, dataJson: ${fx.templatePath}${n === 'hangs' ? ', timeout: 1s' : ''} }`,
      ),
    ].join('\n'),
  );
  fx.control({ instanceFaults: { hangs: { sync: 'hang' }, fails: { sync: 'error' } } });
  const r = await runCli(
    ['run', '--config', cfg],
    fx.env({
      BWDC_INSTANCE: undefined,
      BWDC_DATA_JSON: undefined,
      BW_CLIENTID: undefined,
      BW_CLIENTSECRET_FILE: undefined,
      BWDC_DIRECTORY_SECRET_FILE: undefined,
    }),
  );
  assert.equal(r.code, 1);
  const outcome = (n: string) => r.logs.find((l) => l.instance === n && l.outcome)!;
  assert.equal(outcome('good-1').outcome, 'success');
  assert.equal(outcome('good-2').outcome, 'success');
  assert.equal(outcome('hangs').failureClass, 'timeout');
  assert.equal(outcome('fails').failureClass, 'internal');
});

test("bwdc runs at nice 10 by default (the runner keeps its own priority); BWDC_NICE=0 runs it at the runner's", async () => {
  const niceOf = (pid: number) => Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[16]);
  for (const [setting, expected] of [
    [undefined, 10],
    ['0', 0],
    ['19', 19],
  ] as const) {
    const fx = makeFixture();
    fx.control({ faults: { sync: 'hang' } });
    const run = startCli(['run'], fx.env({ BWDC_TIMEOUT: '20s', BWDC_SHUTDOWN_GRACE: '200ms', BWDC_NICE: setting }));
    await waitFor(() => fx.records().some((c) => c.command === 'sync'));
    const sync = fx.records().find((c) => c.command === 'sync')!;
    await waitFor(() => niceOf(sync.pid) === expected, 5000).catch(() => {});
    assert.equal(niceOf(sync.pid), expected, `BWDC_NICE=${setting}`);
    assert.equal(niceOf(run.pid), 0, 'the runner itself is not reniced');
    run.kill('SIGTERM');
    await run.done;
  }
  const fx = makeFixture();
  const bad = await runCli(['run'], fx.env({ BWDC_NICE: '-5' }));
  assert.equal(bad.code, 2);
  assert.match(bad.stderr + bad.stdout, /BWDC_NICE.*a whole number from 0 to 19/);
});

test("no secret in bwdc's argv as the kernel sees it (/proc/<pid>/cmdline), while it runs", async () => {
  const fx = makeFixture();
  fx.control({ faults: { sync: 'hang' } });
  const run = startCli(['run'], fx.env({ BWDC_TIMEOUT: '20s' }));
  await waitFor(() => fx.records().some((c) => c.command === 'sync'));
  let inspected = 0;
  for (const c of fx.records()) {
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${c.pid}/cmdline`, 'utf8');
    } catch {
      continue; // login and config have exited
    }
    assert.ok(cmdline.includes('sync'), cmdline);
    assertNoCanary('/proc/<pid>/cmdline', cmdline);
    inspected++;
  }
  assert.equal(
    inspected,
    1,
    'the hanging sync was inspected while it ran (a check that saw no process proves nothing)',
  );
  const runnerCmdline = readFileSync(`/proc/${run.pid}/cmdline`, 'utf8');
  assertNoCanary('runner /proc/<pid>/cmdline', runnerCmdline);
  run.kill('SIGTERM');
  await run.done;
});

test('--version prints the runner and bwdc versions', async () => {
  const fx = makeFixture();
  const r = await runCli(['--version'], fx.env());
  assert.equal(r.code, 0);
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  assert.match(r.stdout, new RegExp(`^bwdc-runner ${pkg.version}\nbwdc 2026.6.1\n$`));
});

test('--help prints usage with the exit codes', async () => {
  const r = await runCli(['--help'], { PATH: process.env.PATH! });
  assert.equal(r.code, 0);
  assert.match(r.stdout, /Usage: bwdc-runner/);
  assert.match(r.stdout, /75 skipped/);
});

test('a sync stopped by SIGTERM is reported as interrupted, not as a failure; last-run.json says so and keeps the last success', async () => {
  const fx = makeFixture();
  assert.equal((await runCli(['run'], fx.env())).code, 0);
  const firstSuccess = JSON.parse(readFileSync(join(fx.stateDir, 'one', 'last-run.json'), 'utf8')).lastSuccessAt;
  fx.control({ faults: { sync: 'hang' } });
  const run = startCli(['run'], fx.env({ BWDC_SHUTDOWN_GRACE: '200ms', BWDC_TIMEOUT: '1m' }));
  await waitFor(() => fx.records().filter((c) => c.command === 'sync').length === 2);
  run.kill('SIGTERM');
  const r = await run.done;
  assert.equal(r.code, 143);
  const done = lastRun(r.logs);
  assert.equal(done.outcome, 'interrupted');
  assert.equal(done.failureClass, undefined, 'no failure class: the sync did not fail');
  assert.match(String(done.msg), /^interrupted by shutdown: sync: bwdc sync was stopped by shutdown/);
  const last = JSON.parse(readFileSync(join(fx.stateDir, 'one', 'last-run.json'), 'utf8'));
  assert.equal(last.outcome, 'interrupted');
  assert.equal(last.lastSuccessAt, firstSuccess);
});

test('a dry run (test) records no success: last-run.json and the last success stay as the last sync left them', async () => {
  const fx = makeFixture();
  assert.equal((await runCli(['test'], fx.env())).code, 0);
  assert.equal(existsSync(join(fx.stateDir, 'one', 'last-run.json')), false, 'a test before any sync records nothing');
  fx.control({ faults: { sync: 'ldap-down' } });
  assert.equal((await runCli(['run'], fx.env())).code, 1);
  const afterFailure = readFileSync(join(fx.stateDir, 'one', 'last-run.json'), 'utf8');
  fx.control({});
  const t = await runCli(['test'], fx.env());
  assert.equal(t.code, 0);
  assert.equal(
    readFileSync(join(fx.stateDir, 'one', 'last-run.json'), 'utf8'),
    afterFailure,
    'the failed sync is still the last run',
  );
  assert.equal(JSON.parse(afterFailure).lastSuccessAt, undefined);
});

test('a bwdc that cannot run (missing library, wrong binary, not bwdc at all) is exit 4, as check says, never a sync failure', async () => {
  const fx = makeFixture();
  const dir = join(fx.dir, 'bins');
  mkdirSync(dir);
  const loader = join(dir, 'bwdc-missing-lib');
  writeFileSync(
    loader,
    '#!/bin/sh\necho "bwdc: error while loading shared libraries: libsecret-1.so.0: cannot open shared object file: No such file or directory" >&2\nexit 127\n',
  );
  const glibc = join(dir, 'bwdc-old-glibc');
  writeFileSync(
    glibc,
    '#!/bin/sh\necho "bwdc: /lib/x86_64-linux-gnu/libc.so.6: version \\`GLIBC_2.39\' not found (required by bwdc)" >&2\nexit 1\n',
  );
  const garbage = join(dir, 'bwdc-garbage');
  writeFileSync(garbage, 'this is not a program\n');
  for (const p of [loader, glibc, garbage]) chmodSync(p, 0o755);
  for (const [bin, why] of [
    [loader, /error while loading shared libraries/],
    [glibc, /GLIBC_2\.39/],
    [garbage, /cannot run \(exit 127\)/],
    ['/bin/true', /printed no --response JSON/],
  ] as const) {
    const r = await runCli(['run'], fx.env({ BWDC_PATH: bin }));
    assert.equal(r.code, 4, `${bin}: ${r.stdout}`);
    const done = lastRun(r.logs);
    assert.match(String(done.msg), why);
    assert.equal(done.failureClass, 'internal');
  }
});

test("BWDC_PASS_ENV=* never passes the runner's credentials (Vault token, AWS keys, the API key) nor any variable holding a resolved secret", async () => {
  const fx = makeFixture();
  const r = await runCli(
    ['run'],
    fx.env({
      BWDC_PASS_ENV: '*',
      VAULT_TOKEN: 'canary-vault-token-1234',
      VAULT_APPROLE_SECRET_ID: 'canary-approle-5678',
      AWS_ACCESS_KEY_ID: 'AKIACANARY',
      AWS_SECRET_ACCESS_KEY: 'canary-aws-secret-9012',
      AWS_SESSION_TOKEN: 'canary-aws-session-3456',
      BW_CLIENTSECRET_FILE: undefined,
      BW_CLIENTSECRET: CANARY_CLIENT_SECRET,
      SOME_COPY_OF_IT: CANARY_DIRECTORY_SECRET,
      HARMLESS_SETTING: 'kept',
    }),
  );
  assert.equal(r.code, 0, r.stdout);
  const calls = fx.records();
  assert.equal(calls.length, 1);
  for (const c of calls) {
    for (const name of [
      'VAULT_TOKEN',
      'VAULT_APPROLE_SECRET_ID',
      'AWS_ACCESS_KEY_ID',
      'AWS_SECRET_ACCESS_KEY',
      'AWS_SESSION_TOKEN',
      'SOME_COPY_OF_IT',
    ]) {
      assert.equal(c.env[name], undefined, `${c.command} got ${name}`);
    }
    assert.equal(c.env.HARMLESS_SETTING, 'kept', '* still passes everything else');
    // The API key reaches login alone, the directory secret config alone: through their own variables.
    if (c.command !== 'login') assert.equal(c.env.BW_CLIENTSECRET, undefined, `${c.command} got the API key`);
    if (c.command === 'sync') assertNoCanary('sync environment', JSON.stringify(c.env));
  }
});

test('bwdc runs under umask 077: its temporary-file-and-rename writes of data.json (secrets inside) stay 0600 even when the runner is started under 022', async () => {
  const fx = makeFixture();
  // Started the way a shell with the usual umask starts it.
  const r = await new Promise<{ code: number | null; out: string }>((resolve) => {
    const c = spawn('/bin/sh', ['-c', `umask 022; exec "${process.execPath}" "${binPath}" run`], { env: fx.env() });
    let out = '';
    c.stdout.on('data', (d) => (out += d));
    c.on('close', (code) => resolve({ code, out }));
  });
  assert.equal(r.code, 0, r.out);
  const calls = fx.records();
  assert.ok(calls.length >= 1);
  for (const c of calls) assert.equal(c.umask, '0077', `bwdc ${c.command} ran with umask ${c.umask}`);
  // The double writes as bwdc does (a rename): under 022 its file would be 0644.
  const app = mkdtempSync(join(tmpdir(), 'bwdc-runner-umask-'));
  const d = spawnSync('/bin/sh', ['-c', `umask 022; exec "${doublePath}" --version`], {
    env: { PATH: process.env.PATH!, BITWARDENCLI_CONNECTOR_APPDATA_DIR: app },
  });
  assert.equal(d.status, 0);
  assert.equal(statSync(join(app, 'data.json')).mode & 0o777, 0o644, 'the double reproduces bwdc under 022');
});
