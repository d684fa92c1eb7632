// Safe syncs: `plan` against the test Bitwarden server (its Public API and import semantics,
// docs/upstream/bitwarden-server.md), the guard rails that stop a sync before bwdc runs, the override, and
// the plan's prediction checked against what the server then did.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computePlan } from '../src/plan/compute.js';
import { judge, removalLimit } from '../src/plan/guard.js';
import { RunnerMetrics } from '../src/observability/metrics.js';
import type { OrganizationState } from '../src/bitwarden/public-api.js';
import type { Organization } from './bitwarden-server/organization.js';
import { MemberStatus, MemberType } from './bitwarden-server/organization.js';
import { assertNoCanary, bitwarden, type makeFixture } from './helpers/fixture.js';
import { baseSettings, emptyOrg, setup } from './helpers/plan-setup.js';

/** bwdc starts, by command (the double also records each import it sent, as a line of its own). */
const starts = (fx: ReturnType<typeof makeFixture>) =>
  fx
    .records()
    .filter((r) => !('import' in r))
    .map((r) => r.command);

const emails = (xs: Array<{ email: string }>) => xs.map((x) => x.email).sort();

/** Imports that reached the test server for this organization. */
const importsOf = (org: Organization) => bitwarden.imports.filter((i) => i.orgId === org.id).length;

test('plan names every change the server will make, and a sync then makes exactly those', async () => {
  const s = setup({
    users: [
      { externalId: 'u-alice', email: 'alice@corp.example' }, // already a member: nothing
      { externalId: 'u-new', email: 'New.Person@corp.example' }, // invited (email lowercased)
      { externalId: 'u-link', email: 'link@corp.example' }, // a hand-invited member without external id: linked
      { externalId: 'u-taken', email: 'taken@corp.example' }, // the email is a member's with another id: skipped
      { externalId: 'u-gone', email: 'gone@corp.example', deleted: true }, // deleted in the directory: removed
      { externalId: 'u-off', email: 'off@corp.example', disabled: true }, // disabled + removeDisabled: removed
      { externalId: 'u-noemail' }, // no email: not sent at all
    ],
    groups: [
      { externalId: 'g-eng', name: 'Engineering', members: ['u-alice', 'u-new', 'u-link', 'u-taken'] },
      { externalId: 'g-ops', name: 'Operations', members: ['u-alice'] },
    ],
    sync: { overwriteExisting: true, removeDisabled: true },
    org: (org) => {
      org.addMember({ email: 'owner@corp.example', type: MemberType.owner, externalId: 'u-owner-old' }); // never removed
      const alice = org.addMember({ email: 'alice@corp.example', externalId: 'u-alice' });
      org.addMember({ email: 'link@corp.example' });
      org.addMember({ email: 'taken@corp.example', externalId: 'u-other' }); // also not in the directory: overwrite
      org.addMember({ email: 'gone@corp.example', externalId: 'u-gone' });
      org.addMember({ email: 'off@corp.example', externalId: 'u-off' });
      org.addMember({ email: 'left@corp.example', externalId: 'u-left' }); // overwrite
      const hand = org.addMember({ email: 'hand@corp.example' }); // no external id: never touched
      org.addGroup({ name: 'Eng', externalId: 'g-eng', memberIds: [alice.id, hand.id] });
      org.seats = 10;
      org.maxAutoScaleSeats = null;
    },
  });
  const plan = await s.planJson();
  assert.deepEqual(emails(plan.invite), ['new.person@corp.example', 'taken@corp.example']);
  assert.deepEqual(plan.remove.map((m: { email: string; reason: string }) => `${m.email}:${m.reason}`).sort(), [
    'gone@corp.example:deleted',
    'left@corp.example:overwrite',
    'off@corp.example:disabled',
    'taken@corp.example:overwrite',
  ]);
  assert.deepEqual(plan.link, [{ email: 'link@corp.example', externalId: 'u-link' }]);
  // The overwrite removes u-other first, so taken@ is free again: invited, not skipped (the server's order).
  assert.deepEqual(emails(plan.skipped), []);
  assert.deepEqual(plan.groups.create, [{ name: 'Operations', externalId: 'g-ops' }]);
  assert.deepEqual(plan.groups.rename, [{ externalId: 'g-eng', from: 'Eng', to: 'Engineering' }]);
  const eng = plan.groups.membership.find((g: { externalId: string }) => g.externalId === 'g-eng');
  assert.deepEqual(eng.remove, ['hand@corp.example (no external id)'], 'a hand-added member is dropped from the group');
  assert.deepEqual(plan.seats, { occupied: 8, free: 2, needed: 0, autoscale: 'not needed' });
  assert.equal(plan.guard.wouldStop, false, 'four removals are within the default limit (10)');

  // Now the real sync, through the double's import to the server: what the server did is what was planned.
  const run = await s.cli(['run']);
  assert.equal(run.code, 0, run.stdout + run.stderr);
  const did = s.org.log.at(-1)!;
  assert.deepEqual(did.removed.sort(), emails(plan.remove));
  assert.deepEqual(did.invited.sort(), emails(plan.invite));
  assert.deepEqual(did.skipped, []);
  assert.deepEqual(did.linked, ['link@corp.example']);
  assert.ok(
    s.org.members.some((m) => m.email === 'owner@corp.example'),
    'the owner stays',
  );
  assert.ok(
    s.org.members.some((m) => m.email === 'hand@corp.example'),
    'a member without external id stays',
  );
  const engGroup = s.org.groups.find((g) => g.externalId === 'g-eng')!;
  assert.equal(engGroup.name, 'Engineering');
  // plan: `bwdc test` and the build probe; the run: one bwdc start, its import judged by the gate.
  assert.deepEqual(starts(s.fx), ['test', 'config', 'sync'], 'plan: test + probe; the run: sync alone');
  assert.ok(run.logs.some((l) => l.msg === 'guard: the import is within the limits'));
  assertNoCanary('plan and run output', JSON.stringify(plan), run.stdout, run.stderr);
});

