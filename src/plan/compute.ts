// What a sync would do to the organization: `bwdc test`'s view of the directory, turned into the import
// bwdc would send, applied on paper to the organization as the Public API shows it, step by step as the
// server applies an import (docs/upstream/bitwarden-server.md "What an import does"). Pure: no I/O.
import type { TestReport, TestUser } from '../bwdc/response.js';
import type { OrganizationState } from '../bitwarden/public-api.js';

export interface SyncSettings {
  users: boolean;
  groups: boolean;
  overwriteExisting: boolean;
  removeDisabled: boolean;
  largeImport: boolean;
  inviteUsersAfterProvisioning: boolean;
}

export interface PlannedMember {
  email: string;
  externalId: string;
}

export type RemovalReason = 'overwrite' | 'deleted' | 'disabled';

export interface Plan {
  /** Whether bwdc would send an import at all, and its size. */
  import: { sent: boolean; members: number; deletedMembers: number; groups: number };
  invite: Array<PlannedMember & { staged: boolean }>;
  remove: Array<PlannedMember & { reason: RemovalReason }>;
  link: PlannedMember[];
  skipped: Array<PlannedMember & { reason: string }>;
  groups: {
    create: Array<{ name: string; externalId: string }>;
    rename: Array<{ externalId: string; from: string; to: string }>;
    membership: Array<{ name: string; externalId: string; add: string[]; remove: string[] }>;
  };
  /** null: the organization has no seat limit, or the server does not say (self-hosted). */
  seats: { occupied: number; free: number; needed: number; autoscale: 'not needed' | 'covered' | 'refused' } | null;
  /** The import as a whole would fail with this message (the server's). */
  failure: string | undefined;
  /** Members the directory manages now (non-owners with an external id): what an empty import removes. */
  directoryManaged: number;
  members: number;
  notes: string[];
}

const emailOf = (u: TestUser): string | undefined => {
  const v = u.displayName.trim().toLowerCase();
  return v.includes('@') && v.length <= 256 ? v : undefined;
};

