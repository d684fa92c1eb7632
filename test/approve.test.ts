// Approving a refused sync (docs/guard-rails.md "Approving a refused sync"): the refusal names a plan id
// (log, last-run.json, message with the command); `approve PLAN_ID` keeps an approval in the instance's
// state; the next sync whose removals and ended memberships lie within it passes once and uses it up; an
// expired approval, or one of another plan, lets nothing through. bwdc is the double, against the test server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setup as planSetup, type DirGroup, type DirUser } from './helpers/plan-setup.js';
import { approvePlan, findApproval, recordRefusedPlan } from '../src/state/approvals.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { genericPayload, headline } from '../src/notify/payload.js';
import { statusOf } from '../src/scheduler/status.js';

const users = (n: number, deleted: (i: number) => boolean): DirUser[] =>
  Array.from({ length: n }, (_, i) => ({ externalId: `u${i}`, email: `u${i}@corp.example`, deleted: deleted(i) }));

function setup(
  dir: DirUser[],
  members: number,
  guard: Record<string, unknown> = { maxRemovals: 1 },
  groups?: DirGroup[],
) {
  return planSetup({
    users: dir,
    groups,
    guard,
    org: (org) => {
      for (let i = 0; i < members; i++) org.addMember({ email: `u${i}@corp.example`, externalId: `u${i}` });
    },
  });
}

const refusal = (r: { logs: Array<Record<string, unknown>> }) => r.logs.find((l) => l.outcome === 'failure')!;

