// What an import does to the organization, on paper, step by step as the server applies it:
// bitwarden/server v2026.8.0 src/Api/AdminConsole/Public/Controllers/OrganizationController.cs (Import:
// the 2,000 check, deleted members split off) and src/Core/AdminConsole/OrganizationFeatures/Import/
// ImportOrganizationUsersAndGroupsCommand.cs (ImportAsync: RemoveExistingExternalUsers, OverwriteExisting,
// UpdateExistingUsers, AddNewUsers, ImportGroups; not one transaction). Each step names its method; the
// member steps are in import-steps.ts, groups and seats in seats-and-groups.ts.
// Pure: no I/O; linear in members + groups (every lookup through OrgModel's maps). docs/guard-rails.md.
import type { OrganizationState } from '../bitwarden/public-api.js';
import { OrgModel } from './org-model.js';
import { bwdcImport, type BwdcBuild, type ImportRequest, type SyncSettings } from './bwdc-import.js';
import type { Plan } from './plan-types.js';
import { planGroups, planSeats } from './seats-and-groups.js';
import {
  addNewUsers,
  overwriteExisting,
  removeExistingExternalUsers,
  updateExistingUsers,
  type ImportStep,
} from './import-steps.js';
import type { TestReport } from '../bwdc/response.js';

export type { ImportRequest, SyncSettings } from './bwdc-import.js';

export type { Plan, PlannedMember, RemovalReason } from './plan-types.js';

export function emptyPlan(model: OrgModel): Plan {
  return {
    import: { sent: false, members: 0, deletedMembers: 0, groups: 0, requests: 0 },
    invite: [],
    remove: [],
    link: [],
    skipped: [],
    groups: { create: [], rename: [], membership: [], emptied: [] },
    seats: null,
    failure: undefined,
    duplicateExternalIds: model.duplicateExternalIds,
    directoryManaged: model.directoryManaged,
    members: model.initialMembers,
    memberships: model.initialMemberships,
    notes: [],
  };
}

/** Hints the import does not carry: why bwdc marked a member deleted (removeDisabled). */
export type Hints = { disabled?: ReadonlySet<string> };

const tooMuch = 'You cannot import this much data at once.';

/**
 * Applies one import request to the model and adds what it does to the plan. Returns false when the
 * request fails (plan.failure says why): what the server did before the failure is in the plan and in
 * the model, as on the server.
 */
export function planRequest(model: OrgModel, req: ImportRequest, plan: Plan, hints: Hints = {}): boolean {
  const members = req.members ?? [];
  const groups = req.groups ?? [];
  const live: Array<{ email: string; externalId: string }> = [];
  for (const m of members)
    if (!m.deleted && m.email) live.push({ email: m.email.toLowerCase(), externalId: m.externalId });
  plan.import.sent = true;
  plan.import.requests++;
  plan.import.members += live.length;
  plan.import.deletedMembers += members.length - live.length;
  plan.import.groups += groups.length;
  // OrganizationUserImportData's constructor: ExistingExternalUsers.ToDictionary(u => u.ExternalId) throws on a
  // duplicate, before anything is changed, for every import (an HTTP 500).
  if (model.duplicateExternalIds.length) {
    const d = model.duplicateExternalIds[0]!;
    plan.failure = `An item with the same key has already been added. Key: ${d.externalId}`;
    return false;
  }
  // OrganizationController.Import: cloud only, before anything is changed.
  if (!model.selfHosted && !req.largeImport && (groups.length > 2000 || live.length > 2000)) {
    plan.failure = tooMuch;
    return false;
  }
  const imported = new Set(live.map((m) => m.externalId));
  // The server's ExistingExternalUsers and its id dictionary, as read before step 2. Step 2 does not take
  // its removals out of the dictionary (OverwriteExisting does): they still count as "existing" below.
  const externalAtStart = req.overwriteExisting ? [...model.byExternal.values()] : [];
  const step: ImportStep = { model, plan, imported, ghosts: new Set<string>() };
  removeExistingExternalUsers(step, members, hints);
  if (req.overwriteExisting && !overwriteExisting(step, externalAtStart)) return false;
  if (!updateExistingUsers(step, live)) return false;
  const added = addNewUsers(step, live, req.inviteUsersAfterProvisioning === false);
  if (!planSeats(model, plan, added.length)) return false;
  for (const m of added) model.add(m);
  planGroups(model, groups, plan);
  return true;
}

/** A whole import (bwdc's one request, or its largeImport batches, in order) against the organization. */
export function planRequests(requests: ImportRequest[], org: OrganizationState | OrgModel, hints: Hints = {}): Plan {
  const model = org instanceof OrgModel ? org : new OrgModel(org);
  const plan = emptyPlan(model);
  for (const req of requests) if (!planRequest(model, req, plan, hints)) break;
  return plan;
}

/** `bwdc test`'s view of the directory, turned into the requests bwdc `build` would send, planned. */
export function computePlan(
  report: TestReport,
  sync: SyncSettings,
  org: OrganizationState,
  build: BwdcBuild = { sendsInviteSetting: false },
): Plan {
  const built = bwdcImport(report, sync, build);
  const model = new OrgModel(org);
  const plan = emptyPlan(model);
  plan.notes.push(...built.notes);
  if (built.refused) {
    plan.import.sent = false;
    plan.failure = built.refused;
    return plan;
  }
  for (const req of built.requests) if (!planRequest(model, req, plan, { disabled: built.disabled })) break;
  return plan;
}

/** The changes a plan counts: the keys of planCounts, the label values of bwdc_runner_plan_changes. */
export const planChangeKinds = [
  'invite',
  'remove',
  'link',
  'skip',
  'group_create',
  'group_rename',
  'group_membership',
] as const;

/** Counts per change, for the log line and the metric. */
export function planCounts(plan: Plan): Record<(typeof planChangeKinds)[number], number> {
  return {
    invite: plan.invite.length,
    remove: plan.remove.length,
    link: plan.link.length,
    skip: plan.skipped.length,
    group_create: plan.groups.create.length,
    group_rename: plan.groups.rename.length,
    group_membership: plan.groups.membership.reduce((n, g) => n + g.add.length + g.remove.length, 0),
  };
}