test('an email taken by a member with another external id is skipped, as the server skips it', async () => {
  const s = setup({
    users: [{ externalId: 'u-1', email: 'dup@corp.example' }],
    org: (org) => {
      org.addMember({ email: 'DUP@corp.example', externalId: 'legacy-7' });
    },
  });
  const plan = await s.planJson();
  assert.deepEqual(
    plan.skipped.map((m: { email: string }) => m.email),
    ['dup@corp.example'],
  );
  assert.match(plan.skipped[0].reason, /external id legacy-7/);
  const run = await s.cli(['run']);
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual(s.org.log.at(-1)!.skipped, ['dup@corp.example']);
});

test('an empty directory with overwriteExisting is stopped before bwdc syncs; --allow-removals lets it through', async () => {
  const s = setup({
    users: [],
    sync: { overwriteExisting: true },
    org: (org) => {
      for (let i = 0; i < 3; i++) org.addMember({ email: `m${i}@corp.example`, externalId: `u${i}` });
    },
  });
  const plan = await s.planJson();
  assert.equal(plan.import.sent, true);
  assert.equal(plan.import.members, 0);
  assert.equal(plan.remove.length, 3);
  assert.equal(plan.guard.wouldStop, true);
  assert.deepEqual(
    plan.guard.breaches.map((b: { rule: string }) => b.rule),
    ['refuseEmptyDirectory'],
  );

  const stopped = await s.cli(['run']);
  assert.equal(stopped.code, 1, stopped.stdout);
  const end = stopped.logs.find((l) => l.outcome === 'failure')!;
  assert.equal(end.failureClass, 'guard');
  assert.match(String(end.msg), /directory returned no users, .* with 3 directory-managed members/);
  assert.ok(stopped.logs.some((l) => l.rule === 'refuseEmptyDirectory' && l.directoryManaged === 3));
  assert.equal(importsOf(s.org), 0, 'the import never reached the server');
  assert.equal(s.org.members.length, 3, 'nobody removed');

  const allowed = await s.cli(['run', '--allow-removals', '3']);
  assert.equal(allowed.code, 0, allowed.stdout + allowed.stderr);
  assert.equal(s.org.members.length, 0, 'the intended wipe happened');
});

test('more removals than guard.maxRemovals stop the run; BWDC_ALLOW_REMOVALS (a one-off Job) lets that many through', async () => {
  const users = Array.from({ length: 15 }, (_, i) => ({ externalId: `u${i}`, email: `u${i}@corp.example` }));
  const s = setup({
    users: users.slice(0, 10),
    sync: { overwriteExisting: true },
    guard: { maxRemovals: '20%' },
    org: (org) => {
      for (const u of users) org.addMember({ email: u.email, externalId: u.externalId });
    },
  });
  const stopped = await s.cli(['run']);
  assert.equal(stopped.code, 1);
  const line = stopped.logs.find((l) => l.rule === 'maxRemovals')!;
  assert.deepEqual([line.removals, line.members, line.limit], [5, 15, 3]);
  assert.match(String(line.msg), /would remove 5 of 15 members, above guard\.maxRemovals \(3\); .*--allow-removals 5/);
  assert.equal(s.org.members.length, 15);

  const tooFew = await s.cli(['run'], { BWDC_ALLOW_REMOVALS: '4' });
  assert.equal(tooFew.code, 1, 'an allowance below the planned removals does not open the gate');
  const ok = await s.cli(['run'], { BWDC_ALLOW_REMOVALS: '5' });
  assert.equal(ok.code, 0, ok.stdout);
  assert.equal(s.org.members.length, 10);
});