test('a refusal names its plan and the command; approve lets exactly that sync through once, then it is used up', async () => {
  const s = setup(
    users(6, (i) => i >= 3),
    6,
  );
  const stopped = await s.cli(['run']);
  assert.equal(stopped.code, 1, stopped.stdout);
  const end = refusal(stopped);
  const id = String(end.planId);
  assert.match(id, /^[0-9a-f]{10}$/);
  assert.match(
    String(end.msg),
    new RegExp(`stopped before the import \\(plan ${id}\\).*bwdc-runner approve ${id} --instance corp`),
  );
  const last = JSON.parse(readFileSync(join(s.fx.stateDir, 'corp', 'last-run.json'), 'utf8'));
  assert.equal(last.planId, id);

  const wrong = await s.cli(['approve', 'abcdef0123', '--instance', 'corp']);
  assert.equal(wrong.code, 2, 'another plan id: refused');
  assert.match(wrong.stderr, /no refused plan abcdef0123/);
  const bad = await s.cli(['approve', 'not-a-plan']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /not a plan id/);

  const ok = await s.cli(['approve', id, '--by', 'alice', '--expires', '2h']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(
    ok.stdout,
    new RegExp(`approved plan ${id} of instance corp \\(3 removal\\(s\\), 0 ended membership\\(s\\)\\) by alice`),
  );
  const passed = await s.cli(['run']);
  assert.equal(passed.code, 0, passed.stdout);
  assert.equal(s.org.members.length, 3);
  assert.ok(passed.logs.some((l) => l.msg === 'guard: passed on an approval, now used up' && l.approvedBy === 'alice'));
  const approvals = JSON.parse(readFileSync(join(s.fx.stateDir, 'corp', 'approvals.json'), 'utf8'));
  assert.equal(approvals[0].by, 'alice');
  assert.ok(approvals[0].usedAt, 'used up');

  // The same three members come back (by hand) and are deleted again: the used approval lets nothing through.
  for (let i = 3; i < 6; i++) s.org.addMember({ email: `u${i}@corp.example`, externalId: `u${i}` });
  // (and a newcomer, so that bwdc's own unchanged-check does not skip the import)
  s.fx.control({
    apiHttp: true,
    directory: { users: [...users(6, (i) => i >= 3), { externalId: 'n', email: 'n@corp.example' }], groups: [] },
  });
  const again = await s.cli(['run']);
  assert.equal(again.code, 1, again.stdout);
  assert.equal(refusal(again).planId, id, 'the same plan, refused again');
  assert.equal(s.org.members.length, 6);
});

test('an approval follows an instance that moves to another replica (a shared BWDC_CONTROL_DIR), with its day budget', async () => {
  const s = setup(
    users(6, (i) => i >= 3),
    6,
    { maxRemovals: 1 },
  );
  const control = join(s.fx.dir, 'control');
  const replica = (i: number) => ({ BWDC_STATE_DIR: join(s.fx.dir, `state-${i}`), BWDC_CONTROL_DIR: control });
  const id = String(refusal(await s.cli(['run'], replica(0))).planId);
  assert.equal((await s.cli(['approve', id, '--instance', 'corp'], replica(0))).code, 0);
  assert.ok(existsSync(join(control, 'corp', 'approvals.json')), 'kept in the control folder');
  // Replica 1, a new state volume: the approval is there, and what it let through counts against the day.
  const moved = await s.cli(['run'], replica(1));
  assert.equal(moved.code, 0, moved.stdout);
  assert.equal(s.org.members.length, 3);
  const ledger = JSON.parse(readFileSync(join(control, 'corp', 'removal-ledger.json'), 'utf8'));
  assert.equal(ledger.entries[0].removals, 3);
});

test('an approval covers a sync within the approved plan, not one that removes more', async () => {
  const s = setup(
    users(6, (i) => i >= 4),
    6,
  );
  const first = await s.cli(['run']);
  const id = String(refusal(first).planId);
  assert.equal((await s.cli(['approve', id])).code, 0, 'one instance: no --instance needed');
  // Now u3 is deleted too: more than approved.
  s.fx.control({ apiHttp: true, directory: { users: users(6, (i) => i >= 3), groups: [] } });
  const more = await s.cli(['run']);
  assert.equal(more.code, 1, more.stdout);
  assert.notEqual(refusal(more).planId, id);
  assert.equal(s.org.members.length, 6);
  // Back to the approved two (u3 live again): within the approval, passes.
  s.fx.control({ apiHttp: true, directory: { users: users(6, (i) => i >= 4), groups: [] } });
  const within = await s.cli(['run']);
  assert.equal(within.code, 0, within.stdout);
  assert.equal(s.org.members.length, 4);
});

test('an expired approval lets nothing through', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bwdc-runner-approvals-'));
  const scope = { removals: ['u1', 'u2'], memberships: [] };
  await recordRefusedPlan(dir, {
    ...scope,
    planId: '0123456789',
    at: new Date().toISOString(),
    runId: 'r1',
    rules: ['maxRemovals'],
  });
  const at = new Date('2026-01-01T00:00:00Z');
  await approvePlan(dir, '0123456789', { by: 'bob', expiresInMs: 3_600_000, now: at });
  assert.ok(await findApproval(dir, scope, new Date(at.getTime() + 3_599_000)), 'within the hour');
  assert.equal(await findApproval(dir, scope, new Date(at.getTime() + 3_600_001)), undefined, 'expired');
  assert.equal(await findApproval(dir, { removals: ['u3'], memberships: [] }, at), undefined, 'another plan');
  await assert.rejects(approvePlan(dir, '9999999999', { by: 'bob' }), /no refused plan 9999999999/);
});

test('an expired approval, end to end: the run is refused again', async () => {
  const s = setup(
    users(4, (i) => i >= 2),
    4,
  );
  const id = String(refusal(await s.cli(['run'])).planId);
  assert.equal((await s.cli(['approve', id, '--expires', '1s'])).code, 0);
  await new Promise((r) => setTimeout(r, 1500));
  const r = await s.cli(['run']);
  assert.equal(r.code, 1, r.stdout);
  assert.equal(s.org.members.length, 4);
});

