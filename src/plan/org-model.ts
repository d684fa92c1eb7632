// The organization as an import meets it, indexed the way the server looks members up (by id, by
// externalId, by email): every step of the plan is a map lookup, never a scan of the member list
// (docs/guard-rails.md "What the plan predicts, and what it cannot know"). Mutated on paper, import by import, so that the
// batches of a largeImport are planned against what the earlier batches left.
import type { OrganizationState } from '../bitwarden/public-api.js';

export interface ModelMember {
  id: string;
  /** Lowercased: the invitation compares emails whatever their case. */
  email: string;
  /** As stored (the Public API shows it): linking by email compares it exactly (docs/upstream/bitwarden-server.md). */
  storedEmail?: string;
  status: number;
  type: number;
  externalId: string | null;
  /** null: invited or staged, no account yet (so no master password). undefined: not reported. */
  userId?: string | null;
}

export interface ModelGroup {
  id: string;
  name: string;
  externalId: string | null;
  memberIds: Set<string>;
}

export const Status = { revoked: -1, invited: 0, accepted: 1, confirmed: 2, staged: 3 } as const;
export const Owner = 0;

/** Invited, Accepted and Confirmed members take a seat; Staged and Revoked do not (docs/upstream/bitwarden-server.md). */
export const takesSeat = (m: { status: number }): boolean => m.status >= 0 && m.status <= 2;

export class OrgModel {
  readonly byId = new Map<string, ModelMember>();
  readonly byExternal = new Map<string, ModelMember>();
  readonly byEmail = new Map<string, ModelMember>();
  readonly groupsByExternal = new Map<string, ModelGroup>();
  occupied = 0;
  seats: number | null;
  readonly maxAutoScaleSeats: number | null;
  readonly selfHosted: boolean;
  readonly initialMembers: number;
  readonly initialOccupied: number;
  /** Non-owners with an external id when the first import arrives: what an empty overwrite removes. */
  readonly directoryManaged: number;
  /** Memberships of the groups above when the first import arrives. */
  readonly initialMemberships: number;
  /** External ids that more than one member holds: the server fails every import (HTTP 500). */
  readonly duplicateExternalIds: Array<{ externalId: string; emails: string[] }>;

  constructor(org: OrganizationState) {
    const holders = new Map<string, string[]>();
    for (const m of org.members)
      if (m.externalId) holders.set(m.externalId, [...(holders.get(m.externalId) ?? []), m.email]);
    this.duplicateExternalIds = [...holders]
      .filter(([, emails]) => emails.length > 1)
      .map(([externalId, emails]) => ({ externalId, emails }));
    for (const m of org.members)
      this.add({
        id: m.id,
        email: m.email.toLowerCase(),
        storedEmail: m.email,
        status: m.status,
        type: m.type,
        externalId: m.externalId || null,
        userId: m.userId,
      });
    for (const g of org.groups)
      if (g.externalId)
        this.groupsByExternal.set(g.externalId, {
          id: g.id,
          name: g.name,
          externalId: g.externalId,
          memberIds: new Set(g.memberIds),
        });
    this.seats = org.subscription?.seats ?? null;
    this.maxAutoScaleSeats = org.subscription?.maxAutoScaleSeats ?? null;
    this.selfHosted = org.selfHosted;
    this.initialMembers = this.byId.size;
    this.initialOccupied = this.occupied;
    let managed = 0;
    for (const m of this.byId.values()) if (m.externalId && m.type !== Owner) managed++;
    this.directoryManaged = managed;
    let memberships = 0;
    for (const g of this.groupsByExternal.values()) memberships += g.memberIds.size;
    this.initialMemberships = memberships;
  }

  add(m: ModelMember): void {
    this.byId.set(m.id, m);
    if (m.externalId) this.byExternal.set(m.externalId, m);
    // The first member of an email wins: the server keeps emails unique within an organization.
    if (!this.byEmail.has(m.email)) this.byEmail.set(m.email, m);
    if (takesSeat(m)) this.occupied++;
  }

  remove(m: ModelMember): void {
    this.byId.delete(m.id);
    if (m.externalId && this.byExternal.get(m.externalId) === m) this.byExternal.delete(m.externalId);
    if (this.byEmail.get(m.email) === m) this.byEmail.delete(m.email);
    if (takesSeat(m)) this.occupied--;
    // Group memberships of removed members are dropped when a group is read (byId no longer has them).
  }

  link(m: ModelMember, externalId: string): void {
    m.externalId = externalId;
    this.byExternal.set(externalId, m);
  }
}
