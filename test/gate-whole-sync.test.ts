// All or nothing, and over time (docs/guard-rails.md "All or nothing", "The day budget"): the gate holds
// every request bwdc sends (a largeImport's batches: bitwarden/directory-connector v2026.6.1
// libs/services/batch-request-builder.ts, each awaited by sync.service.ts), the run judges the whole sync
// once bwdc ended well and forwards all of it in order, or none, putting bwdc's sync markers back when
// anything is refused or fails. bwdc is the batching double (batch size 2) against the test server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bitwarden } from './helpers/fixture.js';
import { setup as planSetup, type DirUser } from './helpers/plan-setup.js';
import type { Organization } from './bitwarden-server/organization.js';

const importsOf = (org: Organization) => bitwarden.imports.filter((i) => i.orgId === org.id);
const users = (n: number, deleted: (i: number) => boolean): DirUser[] =>
  Array.from({ length: n }, (_, i) => ({ externalId: `u${i}`, email: `u${i}@corp.example`, deleted: deleted(i) }));

function setup(opts: {
  users: DirUser[];
  members: number;
  guard?: Record<string, unknown>;
  instance?: Record<string, unknown>;
}) {
  return planSetup({
    users: opts.users,
    sync: { largeImport: true },
    guard: opts.guard,
    control: { batchSize: 2 },
    org: (org) => {
      for (let i = 0; i < opts.members; i++) org.addMember({ email: `u${i}@corp.example`, externalId: `u${i}` });
    },
    instance: opts.instance,
  });
}

const markers = (data: Record<string, unknown>) =>
  Object.fromEntries(
    ['lastSyncHash', 'lastUserSync', 'lastGroupSync', 'userDeltaToken', 'groupDeltaToken'].map((k) => [k, data[k]]),
  );

test("a batched sync past maxRemovals is refused run after run: the organization loses nobody, bwdc's markers stay as before, the plan id stays the same", async () => {
  const s = setup({ users: users(8, () => false), members: 8, guard: { maxRemovals: 2 } });
  assert.equal((await s.cli(['run'])).code, 0, 'a first, clean sync');
  const before = markers(s.fx.dataJson('corp'));
  assert.ok(before.lastSyncHash, 'bwdc recorded that sync');
  s.fx.control({ apiHttp: true, batchSize: 2, directory: { users: users(8, (i) => i > 0), groups: [] } });
  const ids: string[] = [];
  for (let run = 1; run <= 3; run++) {
    const r = await s.cli(['run']);
    assert.equal(r.code, 1, r.stdout);
    const end = r.logs.find((l) => l.outcome === 'failure')!;
    assert.equal(end.failureClass, 'guard');
    assert.match(String(end.msg), /would remove 7 of 8 members/, 'the whole sync, all four user batches, judged');
    assert.match(String(end.msg), /nothing reached the server/);
    ids.push(String(end.planId));
    assert.equal(s.org.members.length, 8, `run ${run}: nobody removed`);
    assert.equal(importsOf(s.org).length, 4, `run ${run}: no request of the refused sync reached the server`);
    assert.equal(
      s.fx.records().filter((x) => 'import' in x).length,
      4 * run + 4,
      'bwdc sent its four batches each time',
    );
    assert.deepEqual(markers(s.fx.dataJson('corp')), before, `run ${run}: bwdc's sync markers as before the run`);
  }
  assert.match(ids[0]!, /^[0-9a-f]{10}$/);
  assert.deepEqual(new Set(ids).size, 1, 'the same refused sync has the same plan id');
  const last = JSON.parse(readFileSync(join(s.fx.stateDir, 'corp', 'last-run.json'), 'utf8'));
  assert.equal(last.planId, ids[0]);
});

test('a server failure on a later request is reported exactly, the markers go back, and the next run sends everything again', async () => {
  const s = setup({ users: users(5, () => false), members: 0, instance: { retry: { attempts: 0 } } });
  s.org.failImports = new Set([2]);
  const r = await s.cli(['run']);
  assert.equal(r.code, 1, r.stdout);
  const end = r.logs.find((l) => l.outcome === 'failure')!;
  assert.equal(end.failureClass, 'server');
  assert.match(
    String(end.msg),
    /import request 2 of 3 failed: An error has occurred\.; 1 of 3 import request\(s\) reached the server and were applied, none after it/,
  );
  assert.equal(s.org.members.length, 2, 'exactly the first request was applied');
  assert.equal(s.fx.dataJson('corp').lastSyncHash, undefined, 'no hash kept: the sync did not wholly reach the server');
  const again = await s.cli(['run']);
  assert.equal(again.code, 0, again.stdout);
  assert.equal(s.org.members.length, 5);
  assert.equal(importsOf(s.org).length, 1 + 3, 'the next run sent the whole sync again');
});

