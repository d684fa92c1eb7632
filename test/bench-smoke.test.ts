// Every benchmark at a small size, so they cannot rot. No timing assertions: the numbers live in
// bench/README.md; these check that each script runs and reports what it should.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { root } from './helpers/fixture.js';
import { realBwdc, realBwdcSkip } from './helpers/real-bwdc.js';

// Under tsx: the benchmarks load the Bitwarden test server (TypeScript) for the runner's login.
function bench(
  script: string,
  args: string[],
  runner: string[] = [process.execPath, '--import', 'tsx'],
  env: Record<string, string> = {},
): Record<string, any> {
  const r = spawnSync(runner[0]!, [...runner.slice(1), join(root, 'bench', script), ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
  assert.equal(r.status, 0, `${script}: ${r.stderr}${r.stdout}`);
  return JSON.parse(r.stdout.slice(r.stdout.indexOf('{')));
}

test('bench/sync-run.mjs: the runner and the docs script both sync; the runner makes fewer bwdc calls', () => {
  const r = bench('sync-run.mjs', ['--runs', '1', '--delay', '0']);
  assert.equal(r.runner.bwdcInvocations, 1, 'one bwdc start per run');
  assert.equal(r.script.bwdcInvocations, 3);
  assert.equal(typeof r.ratio, 'number');
});

test(
  'bench/real-run.mjs: the runner and a bare bwdc sync, both with the real bwdc, each importing a slapd change',
  { skip: realBwdcSkip() },
  () => {
    const r = bench('real-run.mjs', ['--pairs', '1']);
    assert.equal(r.pairs, 1);
    assert.ok(r.runner.wallMs > 0 && r.bareSync.wallMs > 0 && r.runner.cpuMs > 0);
    assert.equal(typeof r.wallRatio, 'number');
    assert.equal(r.node, process.version);
  },
);

test('bench/cold-start.mjs runs', () => {
  const r = bench('cold-start.mjs', ['--runs', '1']);
  assert.ok(r.versionMs > 0 && r.checkMs > 0);
});

test('bench/scheduler-scale.mjs: 10 instances all complete', () => {
  const r = bench('scheduler-scale.mjs', [
    '--instances',
    '10',
    '--delay',
    '0',
    '--concurrency',
    '4',
    '--idle',
    '1',
    '--settle',
    '1',
  ]);
  assert.equal(r.succeeded, 10);
  assert.ok(r.peakRssMB > 0);
});

test('bench/secret-fetches.ts: one fetch per backend for a run of many instances', () => {
  const r = bench('secret-fetches.ts', ['--instances', '5', '--window', '3'], [process.execPath, '--import', 'tsx']);
  assert.equal(r.oneRun.vaultSecretReads, 1);
  assert.equal(r.oneRun.awsFetchesByMetric, 1);
});

test('bench/bwdc-rss.mjs: reports the peak memory of the bwdc processes of a run', () => {
  const r = bench('bwdc-rss.mjs', ['--runs', '1']);
  assert.ok(Number(r.bwdcPeakRssMbMax) > 0);
  assert.equal(r.bwdcProcessesPerRun, 1);
});

test('bench/identity-requests.mjs: many instances of one API key in schedule make one identity request', () => {
  const r = bench('identity-requests.mjs', ['--instances', '5', '--window', '32', '--ttl', '3600']);
  assert.ok(r.runsSucceeded >= 5, `runs: ${r.runsSucceeded}`);
  assert.equal(r.runsFailed, 0);
  assert.equal(r.identityRequests, 1);
});

test('bench/redactor.mjs: tokens that keep coming are forgotten once expired; the redactor holds about one per key', () => {
  const r = bench('redactor.mjs', ['--tokens', '2000', '--keys', '5']);
  assert.equal(r.tokens, 2000);
  assert.ok(r.held <= 5 + 1, `held ${r.held}`);
});

test('bench/shards.mjs: three replicas run every instance exactly once, each its own share', () => {
  const r = bench('shards.mjs', ['--instances', '12', '--replicas', '3', '--delay', '0', '--concurrency', '2']);
  assert.equal(r.exactlyOnce, true);
  assert.equal(r.syncCalls, 12);
  assert.equal(
    r.perReplica.reduce((a: number, p: { held: number }) => a + p.held, 0),
    12,
  );
  assert.ok(r.perReplica.every((p: { peakRssMB: number }) => p.peakRssMB > 0));
});

test(
  'bench/moved-instance.mjs: with a real bwdc, the first run after a move sends the import, the next does not',
  { skip: realBwdcSkip() },
  () => {
    const r = bench('moved-instance.mjs', ['--rounds', '1', '--users', '5'], undefined, { BWDC_PATH: realBwdc()! });
    assert.equal(r.firstRunAfterMove.importsSent, 1);
    assert.equal(r.nextRunInItsState.importsSent, 0);
  },
);
test('bench/verify-cost.mjs: the read-back verifies a small organization', () => {
  const r = bench('verify-cost.mjs', ['--runs', '1', '--sizes', '200']);
  assert.equal(r.results[0].n, 200);
  assert.ok(r.results[0].read > 0);
});
