// The soak test, short: a few hundred scheduled runs with 10% injected faults. The long one
// (20,000 runs) is `npm run soak`; its numbers are in RELIABILITY.md.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { root } from './helpers/fixture.js';

test('soak (short): every due run accounted for, no zombie or stray bwdc, no fd growth', { timeout: 600_000 }, () => {
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(root, 'bench', 'soak.mjs'), '--runs', process.env.SOAK_RUNS ?? '200'],
    {
      cwd: root,
      encoding: 'utf8',
    },
  );
  const report = JSON.parse(r.stdout.slice(r.stdout.indexOf('{')));
  assert.equal(report.accounting.balanced, true, JSON.stringify(report.accounting));
  assert.equal(report.processes.leftoverBwdcProcesses, 0);
  assert.ok(report.fds.last <= report.fds.first + 5, JSON.stringify(report.fds));
  assert.ok(report.outcomes.failure > 0, 'faults were injected');
  assert.ok(report.outcomes.success > report.outcomes.failure);
  assert.equal(r.status, 0, r.stderr);
});
