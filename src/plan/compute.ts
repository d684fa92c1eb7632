// What an import does to the organization, on paper, step by step as the server applies it:
// bitwarden/server v2026.8.0 src/Api/AdminConsole/Public/Controllers/OrganizationController.cs (Import:
// the 2,000 check, deleted members split off) and src/Core/AdminConsole/OrganizationFeatures/Import/
// ImportOrganizationUsersAndGroupsCommand.cs (ImportAsync: RemoveExistingExternalUsers, OverwriteExisting,
// UpdateExistingUsers, AddNewUsers, ImportGroups; not one transaction). Each step below names its method.
// Pure: no I/O; linear in members + groups (every lookup through OrgModel's maps). docs/guard-rails.md.
import type { OrganizationState } from '../bitwarden/public-api.js';
import { OrgModel, Owner, Status, type ModelMember } from './org-model.js';
import { bwdcImport, type BwdcBuild, type ImportRequest, type SyncSettings } from './bwdc-import.js';
import type { TestReport } from '../bwdc/response.js';

export type { ImportRequest, SyncSettings } from './bwdc-import.js';

export interface PlannedMember {
  email: string;
  externalId: string;
}

export type RemovalReason = 'overwrite' | 'deleted' | 'disabled';

export interface Plan {
  /** Whether bwdc would send an import at all, its size, and in how many requests. */
  import: { sent: boolean; members: number; deletedMembers: number; groups: number; requests: number };
  invite: Array<PlannedMember & { staged: boolean }>;
  remove: Array<PlannedMember & { reason: RemovalReason }>;
  link: PlannedMember[];
  skipped: Array<PlannedMember & { reason: string }>;
  groups: {
    create: Array<{ name: string; externalId: string }>;
    rename: Array<{ externalId: string; from: string; to: string }>;
    membership: Array<{ name: string; externalId: string; add: string[]; remove: string[] }>;
    /** Groups that had members and would have none (guard.refuseEmptiedGroups). */
    emptied: Array<{ name: string; externalId: string; members: number }>;
  };
  /**
   * null: no seat limit, or the server does not say (self-hosted). 'unknown': the outcome depends on
   * what the Public API does not show (sponsorships, provider billing); requireSeats treats it as refused.
   */
  seats: {
    occupied: number;
    free: number;
    needed: number;
    autoscale: 'not needed' | 'covered' | 'unknown' | 'refused';
  } | null;
  /** The import as a whole would fail with this message (the server's, or bwdc's). */
  failure: string | undefined;
  /** External ids two or more members hold: the server fails every import with them (HTTP 500). */
  duplicateExternalIds: Array<{ externalId: string; emails: string[] }>;
  /** Members the directory manages now (non-owners with an external id): what an empty import removes. */
  directoryManaged: number;
  members: number;
  /** Memberships of the organization's groups with an external id, before the sync (maxMembershipRemovals "P%"). */
  memberships: number;
  notes: string[];
}

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
const overwriteRefused =
  "Sync failed. To proceed, disable the 'Remove and re-add users during next sync' setting and try again.";

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
  const ghosts = new Set<string>();
  const drop = (m: ModelMember, reason: RemovalReason) => {
    model.remove(m);
    plan.remove.push({ email: m.email, externalId: m.externalId ?? '', reason });
  };
  // RemoveExistingExternalUsers: deleted members, unless also imported live; never Owners; any status.
  for (const d of members) {
    if (!d.deleted || imported.has(d.externalId)) continue;
    const m = model.byExternal.get(d.externalId);
    if (m && m.type !== Owner) {
      drop(m, hints.disabled?.has(d.externalId) ? 'disabled' : 'deleted');
      ghosts.add(d.externalId);
    }
  }
  // OverwriteExisting: every non-owner with an externalId not imported; refused as a whole when one of
  // them has no master password (an Invited or Staged member has no account; SSO/TDE users neither).
  if (req.overwriteExisting) {
    const doomed = externalAtStart.filter((m) => m.type !== Owner && !imported.has(m.externalId!));
    const noAccount = doomed.filter(
      (m) => m.status === Status.invited || m.status === Status.staged || m.userId === null,
    );
    if (noAccount.length) {
      plan.failure = overwriteRefused;
      plan.notes.push(
        `The server refuses the overwrite: ${noAccount.length} member(s) it would remove have no master password ` +
          `(invited or staged, no account yet): ${sample(noAccount.map((m) => m.email))}. ` +
          'The deleted members above are removed before that.',
      );
      return false;
    }
    for (const m of doomed) {
      ghosts.delete(m.externalId!);
      if (model.byId.has(m.id)) drop(m, 'overwrite');
    }
    if (doomed.length)
      plan.notes.push(
        'overwriteExisting: a removed member who signs in with SSO and trusted devices (no master password) ' +
          'makes the server refuse the whole import; the Public API does not say who does.',
      );
  }
  // UpdateExistingUsers: members without an externalId are linked by email; the new externalId is added
  // to the server's dictionary, which throws on one it already holds (an email change whose new address
  // was invited by hand), and then none of the links is saved (they are saved after the loop).
  // The email dictionary is keyed by the email as stored and compared exactly, the import's are lowercased:
  // a member stored as "Alice@corp.example" is not linked (and, below, not invited either).
  const links: Array<[ModelMember, string]> = [];
  for (const i of live) {
    const m = model.byEmail.get(i.email);
    if (!m || m.externalId || (m.storedEmail ?? m.email) !== i.email) continue;
    const holder = model.byExternal.get(i.externalId);
    if (holder || ghosts.has(i.externalId)) {
      plan.failure = `An item with the same key has already been added. Key: ${i.externalId}`;
      plan.notes.push(
        `The server fails the import (HTTP 500): ${i.email} would be linked to external id ${i.externalId}, ` +
          `which ${holder ? `already belongs to ${holder.email}` : 'was just removed'} ` +
          '(an email change to an address invited by hand). Remove one of the two members, ' +
          'or give the hand-invited one no directory entry.',
      );
      return false;
    }
    links.push([m, i.externalId]);
  }
  for (const [m, externalId] of links) {
    model.link(m, externalId);
    plan.link.push({ email: m.email, externalId });
  }
  // AddNewUsers: imported externalIds the dictionary does not hold; an email already in the organization
  // is dropped by the invitation. Staged (no invitation, no seat) only when asked for AND the server's
  // PM34423StagedStatus feature flag is on, which the Public API does not show: counted as seats.
  const staged = req.inviteUsersAfterProvisioning === false;
  const added: ModelMember[] = [];
  const joining = new Set<string>();
  for (const i of live) {
    if (model.byExternal.has(i.externalId) || ghosts.has(i.externalId) || joining.has(i.externalId)) continue;
    const holder = model.byEmail.get(i.email);
    if (holder) {
      const cased = !holder.externalId && holder.storedEmail !== undefined && holder.storedEmail !== i.email;
      plan.skipped.push({
        email: i.email,
        externalId: i.externalId,
        reason: cased
          ? `the email is already a member's, stored as "${holder.storedEmail}": the server links only an exact ` +
            'email and invites no known one, so this member stays unlinked (store the email in lowercase to link it)'
          : `the email is already a member's${holder.externalId ? ` (external id ${holder.externalId})` : ''}`,
      });
      continue;
    }
    joining.add(i.externalId);
    plan.invite.push({ email: i.email, externalId: i.externalId, staged });
    added.push({
      id: `new:${i.externalId}`,
      email: i.email,
      externalId: i.externalId,
      status: Status.invited,
      type: 2,
      userId: null,
    });
  }
  noteOnce(
    plan,
    staged && added.length > 0,
    'New members are sent with inviteUsersAfterProvisioning false: invited, or staged (no invitation, no seat) ' +
      "if the server's staged-users feature is on; the Public API does not say which, so they count as seats here.",
  );
  noteOnce(
    plan,
    added.length > 0,
    'An organization with standalone Secrets Manager gives every invited member Secrets Manager access, and so ' +
      'a Secrets Manager seat; the Public API does not show it, so the plan cannot count those seats.',
  );
  if (!planSeats(model, plan, added.length)) return false;
  for (const m of added) model.add(m);
  planGroups(model, groups, plan);
  return true;
}

