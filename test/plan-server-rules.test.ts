// Each rule where the plan used to predict a different server than the real one (issue 25, item 4),
// against the test server's rule, which cites bitwarden/server v2026.8.0 (bitwarden-server/
// organization.ts), and bwdc's behaviour, which cites bitwarden/directory-connector v2026.6.1 and main
// (bwdc-double/double.mjs): the plan's prediction, then what the server really did.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computePlan, type SyncSettings } from '../src/plan/compute.js';
import { MemberStatus } from './bitwarden-server/organization.js';
import { bitwarden } from './helpers/fixture.js';
import { baseSettings, emptyOrg, setup } from './helpers/plan-setup.js';

const newcomer = [
  { externalId: 'a', email: 'a@corp.example' },
  { externalId: 'n', email: 'n@corp.example' },
];
const oneSeatTaken = (org: import('./bitwarden-server/organization.js').Organization) => {
  org.addMember({ email: 'a@corp.example', externalId: 'a' });
  org.seats = 1;
  org.maxAutoScaleSeats = 1;
};

test('v2026.6.1 never sends inviteUsersAfterProvisioning: the new member is invited and takes a seat, so requireSeats stops it', async () => {
  const s = setup({ users: newcomer, sync: { inviteUsersAfterProvisioning: false }, org: oneSeatTaken });
  const plan = await s.planJson();
  assert.equal(plan.invite[0].staged, false, 'the server default applies');
  assert.equal(plan.seats.autoscale, 'refused');
  assert.equal(plan.guard.wouldStop, true);
  assert.ok(plan.notes.some((n: string) => /never sends it/.test(n)));
  // Without the guard, the server does what the plan said: an invitation, refused for want of a seat.
  const unguarded = setup({
    users: newcomer,
    sync: { inviteUsersAfterProvisioning: false },
    guard: { requireSeats: false },
    org: oneSeatTaken,
  });
  const r = await unguarded.cli(['run']);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /Seat limit has been reached/);
});

