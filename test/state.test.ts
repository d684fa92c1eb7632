// The state folder: lock (in-process, on disk, takeover of a dead holder's lock), seeding,
// atomic writes that survive a full disk, backup and restore.
import { test } from 'node:test';
import { spawn, type ChildProcess } from 'node:child_process';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync, utimesSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireLock } from '../src/state/lock.js';
import { InstanceState } from '../src/state/instance-state.js';
import { writeFileAtomic } from '../src/state/atomic.js';
import { LockedError } from '../src/errors.js';
import { wipeSecrets, setServer } from '../src/bwdc/directory.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'bwdc-runner-state-'));
const contender = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, 'helpers', 'lock-contender.ts');

test('a second lock in the same process is refused; after release it is free', async () => {
  const p = join(tmp(), 'runner.lock');
  const a = await acquireLock(p, { runId: 'a' });
  await assert.rejects(
    acquireLock(p, { runId: 'b' }),
    (e: Error) => e instanceof LockedError && /run a in this process/.test(e.message),
  );
  await a.release();
  assert.equal(existsSync(p), false);
  const c = await acquireLock(p, { runId: 'c' });
  await c.release();
});

test('a lock held by a live process elsewhere is refused and names it', async () => {
  const p = join(tmp(), 'runner.lock');
  writeFileSync(p, JSON.stringify({ pid: process.ppid, hostname: hostname(), runId: 'other', since: 'then' }));
  await assert.rejects(
    acquireLock(p, { runId: 'me' }),
    new RegExp(`locked by pid ${process.ppid} on ${hostname()} \\(run other`),
  );
});

test("a dead holder's lock on this host is taken over", async () => {
  const p = join(tmp(), 'runner.lock');
  writeFileSync(p, JSON.stringify({ pid: 2 ** 30, hostname: hostname(), runId: 'dead', since: 'then' }));
  const h = await acquireLock(p, { runId: 'me' });
  assert.equal(h.recoveredFrom?.runId, 'dead');
  assert.equal(JSON.parse(readFileSync(p, 'utf8')).runId, 'me');
  await h.release();
});

test('a holder on another host that stopped refreshing the lock is taken over; a fresh one is not', async () => {
  const p = join(tmp(), 'runner.lock');
  writeFileSync(p, JSON.stringify({ pid: 1, hostname: 'other-pod', runId: 'far', since: 'then' }));
  await assert.rejects(acquireLock(p, { runId: 'me', staleMs: 60_000 }), LockedError);
  const old = new Date(Date.now() - 120_000);
  utimesSync(p, old, old);
  const h = await acquireLock(p, { runId: 'me', staleMs: 60_000 });
  assert.equal(h.recoveredFrom?.hostname, 'other-pod');
  await h.release();
});

test('the holder refreshes the lock file (heartbeat) while it runs', async () => {
  const p = join(tmp(), 'runner.lock');
  const h = await acquireLock(p, { runId: 'me', staleMs: 400, heartbeatMs: 50 });
  const old = new Date(Date.now() - 10_000);
  utimesSync(p, old, old);
  await new Promise((r) => setTimeout(r, 150));
  const { mtimeMs } = (await import('node:fs')).statSync(p);
  assert.ok(Date.now() - mtimeMs < 1000, 'mtime refreshed');
  await h.release();
});

test('seed: first run copies the template; unchanged keeps state; changed re-seeds; broken re-seeds', async () => {
  const s = await InstanceState.open(tmp(), 'i');
  assert.equal((await s.seed('{"a":1}', 'h1')).seeded, 'first run');
  writeFileSync(s.dataJsonPath, '{"a":1,"lastSyncHash":"kept"}');
  assert.equal((await s.seed('{"a":1}', 'h1')).seeded, undefined);
  assert.match(readFileSync(s.dataJsonPath, 'utf8'), /kept/);
  assert.equal((await s.seed('{"a":2}', 'h2')).seeded, 'template changed');
  assert.equal(readFileSync(s.dataJsonPath, 'utf8'), '{"a":2}');
  writeFileSync(s.dataJsonPath, '');
  assert.equal((await s.seed('{"a":2}', 'h2')).seeded, 'data.json was unusable');
});

