// The scenarios of upstream's own tests of the import, as cases of the test server (bitwarden-server/
// organization.ts) with the plan run against each: bitwarden/server v2026.8.0
//   test/Api.IntegrationTest/AdminConsole/Import/ImportOrganizationUsersAndGroupsCommandTests.cs (Api)
//   test/Core.Test/AdminConsole/OrganizationFeatures/Import/ImportOrganizationUsersAndGroupsCommandTests.cs (Core)
// Each case: the organization before, the import body, what the server does (test server) and what the
// plan predicts (plan/compute.ts planRequests), which must agree.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planRequests } from '../src/plan/compute.js';
import type { OrganizationState } from '../src/bitwarden/public-api.js';
import {
  ImportError,
  MemberStatus,
  Organization,
  ServerFault,
  type ImportBody,
} from './bitwarden-server/organization.js';

interface Case {
  name: string;
  org: (o: Organization) => void;
  body: ImportBody;
  /** What upstream's test asserts, in this server's terms. */
  expect: {
    removed?: string[];
    invited?: string[];
    staged?: string[];
    linked?: string[];
    failure?: RegExp;
    groups?: Array<[string, string, number]>;
  };
}

const member = (email: string, externalId: string, deleted = false) => ({ email, externalId, deleted });

const cases: Case[] = [
  {
    name: 'Api Import_Existing_Organization_User_Succeeds: a member with an account and no externalId is linked by email, stays Confirmed',
    org: (o) => void o.addMember({ email: 'user@test.com' }),
    body: { members: [member('user@test.com', 'ext-1')], groups: [], overwriteExisting: false, largeImport: false },
    expect: { linked: ['user@test.com'], invited: [] },
  },
  {
    name: 'Api Import_New_Organization_User_Succeeds: a new member is Invited',
    org: () => undefined,
    body: { members: [member('new@test.com', 'ext-new')], groups: [], overwriteExisting: false, largeImport: false },
    expect: { invited: ['new@test.com'], linked: [] },
  },
  {
    name: 'Api Import_New_And_Existing_Organization_Users_Succeeds',
    org: (o) => void o.addMember({ email: 'old@test.com' }),
    body: {
      members: [member('old@test.com', 'ext-old'), member('new@test.com', 'ext-new')],
      groups: [],
      overwriteExisting: false,
      largeImport: false,
    },
    expect: { invited: ['new@test.com'], linked: ['old@test.com'] },
  },
  {
    name: 'Api Import_Existing_Groups_Succeeds: the group is renamed, not added, and gets the imported member',
    org: (o) => void o.addGroup({ name: 'old-name', externalId: 'bwtest-externalId' }),
    body: {
      members: [member('test@test.com', 'bwtest-externalId')],
      groups: [{ name: 'new-name', externalId: 'bwtest-externalId', memberExternalIds: [] }],
      overwriteExisting: false,
      largeImport: false,
    },
    expect: { invited: ['test@test.com'], groups: [['bwtest-externalId', 'new-name', 0]] },
  },
  {
    name: 'Api Import_New_Groups_Succeeds',
    org: () => undefined,
    body: {
      members: [],
      groups: [{ name: 'g', externalId: 'g-1', memberExternalIds: [] }],
      overwriteExisting: false,
      largeImport: false,
    },
    expect: { groups: [['g-1', 'g', 0]] },
  },
  {
    name: 'Api Import_New_And_Existing_Groups_Succeeds',
    org: (o) => void o.addGroup({ name: 'old-name', externalId: 'g-old' }),
    body: {
      members: [],
      groups: [
        { name: 'new-name', externalId: 'g-old', memberExternalIds: [] },
        { name: 'fresh', externalId: 'g-new', memberExternalIds: [] },
      ],
      overwriteExisting: false,
      largeImport: false,
    },
    expect: {
      groups: [
        ['g-old', 'new-name', 0],
        ['g-new', 'fresh', 0],
      ],
    },
  },
  {
    name: 'Core OrgImportCallsInviteOrgUserCommand: new members are invited, existing external ones untouched',
    org: (o) => void o.addMember({ email: 'a@test.com', externalId: 'a' }),
    body: {
      members: [member('a@test.com', 'a'), member('b@test.com', 'b')],
      groups: [],
      overwriteExisting: false,
      largeImport: false,
    },
    expect: { invited: ['b@test.com'], removed: [] },
  },
  {
    name: 'Core OverwriteExistingUsers_WhenRemovingUserWithoutMasterPassword_Throws',
    org: (o) =>
      void o.addMember({
        email: 'nomp@test.com',
        externalId: 'x',
        hasMasterPassword: false,
        status: MemberStatus.invited,
      }),
    body: { members: [], groups: [], overwriteExisting: true, largeImport: false },
    expect: { failure: /Sync failed\. To proceed, disable the 'Remove and re-add users during next sync' setting/ },
  },
  {
    name: 'Core OrgImportCreateNewUsersAndMarryExistingUser: one linked by email, the others invited',
    org: (o) => {
      o.addMember({ email: 'married@test.com' });
      o.addMember({ email: 'kept@test.com', externalId: 'kept' });
    },
    body: {
      members: [
        member('married@test.com', 'married@test.com'),
        member('n1@test.com', 'n1'),
        member('n2@test.com', 'n2'),
      ],
      groups: [],
      overwriteExisting: false,
      largeImport: false,
    },
    expect: { linked: ['married@test.com'], invited: ['n1@test.com', 'n2@test.com'] },
  },
  {
    name: 'Core ImportAsync_InviteUsersAfterProvisioningDisabled_WithFeatureFlag_StagesNewUsers',
    org: () => undefined,
    body: {
      members: [member('s@test.com', 's')],
      groups: [],
      overwriteExisting: false,
      inviteUsersAfterProvisioning: false,
    },
    expect: { staged: ['s@test.com'], invited: [] },
  },
  {
    name: 'Core ImportAsync_InviteUsersAfterProvisioningEnabled_WithFeatureFlag_InvitesNewUsers',
    org: () => undefined,
    body: {
      members: [member('s@test.com', 's')],
      groups: [],
      overwriteExisting: false,
      inviteUsersAfterProvisioning: true,
    },
    expect: { staged: [], invited: ['s@test.com'] },
  },
];