/** The seat check of the invitation (InviteUsersAsync): the new members beyond the free seats autoscale. */
function planSeats(model: OrgModel, plan: Plan, newSeats: number): boolean {
  if (model.seats === null) {
    if (model.selfHosted && !plan.notes.some((n) => n.startsWith('Self-hosted')))
      plan.notes.push(
        'Self-hosted: the server does not report seats here; an import beyond them fails ("Cannot autoscale on self-hosted instance.").',
      );
    return true;
  }
  const after = model.occupied + newSeats;
  const needed = Math.max(0, after - model.seats);
  const refused = needed > 0 && model.maxAutoScaleSeats !== null && model.seats + needed > model.maxAutoScaleSeats;
  const previous = plan.seats;
  const autoscale = needed === 0 ? 'not needed' : refused ? 'refused' : 'unknown';
  plan.seats = {
    occupied: previous?.occupied ?? model.initialOccupied,
    free: previous?.free ?? Math.max(0, model.seats - model.initialOccupied),
    needed: (previous?.needed ?? 0) + needed,
    autoscale: previous?.autoscale === 'refused' || previous?.autoscale === 'unknown' ? previous.autoscale : autoscale,
  };
  if (newSeats > 0 && !plan.notes.some((n) => n.startsWith('Seats:')))
    plan.notes.push(
      'Seats: the Public API shows neither admin-initiated sponsorships (they occupy seats) nor whether a ' +
        'provider (MSP) bills the organization (then it cannot autoscale): an import that needs more seats ' +
        'than the free ones has an outcome the plan cannot know.',
    );
  if (refused) {
    plan.failure = 'Seat limit has been reached.';
    plan.notes.push(
      'The seat check fails after the removals and links are done: they stay, new members and groups do not.',
    );
    return false;
  }
  model.seats += needed;
  return true;
}

