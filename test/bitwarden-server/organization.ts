// One organization as the Bitwarden server keeps it, and what POST /public/organization/import does
// to it, step by step as the server's code does (docs/upstream/bitwarden-server.md "What an import does";
// each step cites bitwarden/server v2026.8.0; not in one transaction).
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

/** A 400 with the server's message. */
export class ImportError extends Error {}
/** An unhandled exception in the server: HTTP 500 "An error has occurred." (the message stays in its log). */
export class ServerFault extends Error {}

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
  /** Admin-initiated sponsorships: they occupy seats, and the Public API does not show them. */
  sponsorships = 0;
  /** Billed by a provider (MSP): it cannot autoscale, and the Public API does not say so. */
  providerManaged = false;
  /** Standalone Secrets Manager: every invited member gets Secrets Manager access (and an SM seat). */
  secretsManagerStandalone = false;
  /** Members given Secrets Manager access by an import's invitations (AccessSecretsManager). */
  readonly secretsManagerInvites: string[] = [];
  /** Test knobs: the import requests (counted from 1) answered 500 before anything is applied. */
  failImports = new Set<number>();
  /** Test knob: the import request (counted from 1) that is applied and never answered. */
  hangImport: number | undefined;
  /** Import requests received. */
  importRequests = 0;
  /** Test hook: called with each import request's number as it arrives. */
  onImport: ((nth: number) => void) | undefined;
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
      // No account yet (Invited, Staged): no master password (OrganizationUserUserDetails.HasMasterPassword).
      hasMasterPassword: m.status !== MemberStatus.invited && m.status !== MemberStatus.staged,
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
    // bitwarden/server v2026.8.0 src/Api/AdminConsole/Public/Models/Request/OrganizationImportRequestModel.cs:
    // ToImportedOrganizationUser lowercases; the controller splits deleted members off by `deleted`.
    const members = (body.members ?? []).map((m) => ({ ...m, email: m.email?.toLowerCase() ?? null }));
    const groups = body.groups ?? [];
    // 1. src/Api/AdminConsole/Public/Controllers/OrganizationController.cs Import (v2026.8.0): cloud only.
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
    // The rest: src/Core/AdminConsole/OrganizationFeatures/Import/ImportOrganizationUsersAndGroupsCommand.cs
    // (v2026.8.0) ImportAsync, step by step, not in one transaction; OrganizationUserImportData holds the
    // ExternalId -> id dictionary every step reads, built once before step 2.
    const live = members.filter((m) => !m.deleted && m.email);
    const imported = new Set(live.map((m) => m.externalId));
    const externalAtStart = this.members.filter((m) => m.externalId);
    // OrganizationUserImportData's constructor (bitwarden/server main src/Core/AdminConsole/
    // OrganizationFeatures/Import/OrganizationUserImportData.cs): ExistingExternalUsers.ToDictionary(u =>
    // u.ExternalId) throws on an external id two members hold, for every import, before any change.
    const dict = new Map<string, string>();
    for (const m of externalAtStart) {
      if (dict.has(m.externalId!))
        throw new ServerFault(`An item with the same key has already been added. Key: ${m.externalId}`);
      dict.set(m.externalId!, m.id);
    }
    const byId = new Map(this.members.map((m) => [m.id, m]));
    const removeIds = (ids: Set<string>) => {
      for (const m of this.members) if (ids.has(m.id)) entry.removed.push(m.email);
      this.members.splice(0, this.members.length, ...this.members.filter((m) => !ids.has(m.id)));
      for (const g of this.groups) g.memberIds = g.memberIds.filter((id) => !ids.has(id));
      for (const id of ids) byId.delete(id);
    };
    // 2. RemoveExistingExternalUsers: deleted externalIds not also imported live, existing, not Owners.
    // The dictionary keeps them (only OverwriteExisting takes its removals out of it).
    const doomedDeleted = new Set<string>();
    for (const d of members) {
      if (!d.deleted || imported.has(d.externalId)) continue;
      const id = dict.get(d.externalId);
      const m = id ? byId.get(id) : undefined;
      if (m && m.type !== MemberType.owner) doomedDeleted.add(m.id);
    }
    removeIds(doomedDeleted);
    // 3. OverwriteExisting: every non-owner of ExistingExternalUsers (read before step 2, so step 2's
    // removals too) not imported; refused when one has no master password (HasMasterPassword is false
    // for a member without an account: Invited, Staged).
    if (body.overwriteExisting) {
      const doomed = externalAtStart.filter((m) => m.type !== MemberType.owner && !imported.has(m.externalId!));
      if (doomed.some((m) => m.hasMasterPassword === false))
        throw new ImportError(
          "Sync failed. To proceed, disable the 'Remove and re-add users during next sync' setting and try again.",
        );
      removeIds(new Set(doomed.map((m) => m.id)));
      for (const m of doomed) dict.delete(m.externalId!);
    }
    // 4. UpdateExistingUsers: members without an externalId, by email; each new externalId is Add()ed to
    // the dictionary, which throws on a key it holds (an HTTP 500), before any link is saved. The email
    // dictionary is ExistingUsers...ToDictionary(u => u.Email): keyed by the email as stored, compared
    // exactly (ordinal), while the imported emails are lowercased: "Alice@corp.example" is never linked.
    const noExternal = new Map(this.members.filter((m) => !m.externalId).map((m) => [m.email, m]));
    const links: Array<[Member, string]> = [];
    for (const i of live) {
      const m = noExternal.get(i.email!);
      if (!m) continue;
      if (dict.has(i.externalId))
        throw new ServerFault(`An item with the same key has already been added. Key: ${i.externalId}`);
      dict.set(i.externalId, m.id);
      links.push([m, i.externalId]);
    }
    for (const [m, externalId] of links) {
      m.externalId = externalId;
      entry.linked.push(m.email);
    }
    // 5. AddNewUsers: imported externalIds the dictionary lacks; InviteUsersAsync drops an email already
    // in the organization; Staged when inviteUsersAfterProvisioning is false and the staged feature is on.
    const invite = body.inviteUsersAfterProvisioning ?? true;
    const emails = new Set(this.members.map((m) => m.email.toLowerCase()));
    const added: Member[] = [];
    for (const i of live) {
      if (dict.has(i.externalId)) continue;
      if (emails.has(i.email!)) {
        entry.skipped.push(i.email!);
        continue;
      }
      const staged = !invite && this.stagedUsers;
      const m = this.addMember({
        email: i.email!,
        externalId: i.externalId,
        status: staged ? MemberStatus.staged : MemberStatus.invited,
      });
      added.push(m);
      emails.add(m.email);
      dict.set(i.externalId, m.id);
      (staged ? entry.staged : entry.invited).push(i.email!);
      // AddNewUsers: AccessSecretsManager = HasSecretsManagerStandalone(organization) on every invitation.
      if (!staged && this.secretsManagerStandalone) this.secretsManagerInvites.push(i.email!);
    }
    // 6. seats: occupied seats include admin-initiated sponsorships; the new members beyond the seats
    // autoscale, which a capped subscription, a self-hosted server or a provider-billed organization refuses.
    if (this.seats !== null) {
      const needed = this.occupiedSeats() + this.sponsorships - this.seats;
      if (needed > 0) {
        const refuse = (message: string) => {
          const gone = new Set(added.map((m) => m.id));
          this.members.splice(0, this.members.length, ...this.members.filter((m) => !gone.has(m.id)));
          this.log.push({ ...entry, invited: [], staged: [] });
          throw new ImportError(message);
        };
        if (this.selfHosted) refuse('Cannot autoscale on self-hosted instance.');
        if (this.providerManaged)
          refuse('Seat limit has been reached. Contact your provider to purchase additional seats.');
        if (this.maxAutoScaleSeats !== null && this.seats + needed > this.maxAutoScaleSeats)
          refuse('Seat limit has been reached.');
        this.seats += needed;
      }
    }
    // 7. ImportGroups: matched by externalId, created or renamed, members replaced by the resolved ids.
    const present = new Set(this.members.map((m) => m.id));
    const byExternalGroup = new Map(this.groups.filter((g) => g.externalId).map((g) => [g.externalId!, g]));
    for (const g of groups) {
      let group = byExternalGroup.get(g.externalId);
      if (!group) group = this.addGroup({ name: g.name, externalId: g.externalId });
      group.name = g.name;
      group.memberIds = (g.memberExternalIds ?? [])
        .map((e) => dict.get(e))
        .filter((id): id is string => !!id && present.has(id));
    }
    this.log.push(entry);
  }
}