function stateOf(o: Organization): OrganizationState {
  return {
    members: o.members.map((m) => ({
      id: m.id,
      userId: m.userId,
      email: m.email,
      status: m.status,
      type: m.type,
      externalId: m.externalId,
    })),
    groups: o.groups.map((g) => ({ id: g.id, name: g.name, externalId: g.externalId, memberIds: [...g.memberIds] })),
    subscription: undefined,
    selfHosted: false,
  };
}

for (const c of cases)
  test(c.name, () => {
    const org = new Organization('org');
    c.org(org);
    const plan = planRequests([c.body], stateOf(org));
    let failure: string | undefined;
    try {
      org.import(c.body);
    } catch (err) {
      if (!(err instanceof ImportError || err instanceof ServerFault)) throw err;
      failure = err.message;
    }
    const did = org.log.at(-1);
    if (c.expect.failure) {
      assert.match(failure ?? '', c.expect.failure, 'the server');
      assert.match(plan.failure ?? '', c.expect.failure, 'the plan');
      return;
    }
    assert.equal(failure, undefined);
    assert.equal(plan.failure, undefined);
    const both = (what: string, server: string[], planned: string[], expected: string[] | undefined) => {
      if (!expected) return;
      assert.deepEqual([...server].sort(), expected, `server: ${what}`);
      assert.deepEqual([...planned].sort(), expected, `plan: ${what}`);
    };
    const e = c.expect;
    both(
      'invited',
      did!.invited,
      plan.invite.filter((i) => !i.staged).map((i) => i.email),
      e.invited,
    );
    both(
      'staged',
      did!.staged,
      plan.invite.filter((i) => i.staged).map((i) => i.email),
      e.staged,
    );
    both(
      'linked',
      did!.linked,
      plan.link.map((l) => l.email),
      e.linked,
    );
    both(
      'removed',
      did!.removed,
      plan.remove.map((r) => r.email),
      e.removed,
    );
    for (const [externalId, name, size] of c.expect.groups ?? []) {
      const g = org.groups.filter((x) => x.externalId === externalId);
      assert.equal(g.length, 1, `one group ${externalId}`);
      assert.equal(g[0]!.name, name);
      assert.equal(g[0]!.memberIds.length, size);
    }
  });
