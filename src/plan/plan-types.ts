// What a plan says (plan/compute.ts builds it, request by request): the changes an import makes, the seats,
// the server's own failure, what the guard rails read (plan/guard.ts). docs/guard-rails.md.

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