test('restoreIfBroken puts the backup back only when data.json is empty or unparsable', async () => {
  const s = await InstanceState.open(tmp(), 'i');
  await s.seed('{"good":true}', 'h');
  await s.backup();
  assert.equal((await s.restoreIfBroken()).restored, false);
  writeFileSync(s.dataJsonPath, '{"trunc');
  const r = await s.restoreIfBroken();
  assert.equal(r.restored, true);
  assert.equal(readFileSync(s.dataJsonPath, 'utf8'), '{"good":true}');
});

test('an atomic write that fails midway leaves the old file and no temporary behind', async () => {
  const d = tmp();
  const p = join(d, 'data.json');
  writeFileSync(p, 'old');
  // Data the write cannot take makes writeFile throw after the temporary file exists, the same
  // path a full disk (ENOSPC) takes.
  const full = { [Symbol.iterator]: undefined } as unknown as Uint8Array;
  await assert.rejects(writeFileAtomic(p, full));
  assert.equal(readFileSync(p, 'utf8'), 'old');
  assert.deepEqual(readdirSync(d), ['data.json']);
});

test('wipeSecrets removes the session and the managed directory secret, at any depth', () => {
  const data = {
    accessToken: 't',
    refreshToken: 'r',
    apiKeyClientId: 'id',
    apiKeyClientSecret: 's',
    directoryLdap: { hostname: 'h', password: 'pw' },
    directoryOkta: { token: 'keep' },
    nested: { org: { accessToken: 'old-layout' } },
  };
  assert.equal(wipeSecrets(data, 0), true);
  assert.deepEqual(data, { directoryLdap: { hostname: 'h' }, directoryOkta: { token: 'keep' }, nested: { org: {} } });
  assert.equal(wipeSecrets(data, 0), false, 'nothing left: no write needed');
});

test('setServer writes environmentUrls the way `bwdc config server` does', () => {
  const d: Record<string, unknown> = {};
  assert.equal(setServer(d, 'https://vault.bitwarden.eu'), true);
  assert.equal((d.environmentUrls as { base: string }).base, 'https://vault.bitwarden.eu');
  assert.equal(setServer(d, 'https://vault.bitwarden.eu'), false);
  assert.equal(setServer(d, ''), true);
  assert.equal((d.environmentUrls as { base: string | null }).base, null);
});

test('processes racing to take over one dead holder\'s lock: exactly one wins each round, the others are told "locked"', async () => {
  const dir = tmp();
  const rounds = 400;
  const processes = 4;
  // Above any pid_max, so never reused by another process while the test runs.
  const dead = 2 ** 30;
  for (let r = 0; r < rounds; r++)
    writeFileSync(
      join(dir, `lock-${r}`),
      JSON.stringify({ pid: dead, hostname: hostname(), runId: `dead-${r}`, since: 'then' }),
    );
  const go = join(dir, 'go');
  const stop = join(dir, 'stop');
  const children: ChildProcess[] = [];
  const outputs = await Promise.all(
    Array.from(
      { length: processes },
      () =>
        new Promise<string[]>((resolve, reject) => {
          const c = spawn(process.execPath, ['--import', 'tsx', contender, dir, String(rounds), go, stop], {
            stdio: ['ignore', 'pipe', 'inherit'],
          });
          children.push(c);
          let out = '';
          // Its results arrive as one line while it is still alive, holding every lock it won: a contender
          // that had exited would leave dead holders, whose locks a slower one would rightly take over.
          c.stdout.on('data', (d) => {
            out += String(d);
            if (out.endsWith('\n')) resolve(JSON.parse(out));
          });
          c.on('close', (code) => reject(new Error(`contender exited ${code} before reporting`)));
          // Every contender is up (tsx loaded) before the start file appears.
          setTimeout(() => writeFileSync(go, ''), 3000);
        }),
    ),
  );
  writeFileSync(stop, '');
  await Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r)))));
  const doubles: number[] = [];
  const errors: string[] = [];
  for (let r = 0; r < rounds; r++) {
    const seen = outputs.map((o) => o[r]!);
    if (seen.filter((x) => x === 'won').length !== 1) doubles.push(r);
    errors.push(...seen.filter((x) => x.startsWith('error:')));
  }
  assert.deepEqual(errors, [], 'a lost race is "locked" (exit 75), never a raw error');
  assert.deepEqual(
    doubles,
    [],
    `rounds without exactly one winner: ${doubles.map((r) => `${r} (${outputs.map((o) => o[r]).join(' ')})`).join(', ')}`,
  );
});