test('group memberships: maxMembershipRemovals and an emptied group stop the sync; the plan shows both; approve lets it through', async () => {
  const dir = users(4, () => false);
  const groups = [
    { externalId: 'g1', name: 'eng', members: ['u0'] },
    { externalId: 'g2', name: 'ops', members: [] },
  ];
  const s = planSetup({
    users: dir,
    groups,
    guard: { maxMembershipRemovals: 1 },
    org: (org) => {
      const m = Array.from({ length: 4 }, (_, i) =>
        org.addMember({ email: `u${i}@corp.example`, externalId: `u${i}` }),
      );
      org.addGroup({ name: 'eng', externalId: 'g1', memberIds: [m[0]!.id, m[1]!.id, m[2]!.id] });
      org.addGroup({ name: 'ops', externalId: 'g2', memberIds: [m[3]!.id] });
    },
  });
  const plan = await s.planJson();
  assert.deepEqual(plan.groups.emptied, [{ name: 'ops', externalId: 'g2', members: 1 }]);
  assert.deepEqual(
    plan.guard.breaches.map((b: { rule: string }) => b.rule),
    ['maxMembershipRemovals', 'refuseEmptiedGroups'],
  );
  const r = await s.cli(['run']);
  assert.equal(r.code, 1, r.stdout);
  const end = refusal(r);
  assert.match(String(end.msg), /would end 3 of 4 group memberships, above guard\.maxMembershipRemovals \(1\)/);
  assert.match(String(end.msg), /would leave 1 group\(s\) with no members: ops \(1\)/);
  assert.equal(end.planId, plan.planId, 'plan shows the id a run refuses with');
  assert.equal(s.org.groups.find((g) => g.externalId === 'g1')!.memberIds.length, 3, 'untouched');
  assert.equal((await s.cli(['approve', String(end.planId)])).code, 0);
  const ok = await s.cli(['run']);
  assert.equal(ok.code, 0, ok.stdout);
  assert.equal(s.org.groups.find((g) => g.externalId === 'g2')!.memberIds.length, 0);
});

test('BWDC_APPROVE_PLAN (a one-off Job without a state volume): exactly that plan passes, this run only; another id does not', async () => {
  const s = setup(
    users(5, (i) => i >= 3),
    5,
  );
  const id = String(refusal(await s.cli(['run'])).planId);
  const other = await s.cli(['run'], { BWDC_APPROVE_PLAN: '0000000000' });
  assert.equal(other.code, 1, other.stdout);
  assert.equal(s.org.members.length, 5);
  const bad = await s.cli(['run'], { BWDC_APPROVE_PLAN: 'yes' });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr + bad.stdout, /BWDC_APPROVE_PLAN: "yes" is not a plan id/);
  const ok = await s.cli(['run'], { BWDC_APPROVE_PLAN: id });
  assert.equal(ok.code, 0, ok.stdout);
  assert.equal(s.org.members.length, 3);
});

test('the notification and /status carry the refused plan id', () => {
  const run = {
    instance: 'corp',
    runId: 'r',
    outcome: 'failure' as const,
    failureClass: 'guard',
    exitCode: 1,
    message: 'stopped before the import (plan 0123456789): ...',
    users: undefined,
    groups: undefined,
    durationMs: 1,
    consecutiveFailures: 1,
    endedAt: new Date(),
    planId: '0123456789',
  };
  assert.equal(genericPayload('failure', run, '1').planId, '0123456789');
  assert.match(headline('failure', run), /plan 0123456789/);
  const job = {
    instance: { name: 'corp', schedule: undefined, timezone: undefined },
    state: 'idle',
    last: { ...run, mode: 'sync', startedAt: new Date(), attempts: 1, planId: '0123456789' },
    consecutiveFailures: 1,
    skippedOverlaps: 0,
    since: Date.now(),
  } as unknown as Parameters<typeof statusOf>[0];
  assert.equal(statusOf(job, undefined, Date.now()).lastRun?.planId, '0123456789');
});