// bitwarden/server main ImportOrganizationUsersAndGroupsCommand.cs AddNewUsers: StageNewUsers only when
// !inviteUsersAfterProvisioning && _featureService.IsEnabled(FeatureFlagKeys.PM34423StagedStatus); else invited.
for (const flag of [true, false])
  test(`main sends inviteUsersAfterProvisioning: false, staged-users feature ${flag ? 'on' : 'off'}: the plan says "invited, or staged" and counts a seat; the server ${flag ? 'stages (no seat)' : 'invites (a seat)'}`, async () => {
    const capped = setup({
      users: newcomer,
      sync: { inviteUsersAfterProvisioning: false },
      org: (org) => {
        oneSeatTaken(org);
        org.stagedUsers = flag;
      },
      control: { build: 'main' },
    });
    const plan = await capped.planJson();
    assert.equal(plan.invite[0].staged, true, 'asked to be staged');
    assert.equal(plan.seats.needed, 1, 'counted as a seat: the Public API does not show the feature flag');
    assert.equal(plan.guard.wouldStop, true, 'requireSeats counts them');
    assert.ok(
      plan.notes.some((n: string) => /invited, or staged .* if the server's staged-users feature is on/.test(n)),
    );
    const s = setup({
      users: newcomer,
      sync: { inviteUsersAfterProvisioning: false },
      org: (org) => {
        org.addMember({ email: 'a@corp.example', externalId: 'a' });
        org.seats = 2;
        org.maxAutoScaleSeats = 2;
        org.stagedUsers = flag;
      },
      control: { build: 'main' },
    });
    const r = await s.cli(['run']);
    assert.equal(r.code, 0, r.stdout);
    const n = s.org.members.find((m) => m.email === 'n@corp.example')!;
    assert.equal(n.status, flag ? MemberStatus.staged : MemberStatus.invited);
  });

test('overwriteExisting with an invited member to remove: the server refuses the import after removing the deleted members; the plan says so', async () => {
  const s = setup({
    users: [
      { externalId: 'a', email: 'a@corp.example' },
      { externalId: 'd', email: 'd@corp.example', deleted: true },
    ],
    sync: { overwriteExisting: true },
    org: (org) => {
      org.addMember({ email: 'a@corp.example', externalId: 'a' });
      org.addMember({ email: 'd@corp.example', externalId: 'd' });
      org.addMember({ email: 'i@corp.example', externalId: 'i', status: MemberStatus.invited });
    },
  });
  const plan = await s.planJson();
  assert.deepEqual(
    plan.remove.map((r: { email: string; reason: string }) => `${r.email}:${r.reason}`),
    ['d@corp.example:deleted'],
  );
  assert.match(plan.failure, /Sync failed\. To proceed, disable the 'Remove and re-add users/);
  assert.ok(plan.notes.some((n: string) => /i@corp\.example/.test(n)));
  const r = await s.cli(['run']);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /Sync failed\. To proceed/);
  assert.deepEqual(
    s.org.members.map((m) => m.email).sort(),
    ['a@corp.example', 'i@corp.example'],
    'd@ is gone all the same',
  );
});

test('an email change to a hand-invited address: the server fails on the duplicate externalId; the plan says so', async () => {
  const s = setup({
    users: [{ externalId: 'u1', email: 'new@corp.example' }],
    org: (org) => {
      org.addMember({ email: 'old@corp.example', externalId: 'u1' });
      org.addMember({ email: 'new@corp.example', status: MemberStatus.invited });
    },
  });
  const plan = await s.planJson();
  assert.match(plan.failure, /same key has already been added\. Key: u1/);
  assert.deepEqual(plan.link, []);
  const r = await s.cli(['run']);
  assert.equal(r.code, 1);
  const last = bitwarden.imports.filter((i) => i.orgId === s.org.id);
  assert.equal(last.length, 1);
  assert.equal(s.org.members.find((m) => m.email === 'new@corp.example')?.externalId, null, 'nothing linked');
});

test('refuseEmptyDirectory does not stop a groups-only instance (users: false) that removes nobody', async () => {
  const s = setup({
    users: [{ externalId: 'a', email: 'a@corp.example' }],
    groups: [{ externalId: 'g', name: 'G', members: ['a'] }],
    sync: { users: false },
    org: (org) => {
      org.addMember({ email: 'a@corp.example', externalId: 'a' });
      org.addMember({ email: 'b@corp.example', externalId: 'b' });
    },
  });
  const plan = await s.planJson();
  assert.equal(plan.import.members, 0);
  assert.equal(plan.guard.wouldStop, false);
  const r = await s.cli(['run']);
  assert.equal(r.code, 0, r.stdout);
  assert.equal(s.org.groups[0]!.memberIds.length, 1);
});

test('seats the Public API cannot show: a provider-billed organization cannot autoscale; the plan cannot know, requireSeats stops', async () => {
  const s = setup({
    users: newcomer,
    org: (org) => {
      org.addMember({ email: 'a@corp.example', externalId: 'a' });
      org.seats = 1;
      org.maxAutoScaleSeats = null;
      org.providerManaged = true;
    },
  });
  const plan = await s.planJson();
  assert.equal(plan.seats.autoscale, 'unknown');
  assert.deepEqual(
    plan.guard.breaches.map((b: { rule: string }) => b.rule),
    ['requireSeats'],
  );
  const r = await s.cli(['run']);
  assert.equal(r.code, 1);
  assert.equal(r.logs.find((l) => l.outcome === 'failure')!.failureClass, 'guard');
  assert.equal(s.org.members.length, 1);
  // The sponsorship case: the visible count fits the cap, the sponsorship does not.
  const sponsored = setup({
    users: newcomer,
    guard: { requireSeats: false },
    org: (org) => {
      org.addMember({ email: 'a@corp.example', externalId: 'a' });
      org.seats = 1;
      org.maxAutoScaleSeats = 2;
      org.sponsorships = 1;
    },
  });
  const p2 = await sponsored.planJson();
  assert.equal(p2.seats.autoscale, 'unknown', 'one more seat is within the cap as far as the Public API shows');
  const r2 = await sponsored.cli(['run']);
  assert.match(r2.stdout, /Seat limit has been reached/, 'the sponsorship took the seat the cap allowed');
});

const settings: SyncSettings = { ...baseSettings, overwriteExisting: true, largeImport: true };

test('bwdc batches, and refuses overwriteExisting, when groups + users exceed 2,000 (not users alone)', () => {
  const users = Array.from({ length: 1500 }, (_, i) => ({ externalId: `u${i}`, displayName: `u${i}@x.example` }));
  const groups = Array.from({ length: 600 }, (_, i) => ({ externalId: `g${i}`, displayName: `G${i}`, userIds: [] }));
  const report = { groups, enabledUsers: users, disabledUsers: [], deletedUsers: [] };
  const refused = computePlan(report, settings, emptyOrg);
  assert.match(
    refused.failure!,
    /cannot use the 'Remove and re-add organization users during the next sync' option with large imports/,
  );
  assert.equal(refused.import.sent, false);
  const batched = computePlan(report, { ...settings, overwriteExisting: false }, emptyOrg);
  assert.equal(batched.import.requests, 2, 'users, then groups');
  assert.equal(batched.invite.length, 1500);
  assert.equal(batched.groups.create.length, 600);
});

// bitwarden/server main ImportOrganizationUsersAndGroupsCommand.cs UpdateExistingUsers: existingUsersEmailsDict
// = ExistingUsers.Where(no ExternalId).ToDictionary(u => u.Email), the default (ordinal) comparer, against the
// lowercased imported emails; the invitation then skips the known email whatever its case
// (OrganizationService.cs InviteUsersAsync, InvariantCultureIgnoreCase).
test('a member stored with a different case is neither linked nor invited: the plan says so, the server agrees', async () => {
  const s = setup({
    users: [{ externalId: 'alice', email: 'alice@corp.example' }],
    org: (org) => org.addMember({ email: 'Alice@Corp.example', externalId: null }),
  });
  const plan = await s.planJson();
  assert.deepEqual(plan.link, [], 'no link predicted');
  assert.deepEqual(plan.invite, []);
  assert.equal(plan.skipped.length, 1);
  assert.match(plan.skipped[0].reason, /stored as "Alice@Corp\.example": the server links only an exact email/);
  const r = await s.cli(['run']);
  assert.equal(r.code, 0, r.stdout);
  assert.equal(s.org.members.length, 1);
  assert.equal(s.org.members[0]!.externalId, null, 'not linked');
  // Stored in lowercase, the same member is linked.
  const exact = setup({
    users: [{ externalId: 'alice', email: 'alice@corp.example' }],
    org: (org) => org.addMember({ email: 'alice@corp.example', externalId: null }),
  });
  assert.deepEqual(
    (await exact.planJson()).link.map((l: { externalId: string }) => l.externalId),
    ['alice'],
  );
  assert.equal((await exact.cli(['run'])).code, 0);
  assert.equal(exact.org.members[0]!.externalId, 'alice');
});

// OrganizationUserImportData.cs: ExistingExternalUsers.ToDictionary(u => u.ExternalId) throws on a duplicate:
// every import fails with an HTTP 500. plan and check name it with the fix; the gate sends nothing.
test('duplicate external ids in the organization: named by plan with the fix, the sync refused before anything is sent; the server would fail it', async () => {
  const org = (o: import('./bitwarden-server/organization.js').Organization) => {
    o.addMember({ email: 'a@corp.example', externalId: 'dup' });
    o.addMember({ email: 'b@corp.example', externalId: 'dup' });
  };
  const users = [{ externalId: 'n', email: 'n@corp.example' }];
  const s = setup({ users, org });
  const plan = await s.planJson();
  assert.equal(plan.guard.wouldStop, true);
  const breach = plan.guard.breaches.find((b: { rule: string }) => b.rule === 'duplicateExternalIds');
  assert.match(breach.message, /dup \(a@corp\.example, b@corp\.example\).*HTTP 500.*remove the duplicate member/);
  const r = await s.cli(['run']);
  assert.equal(r.code, 1, r.stdout);
  assert.equal(r.logs.find((l) => l.outcome === 'failure')!.failureClass, 'guard');
  assert.equal(bitwarden.imports.filter((i) => i.orgId === s.org.id).length, 0, 'nothing sent');
  // What the server does with it: a 500 for any import.
  assert.throws(() => s.org.import({ members: [], groups: [], overwriteExisting: false }), /same key/);
  // check names it too, with the fix, before any sync.
  const check = await s.cli(['check', '--json']);
  assert.equal(check.code, 2, check.stdout + check.stderr);
  const step = JSON.parse(check.stdout).instances[0].steps.find((x: { step: string }) => x.step === 'public-api');
  assert.equal(step.status, 'failed');
  assert.match(step.detail, /dup \(a@corp\.example, b@corp\.example\).*remove the duplicate member/);
});

// AddNewUsers: AccessSecretsManager = HasSecretsManagerStandalone(organization) on every invitation.
test('standalone Secrets Manager: invited members also take Secrets Manager seats, which the plan notes it cannot see', async () => {
  const s = setup({ users: newcomer, org: (o) => (o.secretsManagerStandalone = true) });
  const plan = await s.planJson();
  assert.ok(plan.notes.some((n: string) => /standalone Secrets Manager/.test(n)));
  assert.equal((await s.cli(['run'])).code, 0);
  assert.deepEqual(s.org.secretsManagerInvites.sort(), ['a@corp.example', 'n@corp.example']);
});
