// The import requests bwdc builds from a directory read, for `plan` (which sees the directory through
// `bwdc test`). bitwarden/directory-connector v2026.6.1 libs/services/sync.service.ts (sync,
// filterUnsupportedUsers, buildRequest: batched when largeImport and groups + users > batchSize 2,000),
// libs/services/single-request-builder.ts and batch-request-builder.ts (users in batches of 2,000, then
// groups; overwriteExisting refused when batching; deleted = deleted || (removeDisabled && disabled)).
// On main (d9afa86, "Staged Users") both builders also send inviteUsersAfterProvisioning; v2026.6.1 never
// does, so the server's default (true: invite, take a seat) applies. docs/guard-rails.md.
import type { TestReport, TestUser } from '../bwdc/response.js';

/** POST /public/organization/import's body (OrganizationImportRequestModel, bitwarden/server v2026.8.0). */
export interface ImportRequest {
  groups?: Array<{ name: string; externalId: string; memberExternalIds?: string[] | null }> | null;
  members?: Array<{ email?: string | null; externalId: string; deleted?: boolean }> | null;
  overwriteExisting: boolean;
  largeImport?: boolean;
  /** Absent: the server's default, true (bwdc v2026.6.1 never sends it). */
  inviteUsersAfterProvisioning?: boolean;
}

export interface SyncSettings {
  users: boolean;
  groups: boolean;
  overwriteExisting: boolean;
  removeDisabled: boolean;
  largeImport: boolean;
  /** data.json's sync.inviteUsersAfterProvisioning (absent reads as true: main's state migration 8). */
  inviteUsersAfterProvisioning: boolean;
}

/** What the bwdc in use does that differs between builds (bwdc/capabilities.ts finds it out). */
export interface BwdcBuild {
  /** main: the import carries inviteUsersAfterProvisioning; v2026.6.1: it never does. */
  sendsInviteSetting: boolean;
}

export const batchSize = 2000;

export interface BuiltImport {
  /** In the order bwdc sends them, each awaited; empty when bwdc sends nothing. */
  requests: ImportRequest[];
  /** bwdc refuses before sending anything. */
  refused: string | undefined;
  /** External ids marked deleted because they are disabled (removeDisabled). */
  disabled: Set<string>;
  notes: string[];
}

/** bwdc sends a user's email as its displayName in `bwdc test`; none (a reference id) or > 256: dropped. */
const emailOf = (u: TestUser): string | undefined => {
  const v = u.displayName.trim().toLowerCase();
  return v.includes('@') && v.length <= 256 ? v : undefined;
};

export function bwdcImport(report: TestReport, sync: SyncSettings, build: BwdcBuild): BuiltImport {
  const notes = [
    '`bwdc test` reads the whole directory; a delta sync may send less (unless overwriteExisting), and AD ' +
      'deleted objects (recycle bin) are sent only when forced or overwriting. A `run` judges the import ' +
      'bwdc actually sends (the import gate).',
    'bwdc sends nothing when the payload is unchanged since the last sync (its hash in data.json).',
  ];
  const disabled = new Set<string>();
  const members: NonNullable<ImportRequest['members']> = [];
  if (sync.users) {
    const add = (list: TestUser[], isDisabled: boolean, deleted: boolean) => {
      for (const u of list) {
        const email = emailOf(u);
        if (!email) continue;
        const gone = deleted || (isDisabled && sync.removeDisabled);
        if (gone && !deleted) disabled.add(u.externalId);
        members.push({ email, externalId: u.externalId, deleted: gone });
      }
    };
    add(report.enabledUsers, false, false);
    add(report.disabledUsers, true, false);
    add(report.deletedUsers, false, true);
  }
  const groups = (sync.groups ? report.groups : []).map((g) => ({
    name: g.displayName,
    externalId: g.externalId,
    memberExternalIds: g.userIds,
  }));
  const invite = build.sendsInviteSetting ? { inviteUsersAfterProvisioning: sync.inviteUsersAfterProvisioning } : {};
  if (!build.sendsInviteSetting && !sync.inviteUsersAfterProvisioning)
    notes.push(
      'sync.inviteUsersAfterProvisioning is false, but this bwdc (v2026.6.1 or older) never sends it: the server invites new members and they take seats.',
    );
  const built = { requests: [] as ImportRequest[], refused: undefined, disabled, notes };
  // Nothing to send: zero users and zero groups, unless overwriting (then an EMPTY import goes out).
  if (!sync.overwriteExisting && members.length === 0 && groups.length === 0) return built;
  if (!(sync.largeImport && groups.length + members.length > batchSize)) {
    built.requests.push({ groups, members, overwriteExisting: sync.overwriteExisting, largeImport: false, ...invite });
    return built;
  }
  if (sync.overwriteExisting)
    return {
      ...built,
      refused:
        "bwdc refuses it: You cannot use the 'Remove and re-add organization users during the next sync' option with large imports.",
    };
  for (let i = 0; i < members.length; i += batchSize)
    built.requests.push({
      groups: [],
      members: members.slice(i, i + batchSize),
      overwriteExisting: false,
      largeImport: true,
      ...invite,
    });
  for (let i = 0; i < groups.length; i += batchSize)
    built.requests.push({
      groups: groups.slice(i, i + batchSize),
      members: [],
      overwriteExisting: false,
      largeImport: true,
      ...invite,
    });
  notes.push(
    `largeImport: bwdc sends ${built.requests.length} requests (users in batches of ${batchSize}, then groups), each after the previous one answered.`,
  );
  return built;
}