test('seats: a sync the subscription cannot cover is refused before bwdc; without the guard the server refuses it late', async () => {
  const s = setup({
    users: [
      { externalId: 'a', email: 'a@corp.example' },
      { externalId: 'b', email: 'b@corp.example' },
      { externalId: 'c', email: 'c@corp.example' },
    ],
    sync: { removeDisabled: true },
    org: (org) => {
      org.addMember({ email: 'a@corp.example', externalId: 'a' });
      org.addMember({ email: 'x@corp.example', status: MemberStatus.revoked }); // takes no seat
      org.seats = 2;
      org.maxAutoScaleSeats = 2;
    },
  });
  const plan = await s.planJson();
  assert.deepEqual(plan.seats, { occupied: 1, free: 1, needed: 1, autoscale: 'refused' });
  assert.equal(plan.failure, 'Seat limit has been reached.');
  const stopped = await s.cli(['run']);
  assert.equal(stopped.code, 1);
  assert.ok(stopped.logs.some((l) => l.rule === 'requireSeats' && l.needed === 1));
  assert.equal(importsOf(s.org), 0, 'the import never reached the server');

  // With the seat check off, bwdc syncs and the server answers what the plan predicted.
  const unguarded = setup({
    users: [
      { externalId: 'a', email: 'a@corp.example' },
      { externalId: 'b', email: 'b@corp.example' },
      { externalId: 'c', email: 'c@corp.example' },
    ],
    sync: { removeDisabled: true },
    guard: { requireSeats: false },
    org: (org) => {
      org.addMember({ email: 'a@corp.example', externalId: 'a' });
      org.seats = 2;
      org.maxAutoScaleSeats = 2;
    },
  });
  const r = await unguarded.cli(['run']);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /Seat limit has been reached\./);
  assert.equal(unguarded.org.members.length, 1, 'the new members were rolled back');
});

test('every sync is one bwdc start whose import the gate judges, whatever the settings (guard.always changes nothing)', async () => {
  for (const guard of [undefined, { always: true }]) {
    const s = setup({ users: [{ externalId: 'a', email: 'a@corp.example' }], guard });
    const r = await s.cli(['run']);
    assert.equal(r.code, 0, r.stdout);
    assert.deepEqual(starts(s.fx), ['sync']);
    assert.ok(r.logs.some((l) => l.msg === 'guard: the import is within the limits'));
    assert.equal(importsOf(s.org), 1);
  }
});

test('the Public API client retries a 503 and reads a self-hosted server without seats', async () => {
  const s = setup({
    users: [{ externalId: 'a', email: 'a@corp.example' }],
    org: (org) => {
      org.selfHosted = true;
    },
  });
  bitwarden.failApiNext = 1;
  const plan = await s.planJson();
  assert.equal(plan.seats, null);
  assert.ok(plan.notes.some((n: string) => /Self-hosted/.test(n)));
  assert.equal(bitwarden.failApiNext, 0, 'the 503 was answered, then retried');
});

// ---- the computation alone ----------------------------------------------------------------------

const settings = baseSettings;

test('computePlan: nothing is sent for an empty directory without overwrite; too big without largeImport fails', () => {
  const report = { groups: [], enabledUsers: [], disabledUsers: [], deletedUsers: [] };
  assert.equal(computePlan(report, settings, emptyOrg).import.sent, false);
  const many = Array.from({ length: 2001 }, (_, i) => ({ externalId: `u${i}`, displayName: `u${i}@x.example` }));
  const big = computePlan({ ...report, enabledUsers: many }, settings, emptyOrg);
  assert.equal(big.failure, 'You cannot import this much data at once.');
  assert.equal(
    computePlan({ ...report, enabledUsers: many }, { ...settings, largeImport: true }, emptyOrg).failure,
    undefined,
  );
});

