// Small state files written outside the instance lock (approvals.json, refused-plans.json, removal-ledger.json)
// lose no writer's change when writers overlap: `approve` from the command line while a run uses an approval,
// two replicas' runs recording removals in a shared control folder. Writers here are separate processes
// (each its own Node, as two pods or a CLI and a scheduler are), all started at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readApprovals, readRefusedPlans, recordRefusedPlan } from '../src/state/approvals.js';
import { readLedger, recordRemovals } from '../src/state/removal-ledger.js';
import { readHistory } from '../src/state/history.js';

const src = new URL('../src/state/', import.meta.url).href;

/** Starts `n` Node processes at once, each running `body(i)` (an ES module body), and waits for all. */
async function writers(n: number, body: (i: number) => string): Promise<void> {
  const codes = await Promise.all(
    Array.from(
      { length: n },
      (_, i) =>
        new Promise<number | null>((resolve) => {
          const c = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', body(i)], {
            stdio: ['ignore', 'ignore', 'inherit'],
          });
          c.on('close', resolve);
        }),
    ),
  );
  assert.deepEqual(codes, Array(n).fill(0), 'every writer succeeded');
}

test('eight processes recording removals at once: the ledger keeps all eight entries', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'update-lock-'));
  await writers(
    8,
    (i) =>
      `const { recordRemovals } = await import('${src}removal-ledger.ts');
       await recordRemovals(${JSON.stringify(dir)}, { at: new Date().toISOString(), removals: ${i + 1}, runId: 'run-${i}' });`,
  );
  const entries = await readLedger(dir);
  assert.deepEqual(entries.map((e) => e.runId).sort(), Array.from({ length: 8 }, (_, i) => `run-${i}`).sort());
  assert.equal(
    entries.reduce((n, e) => n + e.removals, 0),
    36,
  );
  assert.deepEqual(readdirSync(dir).sort(), ['removal-ledger.json'], 'no lock or temporary file left behind');
});

test('approvals and refusals written by processes at once: none is lost, and an approval is used exactly once', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'update-lock-'));
  // Six refusals recorded at once, then six approvals (one per plan) while another process uses the first one.
  await writers(
    6,
    (i) =>
      `const { recordRefusedPlan } = await import('${src}approvals.ts');
       await recordRefusedPlan(${JSON.stringify(dir)}, { planId: 'plan${i}', removals: ['u${i}'], memberships: [],
         at: new Date().toISOString(), runId: 'r${i}', rules: ['maxRemovals'] });`,
  );
  assert.equal((await readRefusedPlans(dir)).length, 6);
  await recordRefusedPlan(dir, { planId: 'plan0', removals: ['u0'], memberships: [], at: '', runId: 'r0', rules: [] });
  await writers(
    6,
    (i) => `const { approvePlan } = await import('${src}approvals.ts');
       await approvePlan(${JSON.stringify(dir)}, 'plan${i}', { by: 'admin${i}' });`,
  );
  await writers(
    3,
    (i) =>
      `const { useApproval, approvePlan } = await import('${src}approvals.ts');
       ${i === 0 ? `await approvePlan(${JSON.stringify(dir)}, 'plan1', { by: 'again' });` : `await useApproval(${JSON.stringify(dir)}, 'plan0', 'run-${i}');`}`,
  );
  const approvals = await readApprovals(dir);
  assert.deepEqual([...new Set(approvals.map((a) => a.planId))].sort(), [
    'plan0',
    'plan1',
    'plan2',
    'plan3',
    'plan4',
    'plan5',
  ]);
  const plan0 = approvals.filter((a) => a.planId === 'plan0');
  assert.equal(plan0.length, 1);
  assert.ok(plan0[0]!.usedByRun === 'run-1' || plan0[0]!.usedByRun === 'run-2', 'used by one of the two runs');
  assert.equal(
    approvals.find((a) => a.planId === 'plan1' && !a.usedAt)?.by,
    'again',
    'the re-approval replaced the unused one',
  );
  assert.ok(!existsSync(join(dir, 'approvals.json.lock')), 'the lock is released');
});

test('history appends from six processes while they compact it: compaction drops only the oldest, no append is lost', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'update-lock-'));
  // ~100-byte entries, a 6 kB limit: 120 appends compact the file many times over while others append.
  await writers(
    6,
    (w) =>
      `const { appendHistory } = await import('${src}history.ts');
       for (let k = 1; k <= 20; k++)
         await appendHistory(${JSON.stringify(dir)}, { at: new Date().toISOString(), kind: 'pause', writer: ${w}, k, pad: 'x'.repeat(40) },
           { maxBytes: 6000, maxAgeMs: 86_400_000 });`,
  );
  const { entries, skipped } = await readHistory(dir);
  assert.deepEqual(skipped, []);
  assert.ok(entries.length >= 20, `kept ${entries.length}`);
  for (let w = 0; w < 6; w++) {
    const ks = entries.filter((e) => e.writer === w).map((e) => e.k as number);
    // Compaction drops a prefix of the file; a lost append leaves a gap or a missing last entry.
    if (ks.length)
      assert.deepEqual(
        ks,
        Array.from({ length: ks.length }, (_, i) => 21 - ks.length + i),
        `writer ${w}`,
      );
  }
});

test('a writer killed while holding the lock: the next run records its removals once the lock goes stale, none lost', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'update-lock-'));
  await recordRemovals(dir, { at: new Date().toISOString(), removals: 2, runId: 'before' });
  // A writer that takes the ledger's lock and never lets go (an interval keeps it alive: waiting on nothing, it
  // would end and its exit handler remove the lock), then is SIGKILLed (an OOM kill, a node lost).
  const holder = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      '--input-type=module',
      '-e',
      `const { withUpdateLock } = await import('${src}update-lock.ts');
       await withUpdateLock(${JSON.stringify(join(dir, 'removal-ledger.json'))}, async () => {
         process.stdout.write('held\\n');
         await new Promise(() => setInterval(() => {}, 1000));
       });`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve) => holder.stdout.on('data', () => resolve()));
  holder.kill('SIGKILL');
  await new Promise((resolve) => holder.on('close', resolve));
  assert.ok(existsSync(join(dir, 'removal-ledger.json.lock')), 'the dead writer left its lock');
  const started = Date.now();
  await recordRemovals(dir, { at: new Date().toISOString(), removals: 3, runId: 'after' });
  assert.deepEqual(
    (await readLedger(dir)).map((e) => [e.runId, e.removals]),
    [
      ['before', 2],
      ['after', 3],
    ],
  );
  assert.ok(Date.now() - started < 30_000, 'taken over within the retries');
  assert.ok(!existsSync(join(dir, 'removal-ledger.json.lock')), 'and released');
});