/** ImportGroups: matched by externalId, created or renamed, members REPLACED by the resolved ids. */
function planGroups(model: OrgModel, groups: NonNullable<ImportRequest['groups']>, plan: Plan): void {
  for (const g of groups) {
    let current = model.groupsByExternal.get(g.externalId);
    if (!current) {
      plan.groups.create.push({ name: g.name, externalId: g.externalId });
      current = { id: `new:${g.externalId}`, name: g.name, externalId: g.externalId, memberIds: new Set() };
      model.groupsByExternal.set(g.externalId, current);
    } else if (current.name !== g.name) {
      plan.groups.rename.push({ externalId: g.externalId, from: current.name, to: g.name });
      current.name = g.name;
    }
    const want = new Map<string, string>();
    for (const e of g.memberExternalIds ?? []) {
      const m = model.byExternal.get(e);
      if (m) want.set(m.id, e);
    }
    const label = (id: string) => {
      const m = model.byId.get(id)!;
      return m.externalId ?? `${m.email} (no external id)`;
    };
    const add = [...want.keys()].filter((id) => !current.memberIds.has(id)).map(label);
    // Members the import removed leave their groups anyway: only the ones that stay are counted.
    const remove = [...current.memberIds].filter((id) => model.byId.has(id) && !want.has(id)).map(label);
    if (add.length || remove.length)
      plan.groups.membership.push({ name: g.name, externalId: g.externalId, add, remove });
    // Had members (hand-added ones and ones the import removes included), would have none.
    const had = current.memberIds.size;
    if (had > 0 && want.size === 0 && !plan.groups.emptied.some((e) => e.externalId === g.externalId))
      plan.groups.emptied.push({ name: g.name, externalId: g.externalId, members: had });
    current.memberIds = new Set(want.keys());
  }
}

function noteOnce(plan: Plan, when: boolean, note: string): void {
  if (when && !plan.notes.includes(note)) plan.notes.push(note);
}

const sample = (emails: string[]): string =>
  emails.slice(0, 5).join(', ') + (emails.length > 5 ? ` and ${emails.length - 5} more` : '');

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