test('computePlan: members asked to be staged (invitations off) still count as seats: staged only with the server feature on', () => {
  const report = {
    groups: [],
    enabledUsers: [{ externalId: 'n', displayName: 'n@x.example' }],
    disabledUsers: [],
    deletedUsers: [],
  };
  const org: OrganizationState = { ...emptyOrg, subscription: { seats: 0, maxAutoScaleSeats: 0 } };
  assert.equal(computePlan(report, settings, org).seats?.autoscale, 'refused');
  const main = { sendsInviteSetting: true };
  const staged = computePlan(report, { ...settings, inviteUsersAfterProvisioning: false }, org, main);
  assert.equal(staged.seats?.needed, 1);
  assert.equal(staged.seats?.autoscale, 'refused');
  assert.equal(staged.invite[0]?.staged, true);
});

test('guard: the default removal limit is the larger of 10 and 5%; counts and percentages', () => {
  assert.equal(removalLimit(undefined, 40), 10);
  assert.equal(removalLimit(undefined, 1000), 50);
  assert.equal(removalLimit('5%', 1000), 50);
  assert.equal(removalLimit(3, 1000), 3);
  const plan = {
    import: { sent: true, members: 1 },
    remove: new Array(11),
    seats: null,
    directoryManaged: 20,
    members: 40,
  };
  const guard = { maxRemovals: undefined, refuseEmptyDirectory: true, requireSeats: true };
  assert.deepEqual(
    judge(plan, guard).map((b) => b.rule),
    ['maxRemovals'],
  );
  assert.deepEqual(judge(plan, guard, 11), []);
});

test('metrics: the plan changes per instance and the seats, and guard stops by rule', async () => {
  const m = new RunnerMetrics({ defaultMetrics: false });
  m.setInstances(['corp']);
  const report = {
    groups: [{ externalId: 'g', displayName: 'G', userIds: ['a'] }],
    enabledUsers: [{ externalId: 'a', displayName: 'a@x.example' }],
    disabledUsers: [],
    deletedUsers: [],
  };
  const plan = computePlan(
    report,
    { ...settings, overwriteExisting: true },
    {
      ...emptyOrg,
      members: [{ id: '1', email: 'old@x.example', status: 2, type: 2, externalId: 'old' }],
      subscription: { seats: 5, maxAutoScaleSeats: null },
    },
  );
  m.runFinished({
    instance: 'corp',
    outcome: 'failure',
    failureClass: 'guard',
    durationMs: 10,
    endedAt: new Date(),
    users: undefined,
    groups: undefined,
    bwdcCalls: 1,
    lastSuccessAt: undefined,
    plan,
    guardRules: ['maxRemovals'],
  });
  const text = await m.text();
  assert.match(text, /bwdc_runner_plan_changes\{directory="corp",change="invite"\} 1/);
  assert.match(text, /bwdc_runner_plan_changes\{directory="corp",change="remove"\} 1/);
  assert.match(text, /bwdc_runner_seats\{directory="corp",kind="occupied"\} 1/);
  assert.match(text, /bwdc_runner_seats\{directory="corp",kind="free"\} 4/);
  assert.match(text, /bwdc_runner_guard_blocked_total\{directory="corp",rule="maxRemovals"\} 1/);
  assert.match(text, /bwdc_runner_failures_total\{directory="corp",class="guard"\} 1/);
});

test('largeImport: bwdc sends the users in batches, then the groups; the organization ends up as one import would leave it', async () => {
  const users = Array.from({ length: 5 }, (_, i) => ({ externalId: `u${i}`, email: `u${i}@corp.example` }));
  const s = setup({
    users,
    groups: [{ externalId: 'g', name: 'All', members: users.map((u) => u.externalId) }],
    sync: { largeImport: true },
  });
  s.fx.control({
    apiHttp: true,
    batchSize: 2,
    directory: { users, groups: [{ externalId: 'g', name: 'All', members: users.map((u) => u.externalId) }] },
  });
  const r = await s.cli(['run']);
  assert.equal(r.code, 0, r.stdout);
  const sent = s.fx.records().filter((x) => 'import' in x) as unknown as Array<{
    import: { members: number; groups: number };
  }>;
  assert.deepEqual(
    sent.map((x) => [x.import.members, x.import.groups]),
    [
      [2, 0],
      [2, 0],
      [1, 0],
      [0, 1],
    ],
  );
  assert.equal(s.org.members.length, 5);
  assert.equal(s.org.groups[0]!.memberIds.length, 5);
});