test('the day budget: counted from what the server accepted, over a sequence of runs, for a rolling 24 hours', async () => {
  // 10 members; maxRemovals 2 per sync, maxRemovalsPerDay 3.
  const s = setup({ users: users(10, (i) => i < 2), members: 10, guard: { maxRemovals: 2, maxRemovalsPerDay: 3 } });
  const first = await s.cli(['run']);
  assert.equal(first.code, 0, first.stdout);
  assert.equal(s.org.members.length, 8, 'run 1: two removed, within both limits');
  // Two more a little later: 2 + 2 > 3.
  s.fx.control({ apiHttp: true, batchSize: 2, directory: { users: users(10, (i) => i < 4), groups: [] } });
  const second = await s.cli(['run']);
  assert.equal(second.code, 1, second.stdout);
  const end = second.logs.find((l) => l.outcome === 'failure')!;
  assert.equal(end.failureClass, 'guard');
  assert.match(
    String(end.msg),
    /would remove 2 member\(s\) after 2 removed in the last 24 hours, above guard\.maxRemovalsPerDay \(3\)/,
  );
  assert.equal(s.org.members.length, 8, 'run 2: nobody removed');
  const plan = await s.planJson();
  assert.equal(plan.guard.removedLastDay, 2, 'plan reads the same budget');
  assert.equal(plan.guard.wouldStop, true);
  // 24 hours later the first removals no longer count.
  const ledger = join(s.fx.stateDir, 'corp', 'removal-ledger.json');
  const kept = JSON.parse(readFileSync(ledger, 'utf8'));
  kept.entries[0].at = new Date(Date.now() - 24 * 3_600_000 - 1000).toISOString();
  writeFileSync(ledger, JSON.stringify(kept));
  const third = await s.cli(['run']);
  assert.equal(third.code, 0, third.stdout);
  assert.equal(s.org.members.length, 6);
});

test('a retry inside a run does not start the count again: what the first attempt got through counts against maxRemovals', async () => {
  // 8 members; attempt 1: u0,u1 deleted (request 1 of 4), request 2 fails with a 500 (retried); meanwhile the
  // directory reports u2,u3 deleted too. Attempt 2 sees 2 removals left: 2 + 2 > maxRemovals 3.
  const s = setup({
    users: users(8, (i) => i < 2),
    members: 8,
    guard: { maxRemovals: 3 },
    instance: { retry: { attempts: 2, backoff: '1s' } },
  });
  s.org.failImports = new Set([2]);
  s.org.onImport = (nth) => {
    if (nth === 2)
      s.fx.control({ apiHttp: true, batchSize: 2, directory: { users: users(8, (i) => i < 4), groups: [] } });
  };
  const r = await s.cli(['run']);
  assert.equal(r.code, 1, r.stdout);
  const retry = r.logs.find((l) => l.msg === 'transient failure, will retry')!;
  assert.match(String(retry.err), /import request 2 of 4 failed.*1 of 4 import request\(s\) reached the server/);
  const end = r.logs.find((l) => l.outcome === 'failure')!;
  assert.equal(end.failureClass, 'guard', String(end.msg));
  assert.match(
    String(end.msg),
    /would remove 2 of 8 members after 2 removed by an earlier attempt of this run, above guard\.maxRemovals \(3\)/,
  );
  assert.equal(end.attempts, 2);
  assert.equal(s.org.members.length, 6, "only the first attempt's first request reached the server");
});

test('an import sent and never answered: outcome unknown, said so, not retried in the run; the next run plans against the organization as it then is', async () => {
  const s = setup({
    users: users(4, (i) => i === 0),
    members: 4,
    instance: { timeout: '6s', retry: { attempts: 3, backoff: '1s' } },
  });
  s.org.hangImport = 1;
  const r = await s.cli(['run']);
  assert.equal(r.code, 1, r.stdout);
  const end = r.logs.find((l) => l.outcome === 'failure')!;
  assert.equal(end.failureClass, 'network');
  assert.equal(end.attempts, 1, 'not retried');
  assert.match(
    String(end.msg),
    /import request 1 of 2: .*timed out; its outcome is unknown .* not retried in this run/,
  );
  assert.equal(importsOf(s.org).length, 1, 'one import in flight, never a second');
  assert.equal(s.org.members.length, 3, 'the server applied it after all');
  s.org.hangImport = undefined;
  const next = await s.cli(['run']);
  assert.equal(next.code, 0, next.stdout);
  assert.equal(s.org.members.length, 3);
});

test('a damaged day-budget ledger fails closed: nothing removed, exit 2 naming the file; removing the file is the way on', async () => {
  const s = setup({ users: users(10, (i) => i < 2), members: 10, guard: { maxRemovals: 2, maxRemovalsPerDay: 3 } });
  const ledger = join(s.fx.stateDir, 'corp', 'removal-ledger.json');
  mkdirSync(join(s.fx.stateDir, 'corp'), { recursive: true });
  writeFileSync(ledger, '{"entries": [{"at": "2026-12-0');
  const r = await s.cli(['run']);
  assert.equal(r.code, 2, r.stdout);
  const end = r.logs.find((l) => l.outcome === 'failure')!;
  assert.equal(end.failureClass, 'config');
  assert.match(String(end.msg), /removal-ledger\.json is not valid JSON: the day budget cannot be checked/);
  assert.equal(s.org.members.length, 10, 'nobody removed on an unreadable budget');
  assert.equal(
    readFileSync(ledger, 'utf8'),
    '{"entries": [{"at": "2026-12-0',
    'the damaged file is left for the operator',
  );
  rmSync(ledger);
  const again = await s.cli(['run']);
  assert.equal(again.code, 0, again.stdout);
  assert.equal(s.org.members.length, 8);
});
