// The last two steps of an import on paper (plan/compute.ts planRequest): the seat check of the invitation
// and ImportGroups, as bitwarden/server ImportOrganizationUsersAndGroupsCommand.cs does them
// (docs/upstream/bitwarden-server.md "What an import does", steps 6 and 7).
import type { ImportRequest } from './bwdc-import.js';
import type { OrgModel } from './org-model.js';
import type { Plan } from './plan-types.js';

/** The seat check of the invitation (InviteUsersAsync): the new members beyond the free seats autoscale. */
export function planSeats(model: OrgModel, plan: Plan, newSeats: number): boolean {
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
export function planGroups(model: OrgModel, groups: NonNullable<ImportRequest['groups']>, plan: Plan): void {
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
