// Crash recovery's edge cases (docs/scheduler.md "Crash recovery"): what a killed bwdc leaves beside
// data.json, and state folders that hold something other than an instance's files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { LockedError } from '../src/errors.js';
import { recoverStateFolders } from '../src/runner/recover.js';
import { RECOVERY_RUN_PREFIX, acquireLock } from '../src/state/lock.js';
import { makeFixture, startCli, waitFor } from './helpers/fixture.js';

const CANARY = 'canary-client-secret-7f3a91';
const session = { accessToken: 'canary-token-x', apiKeyClientId: 'organization.o', apiKeyClientSecret: CANARY };

test("a killed bwdc's own temporary file (.data.json.tmp, a whole data.json with the session) is swept", async () => {
  const root = mkdtempSync(join(tmpdir(), 'recover-'));
  mkdirSync(join(root, 'gone'));
  writeFileSync(join(root, 'gone', 'data.json'), JSON.stringify({ stateVersion: 8, directoryType: 0 }));
  // bwdc (lowdb's FileSync) writes data.json as .data.json.tmp then renames it (measured with strace, bwdc 2026.6.1).
  writeFileSync(join(root, 'gone', '.data.json.tmp'), JSON.stringify({ stateVersion: 8, ...session }));
  const done = await recoverStateFolders(root, [], pino({ level: 'silent' }));
  const left = readdirSync(join(root, 'gone')).filter((f) => f !== 'runner.lock');
  for (const f of left)
    assert.ok(!readFileSync(join(root, 'gone', f), 'utf8').includes(CANARY), `${f} keeps the secret`);
  assert.deepEqual(left, ['data.json']);
  assert.equal(done.swept, 1);
});

test('folders that are not instances, a symlink and a data.json that is not JSON: nothing lost, no crash', async () => {
  const root = mkdtempSync(join(tmpdir(), 'recover-'));
  mkdirSync(join(root, 'notes'));
  writeFileSync(join(root, 'notes', 'README'), 'mine');
  mkdirSync(join(root, 'broken'));
  writeFileSync(join(root, 'broken', 'data.json'), '{"stateVersion": 8, "half');
  writeFileSync(join(root, 'stray-file'), 'x');
  symlinkSync(join(root, 'notes'), join(root, 'link'));
  await recoverStateFolders(root, [], pino({ level: 'silent' }));
  assert.equal(readFileSync(join(root, 'broken', 'data.json'), 'utf8'), '{"stateVersion": 8, "half');
  assert.deepEqual(readdirSync(join(root, 'notes')), ['README']);
  assert.equal(readFileSync(join(root, 'stray-file'), 'utf8'), 'x');
});

test("a run whose bwdc is killed mid-write (its timeout) sweeps bwdc's temporary data.json at once", async () => {
  const fx = makeFixture('slow');
  fx.control({ delayMs: 20_000 });
  const run = startCli(['run'], fx.env({ BWDC_TIMEOUT: '3s', BWDC_RETRY_ATTEMPTS: '1' }));
  await waitFor(() => fx.records().some((c) => c.command === 'sync'), 30_000);
  // What bwdc leaves when it dies between writing its temporary file and renaming it.
  writeFileSync(join(fx.stateDir, 'slow', '.data.json.tmp'), JSON.stringify(session));
  await run.done;
  assert.deepEqual(
    readdirSync(join(fx.stateDir, 'slow')).filter((f) => f.includes('tmp')),
    [],
    'no temporary file with the session left for the life of the process',
  );
});

test("a run waits for another process's crash recovery to let go of its folder instead of being skipped (exit 75)", async () => {
  const root = mkdtempSync(join(tmpdir(), 'recover-'));
  const path = join(root, 'runner.lock');
  // Another runner starting on the same volume (a CronJob of another instance) sweeping this folder.
  const sweeper = { pid: process.pid, hostname: hostname(), runId: `${RECOVERY_RUN_PREFIX}0a1b2c3d`, since: '' };
  writeFileSync(path, JSON.stringify(sweeper));
  setTimeout(() => unlinkSync(path), 200);
  const lock = await acquireLock(path, { runId: 'the-run', recoveryWaitMs: 5000 });
  await lock.release();
  // Anyone else holding it still means locked, at once.
  writeFileSync(path, JSON.stringify({ ...sweeper, runId: 'another-run' }));
  await assert.rejects(acquireLock(path, { runId: 'the-run', recoveryWaitMs: 5000 }), LockedError);
});