export function computePlan(report: TestReport, sync: SyncSettings, org: OrganizationState): Plan {
  const notes: string[] = [
    '`bwdc test` reads the whole directory; a delta sync may send less (unless overwriteExisting), ' +
      'and AD deleted objects (recycle bin) are sent only when forced or overwriting.',
    'bwdc sends nothing when the payload is unchanged since the last sync (its hash in data.json).',
  ];
  // The import bwdc builds (docs/upstream/bwdc.md "The import bwdc sends"): no email, no member.
  type Imported = PlannedMember & { deleted: boolean; disabled: boolean };
  const imported: Imported[] = [];
  if (sync.users) {
    const add = (list: TestUser[], disabled: boolean, deleted: boolean) => {
      for (const u of list) {
        const email = emailOf(u);
        if (email)
          imported.push({
            email,
            externalId: u.externalId,
            disabled,
            deleted: deleted || (disabled && sync.removeDisabled),
          });
      }
    };
    add(report.enabledUsers, false, false);
    add(report.disabledUsers, true, false);
    add(report.deletedUsers, false, true);
  }
  const groups = sync.groups ? report.groups : [];
  const live = imported.filter((m) => !m.deleted);
  const sent = imported.length > 0 || groups.length > 0 || sync.overwriteExisting;
  const directoryManaged = org.members.filter((m) => m.externalId && m.type !== 0).length;
  const plan: Plan = {
    import: { sent, members: live.length, deletedMembers: imported.length - live.length, groups: groups.length },
    invite: [],
    remove: [],
    link: [],
    skipped: [],
    groups: { create: [], rename: [], membership: [] },
    seats: null,
    failure: undefined,
    directoryManaged,
    members: org.members.length,
    notes,
  };
  if (!sent) return plan;
  if (!org.selfHosted && !sync.largeImport && (groups.length > 2000 || live.length > 2000)) {
    plan.failure = 'You cannot import this much data at once.';
    return plan;
  }
  // With largeImport, bwdc sends more than 2,000 users in batches, and refuses to when overwriting.
  if (sync.largeImport && imported.length > 2000) {
    if (sync.overwriteExisting) {
      plan.failure =
        "bwdc refuses it: You cannot use the 'Remove and re-add organization users during the next sync' option with large imports.";
      return plan;
    }
    notes.push(`largeImport: bwdc sends the ${imported.length} users in batches of 2,000, then the groups.`);
  }

  const remaining = org.members.map((m) => ({ ...m, email: m.email.toLowerCase() }));
  const drop = (m: (typeof remaining)[number], reason: RemovalReason) => {
    remaining.splice(remaining.indexOf(m), 1);
    plan.remove.push({ email: m.email, externalId: m.externalId ?? '', reason });
  };
  // 2. deleted members (and disabled ones, with removeDisabled)
  for (const d of imported.filter((m) => m.deleted)) {
    const m = remaining.find((x) => x.externalId === d.externalId);
    if (m && m.type !== 0) drop(m, d.disabled ? 'disabled' : 'deleted');
  }
  // 3. overwriteExisting
  if (sync.overwriteExisting) {
    const ids = new Set(imported.map((m) => m.externalId));
    for (const m of remaining.filter((x) => x.externalId && x.type !== 0 && !ids.has(x.externalId)))
      drop(m, 'overwrite');
  }
  // 4. linking by email
  for (const i of live) {
    const m = remaining.find((x) => !x.externalId && x.email === i.email);
    if (m && !remaining.some((x) => x.externalId === i.externalId)) {
      m.externalId = i.externalId;
      plan.link.push({ email: i.email, externalId: i.externalId });
    }
  }
  // 5. new members; an email already in the organization is skipped silently by the server
  const staged = !sync.inviteUsersAfterProvisioning;
  const joining = new Set<string>();
  for (const i of live) {
    if (remaining.some((x) => x.externalId === i.externalId)) continue;
    const holder = remaining.find((x) => x.email === i.email);
    if (holder) {
      plan.skipped.push({
        email: i.email,
        externalId: i.externalId,
        reason: `the email is already a member's${holder.externalId ? ` (external id ${holder.externalId})` : ''}`,
      });
      continue;
    }
    plan.invite.push({ email: i.email, externalId: i.externalId, staged });
    joining.add(i.externalId);
  }
  // 6. seats: members taking one after the removals, plus the invited (staged ones take none)
  const sub = org.subscription;
  if (sub && sub.seats !== null) {
    // Invited, accepted and confirmed members take a seat; staged and revoked ones do not.
    const takesSeat = (m: { status: number }) => m.status >= 0 && m.status <= 2;
    const occupied = org.members.filter(takesSeat).length;
    const after = remaining.filter(takesSeat).length + (staged ? 0 : plan.invite.length);
    const needed = Math.max(0, after - sub.seats);
    const refused = needed > 0 && sub.maxAutoScaleSeats !== null && sub.seats + needed > sub.maxAutoScaleSeats;
    plan.seats = {
      occupied,
      free: Math.max(0, sub.seats - occupied),
      needed,
      autoscale: needed === 0 ? 'not needed' : refused ? 'refused' : 'covered',
    };
    if (refused) {
      plan.failure = 'Seat limit has been reached.';
      notes.push(
        'The seat check fails after the removals and links are done: they stay, new members and groups do not.',
      );
    }
  } else if (org.selfHosted) {
    notes.push(
      'Self-hosted: the server does not report seats here; an import beyond them fails ("Cannot autoscale on self-hosted instance.").',
    );
  }
  // 7. groups: matched by external id, created or renamed, members replaced
  if (plan.failure) return plan;
  const idOf = new Map(remaining.filter((m) => m.externalId).map((m) => [m.id, m.externalId!]));
  const present = new Set([...remaining.map((m) => m.externalId).filter(Boolean), ...joining]);
  // Members the import removes leave their groups anyway: only the ones that stay are counted.
  const staying = new Set(remaining.map((m) => m.id));
  for (const g of groups) {
    const current = org.groups.find((x) => x.externalId === g.externalId);
    if (!current) plan.groups.create.push({ name: g.displayName, externalId: g.externalId });
    else if (current.name !== g.displayName)
      plan.groups.rename.push({ externalId: g.externalId, from: current.name, to: g.displayName });
    const want = new Set(g.userIds.filter((id) => present.has(id)));
    const have = new Set(
      (current?.memberIds ?? [])
        .filter((id) => staying.has(id))
        .map((id) => idOf.get(id) ?? `${remaining.find((m) => m.id === id)!.email} (no external id)`),
    );
    const add = [...want].filter((id) => !have.has(id));
    const remove = [...have].filter((id) => !want.has(id));
    if (add.length || remove.length)
      plan.groups.membership.push({ name: g.displayName, externalId: g.externalId, add, remove });
  }
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
