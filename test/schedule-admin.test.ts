// `schedule` for operators (docs/operations.md), as a real process: a pause made with the CLI while it runs
// skips the instance from its next tick; /status and bwdc_runner_paused show it; the admin endpoints
// (pause, resume, run now) with no, a wrong and the right token, a rotated token, no token file at all;
// the history over HTTP.
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { makeFixture, runCli, startCli, waitFor, type CliRun, type Fixture } from './helpers/fixture.js';
import { setup } from './helpers/plan-setup.js';

const live: CliRun[] = [];
afterEach(() => {
  for (const r of live.splice(0)) r.kill('SIGKILL');
});

const TOKEN = 'admin-canary-T0ken-5a9f1c2e7b';

function start(fx: Fixture, cfg: string, extra: Record<string, string> = {}): CliRun {
  const r = startCli(
    ['schedule', '--config', cfg],
    fx.fileEnv({ BWDC_HTTP_PORT: '0', BWDC_HTTP_HOST: '127.0.0.1', ...extra }),
  );
  live.push(r);
  return r;
}

async function portOf(run: CliRun): Promise<number> {
  await waitFor(() => run.logs().some((l) => l.port !== undefined), 60_000);
  return run.logs().find((l) => l.port !== undefined)!.port as number;
}

async function call(port: number, method: string, path: string, token?: string, body?: unknown) {
  const r = await fetch(`http://127.0.0.1:${port}${path}`, {
    method,
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  return { status: r.status, text, json: () => JSON.parse(text) as Record<string, unknown> };
}

async function until(cond: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('until: condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

const metric = async (port: number, line: string) => {
  const text = (await call(port, 'GET', '/metrics')).text;
  const m = new RegExp(`^${line.replace(/[{}"]/g, (c) => `\\${c}`)} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
};

type Status = { instances: Array<{ directory: string; paused: { by: string; reason: string } | null }> };

test('a CLI pause skips the instance from the next tick without a restart; /status and bwdc_runner_paused show it; resume', async () => {
  const fx = makeFixture();
  const cfg = fx.writeConfig([{ name: 'a', schedule: '* * * * * *' }]);
  const run = start(fx, cfg);
  const port = await portOf(run);
  const skipped = 'bwdc_runner_runs_total{directory="a",outcome="skipped"}';
  const succeeded = 'bwdc_runner_runs_total{directory="a",outcome="success"}';
  await until(async () => ((await metric(port, succeeded)) ?? 0) >= 1, 30_000);
  assert.equal(await metric(port, 'bwdc_runner_paused{directory="a"}'), 0);

  const p = await runCli(['pause', 'a', '--reason', 'maintenance', '-c', cfg], fx.fileEnv({ USER: 'carol' }));
  assert.equal(p.code, 0, p.stderr);
  await until(async () => ((await metric(port, skipped)) ?? 0) >= 2, 30_000);
  const before = await metric(port, succeeded);
  await new Promise((r) => setTimeout(r, 2500));
  assert.equal(await metric(port, succeeded), before, 'no sync while paused');
  // /status and the gauge follow within the re-read interval (15 s).
  await until(async () => (await metric(port, 'bwdc_runner_paused{directory="a"}')) === 1, 30_000);
  const status = (await call(port, 'GET', '/status')).json() as unknown as Status;
  assert.match(status.instances[0]!.paused!.by, /^carol@/);
  assert.equal(status.instances[0]!.paused!.reason, 'maintenance');

  assert.equal((await runCli(['resume', 'a', '-c', cfg], fx.fileEnv())).code, 0);
  await until(async () => ((await metric(port, succeeded)) ?? 0) > before!, 30_000);
  run.kill('SIGTERM');
  assert.equal((await run.done).code, 0);
});

test('admin endpoints: no, a wrong and the right token; pause, resume, run now within the limit; a rotated token; history over HTTP', async () => {
  const fx = makeFixture();
  const tokenFile = join(fx.dir, 'admin-token');
  writeFileSync(tokenFile, `${TOKEN}\n`, { mode: 0o600 });
  const cfg = fx.writeConfig([{ name: 'b', schedule: '0 0 1 1 *' }]);
  const run = start(fx, cfg, { BWDC_ADMIN_TOKEN_FILE: tokenFile });
  const port = await portOf(run);
  const pauseFile = join(fx.stateDir, 'b', 'pause.json');

  assert.equal((await call(port, 'POST', '/instances/b/pause')).status, 401, 'no token');
  assert.equal((await call(port, 'POST', '/instances/b/pause', 'wrong-token-wrong-token')).status, 401);
  assert.equal(existsSync(pauseFile), false, 'a refused call changes nothing');

  const paused = await call(port, 'POST', '/instances/b/pause', TOKEN, { reason: 'AD migration' });
  assert.equal(paused.status, 200, paused.text);
  assert.ok(existsSync(pauseFile));
  assert.equal(await metric(port, 'bwdc_runner_paused{directory="b"}'), 1, 'at once after the call');
  assert.equal((await call(port, 'POST', '/instances/b/run', TOKEN)).status, 409, 'paused: no run now');
  assert.equal((await call(port, 'POST', '/instances/nobody/pause', TOKEN)).status, 404);

  const resumed = await call(port, 'POST', '/instances/b/resume', TOKEN);
  assert.equal(resumed.status, 200, resumed.text);
  assert.equal(resumed.json().resumed, true);
  const now = await call(port, 'POST', '/instances/b/run', TOKEN);
  assert.equal(now.status, 202, now.text);
  const ok = 'bwdc_runner_runs_total{directory="b",outcome="success"}';
  await until(async () => (await metric(port, ok)) === 1, 30_000);

  const history = (await call(port, 'GET', '/instances/b/history')).json() as {
    entries: Array<{ kind: string; by?: string }>;
  };
  assert.deepEqual(
    history.entries.map((e) => e.kind),
    ['pause', 'resume', 'sync'],
  );
  assert.match(history.entries[0]!.by!, /^admin API \(127\.0\.0\.1\)$/);
  assert.equal((await call(port, 'GET', '/instances/nobody/history')).status, 404);

  // A rotated Secret: the new token works at once, the old one no longer does.
  writeFileSync(tokenFile, 'rotated-T0ken-0123456789abcdef\n');
  assert.equal((await call(port, 'POST', '/instances/b/pause', TOKEN)).status, 401);
  assert.equal((await call(port, 'POST', '/instances/b/pause', 'rotated-T0ken-0123456789abcdef')).status, 200);

  run.kill('SIGTERM');
  const done = await run.done;
  const calls = run.logs().filter((l) => l.admin !== undefined);
  assert.ok(
    calls.some((l) => l.admin === 'pause' && /AD migration/.test(String(l.msg))),
    'each call is logged',
  );
  assert.ok(!done.stdout.includes(TOKEN) && !done.stderr.includes(TOKEN), 'the token is never logged');
  assert.ok(!done.stdout.includes('rotated-T0ken'), 'nor the rotated one');
});

test('without BWDC_ADMIN_TOKEN_FILE the admin endpoints do not exist', async () => {
  const fx = makeFixture();
  const cfg = fx.writeConfig([{ name: 'c', schedule: '0 0 1 1 *' }]);
  const run = start(fx, cfg);
  const port = await portOf(run);
  assert.equal((await call(port, 'POST', '/instances/c/pause', TOKEN)).status, 404);
  assert.equal(existsSync(join(fx.stateDir, 'c', 'pause.json')), false);
  assert.equal((await call(port, 'GET', '/instances/c/history')).status, 200);
});

test('approve over HTTP: a refused plan (its id and rules in the history) approved by POST /instances/NAME/approve; the run now passes on it, and the history says so', async () => {
  const users = Array.from({ length: 3 }, (_, i) => ({
    externalId: `u${i}`,
    email: `u${i}@corp.example`,
    deleted: true,
  }));
  const live1 = { externalId: 'live', email: 'live@corp.example' };
  const s = setup({
    users: [...users, live1],
    guard: { maxRemovals: 1 },
    org: (org) => users.forEach((u) => org.addMember({ email: u.email, externalId: u.externalId })),
  });
  const refused = await s.cli(['run']);
  assert.equal(refused.code, 1, refused.stdout);
  const history = () =>
    runCliJson(s, ['history', '--json']).then(
      (h) => (h as { instances: Array<{ entries: Array<Record<string, any>> }> }).instances[0]!.entries,
    );
  const [entry] = await history();
  assert.deepEqual(entry!.refused.rules, ['maxRemovals']);
  const planId = entry!.refused.planId as string;
  assert.match(planId, /^[0-9a-f]{10}$/);
  assert.deepEqual(
    entry!.changes.removed.map((r: { email: string; reason: string }) => `${r.email} ${r.reason}`).sort(),
    ['u0@corp.example deleted', 'u1@corp.example deleted', 'u2@corp.example deleted'],
  );

  const tokenFile = join(s.fx.dir, 'admin-token');
  writeFileSync(tokenFile, TOKEN, { mode: 0o600 });
  const cfg = join(s.fx.dir, 'config.yaml');
  writeFileSync(cfg, readFileSync(cfg, 'utf8').replace('"name":"corp"', '"name":"corp","schedule":"0 0 1 1 *"'));
  const run = startCli(
    ['schedule', '-c', cfg],
    s.fx.fileEnv({ BWDC_HTTP_PORT: '0', BWDC_HTTP_HOST: '127.0.0.1', BWDC_ADMIN_TOKEN_FILE: tokenFile }),
  );
  live.push(run);
  const port = await portOf(run);
  assert.equal((await call(port, 'POST', '/instances/corp/approve', 'x'.repeat(20), { planId })).status, 401);
  assert.equal((await call(port, 'POST', '/instances/corp/approve', TOKEN, { planId: 'nonsense' })).status, 400);
  assert.equal((await call(port, 'POST', '/instances/corp/approve', TOKEN, { planId: '0123456789' })).status, 404);
  const approved = await call(port, 'POST', '/instances/corp/approve', TOKEN, { planId });
  assert.equal(approved.status, 200, approved.text);
  assert.equal((await call(port, 'POST', '/instances/corp/run', TOKEN)).status, 202);
  await until(
    async () => (await metric(port, 'bwdc_runner_runs_total{directory="corp",outcome="success"}')) === 1,
    30_000,
  );
  assert.deepEqual(
    s.org.members.map((m) => m.email),
    ['live@corp.example'],
    'the approved removals went through',
  );
  const entries = await history();
  assert.deepEqual(
    entries.map((e) => e.kind),
    ['sync', 'approve', 'sync'],
  );
  assert.equal(entries[1]!.planId, planId);
  assert.deepEqual(entries[2]!.approval, { planId, by: 'admin API (127.0.0.1)' });
  assert.equal(entries[2]!.disposition, 'applied');
});

async function runCliJson(s: ReturnType<typeof setup>, args: string[]): Promise<unknown> {
  const r = await s.cli(args);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

test('quarantine in schedule: failures in a row pause the instance (shown at once in /status and the gauge), its ticks are skipped; resume over HTTP runs it again', async () => {
  const fx = makeFixture();
  const tokenFile = join(fx.dir, 'admin-token');
  writeFileSync(tokenFile, TOKEN, { mode: 0o600 });
  const badClient = `organization.${randomUUID()}`; // unknown to the server: every run fails, class auth
  const cfg = fx.writeConfig([
    { name: 'q', schedule: '* * * * * *', clientId: badClient, retry: { attempts: 0 }, quarantineAfter: 2 },
  ]);
  const run = start(fx, cfg, { BWDC_ADMIN_TOKEN_FILE: tokenFile });
  const port = await portOf(run);
  await until(async () => (await metric(port, 'bwdc_runner_paused{directory="q"}')) === 1, 30_000);
  const failures = await metric(port, 'bwdc_runner_runs_total{directory="q",outcome="failure"}');
  assert.equal(failures, 2, 'quarantined at the second failure in a row');
  const status = (await call(port, 'GET', '/status')).json() as unknown as {
    instances: Array<{ paused: { by: string; reason: string; quarantined: boolean } }>;
  };
  assert.equal(status.instances[0]!.paused.quarantined, true);
  assert.match(status.instances[0]!.paused.reason, /^quarantined after 2 failures in a row \(last: class auth: /);
  await until(
    async () => ((await metric(port, 'bwdc_runner_runs_total{directory="q",outcome="skipped"}')) ?? 0) >= 2,
    30_000,
  );
  assert.equal(
    await metric(port, 'bwdc_runner_runs_total{directory="q",outcome="failure"}'),
    2,
    'no run while quarantined',
  );

  assert.equal((await call(port, 'POST', '/instances/q/resume', TOKEN)).status, 200);
  assert.equal(await metric(port, 'bwdc_runner_paused{directory="q"}'), 0);
  await until(
    async () => ((await metric(port, 'bwdc_runner_runs_total{directory="q",outcome="failure"}')) ?? 0) >= 3,
    30_000,
  );
});
