// One organization as the Bitwarden server keeps it, and what POST /public/organization/import does
// to it, step by step as docs/upstream/bitwarden-server.md "What an import does" describes the server's code
// (not in one transaction).
import { randomUUID } from 'node:crypto';

export const MemberStatus = { revoked: -1, invited: 0, accepted: 1, confirmed: 2, staged: 3 } as const;
export const MemberType = { owner: 0, admin: 1, user: 2, custom: 4 } as const;

export interface Member {
  id: string;
  userId: string | null;
  name: string | null;
  email: string;
  status: number;
  type: number;
  externalId: string | null;
  /** Trusted devices / Key Connector users: an overwriting import refuses to remove them. */
  hasMasterPassword?: boolean;
}

export interface Group {
  id: string;
  name: string;
  externalId: string | null;
  memberIds: string[];
}

export interface ImportBody {
  groups?: Array<{ name: string; externalId: string; memberExternalIds?: string[] }>;
  members?: Array<{ email?: string | null; externalId: string; deleted?: boolean }>;
  overwriteExisting: boolean;
  largeImport?: boolean;
  inviteUsersAfterProvisioning?: boolean;
}

export class ImportError extends Error {}

export class Organization {
  readonly members: Member[] = [];
  readonly groups: Group[] = [];
  /** Password Manager seats; null: no seat limit. */
  seats: number | null = null;
  /** null with seats: autoscaling without a cap. */
  maxAutoScaleSeats: number | null = null;
  selfHosted = false;
  useDirectory = true;
  /** The server's staged-users feature (new members without an invitation when asked). */
  stagedUsers = true;
  /** What the imports did, for tests: removed, invited, linked, skipped emails. */
  readonly log: Array<{ removed: string[]; invited: string[]; staged: string[]; linked: string[]; skipped: string[] }> =
    [];

  constructor(readonly id: string) {}

  addMember(m: Partial<Member> & { email: string }): Member {
    const member: Member = {
      id: randomUUID(),
      userId: m.status === MemberStatus.invited || m.status === MemberStatus.staged ? null : randomUUID(),
      name: null,
      status: MemberStatus.confirmed,
      type: MemberType.user,
      externalId: null,
      hasMasterPassword: true,
      ...m,
    };
    this.members.push(member);
    return member;
  }

  addGroup(g: Partial<Group> & { name: string }): Group {
    const group: Group = { id: randomUUID(), externalId: null, memberIds: [], ...g };
    this.groups.push(group);
    return group;
  }

  /** Invited, Accepted and Confirmed members take a seat; Staged and Revoked do not. */
  occupiedSeats(): number {
    return this.members.filter((m) => m.status >= 0 && m.status <= 2).length;
  }

  import(body: ImportBody): void {
    const members = (body.members ?? []).map((m) => ({ ...m, email: m.email?.toLowerCase() ?? null }));
    const groups = body.groups ?? [];
    // 1.
    if (
      !this.selfHosted &&
      !body.largeImport &&
      (groups.length > 2000 || members.filter((m) => !m.deleted).length > 2000)
    )
      throw new ImportError('You cannot import this much data at once.');
    if (!this.useDirectory) throw new ImportError('Organization cannot use directory syncing.');
    const entry = {
      removed: [] as string[],
      invited: [] as string[],
      staged: [] as string[],
      linked: [] as string[],
      skipped: [] as string[],
    };
    const remove = (m: Member) => {
      this.members.splice(this.members.indexOf(m), 1);
      for (const g of this.groups) g.memberIds = g.memberIds.filter((id) => id !== m.id);
      entry.removed.push(m.email);
    };
    // 2. deleted members
    for (const d of members.filter((m) => m.deleted)) {
      const m = this.members.find((x) => x.externalId === d.externalId);
      if (m && m.type !== MemberType.owner) remove(m);
    }
    // 3. overwriteExisting
    if (body.overwriteExisting) {
      const imported = new Set(members.map((m) => m.externalId));
      const doomed = this.members.filter(
        (m) => m.externalId && m.type !== MemberType.owner && !imported.has(m.externalId),
      );
      if (doomed.some((m) => m.hasMasterPassword === false))
        throw new ImportError(
          "Sync failed. To proceed, disable the 'Remove and re-add users during next sync' setting and try again.",
        );
      for (const m of doomed) remove(m);
    }
    const live = members.filter((m) => !m.deleted && m.email);
    // 4. linking by email
    for (const i of live) {
      const m = this.members.find((x) => !x.externalId && x.email.toLowerCase() === i.email);
      if (m && !this.members.some((x) => x.externalId === i.externalId)) {
        m.externalId = i.externalId;
        entry.linked.push(m.email);
      }
    }
    // 5. new members
    const invite = body.inviteUsersAfterProvisioning ?? true;
    const added: Member[] = [];
    for (const i of live) {
      if (this.members.some((x) => x.externalId === i.externalId)) continue;
      if (this.members.some((x) => x.email.toLowerCase() === i.email)) {
        entry.skipped.push(i.email!);
        continue;
      }
      const staged = !invite && this.stagedUsers;
      added.push(
        this.addMember({
          email: i.email!,
          externalId: i.externalId,
          status: staged ? MemberStatus.staged : MemberStatus.invited,
        }),
      );
      (staged ? entry.staged : entry.invited).push(i.email!);
    }
    // 6. seats: the new members beyond the free seats need autoscaling
    if (this.seats !== null) {
      const needed = this.occupiedSeats() - this.seats;
      if (needed > 0) {
        const refuse = (message: string) => {
          for (const m of added) this.members.splice(this.members.indexOf(m), 1);
          this.log.push({ ...entry, invited: [], staged: [] });
          throw new ImportError(message);
        };
        if (this.selfHosted) refuse('Cannot autoscale on self-hosted instance.');
        if (this.maxAutoScaleSeats !== null && this.seats + needed > this.maxAutoScaleSeats)
          refuse('Seat limit has been reached.');
        this.seats += needed;
      }
    }
    // 7. groups: matched by externalId, created or renamed, members replaced
    const byExternal = new Map(this.members.filter((m) => m.externalId).map((m) => [m.externalId!, m.id]));
    for (const g of groups) {
      let group = this.groups.find((x) => x.externalId === g.externalId);
      if (!group) group = this.addGroup({ name: g.name, externalId: g.externalId });
      group.name = g.name;
      group.memberIds = (g.memberExternalIds ?? []).map((e) => byExternal.get(e)).filter((id): id is string => !!id);
    }
    this.log.push(entry);
  }
}
