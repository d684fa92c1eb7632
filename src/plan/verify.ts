// Did the import the server accepted take effect (docs/operations.md "Verification")? The plan the gate
// forwarded, held against the organization read back afterwards: every member it invited is there
// (by external id, or by email for a member whose id the server did not keep), every member it removed
// is gone, every group it created exists. Pure; linear in members + groups.
import type { Roster } from '../bitwarden/public-api.js';
import type { Plan } from './compute.js';

export interface PlanDifference {
  /** External ids of invited members the organization does not have. */
  notInvited: string[];
  /** External ids of removed members still in it. */
  notRemoved: string[];
  /** External ids of created groups it does not have. */
  groupsMissing: string[];
}

export function differences(plan: Plan, org: Roster): PlanDifference {
  const externalIds = new Set<string>();
  const emails = new Set<string>();
  for (const m of org.members) {
    if (m.externalId) externalIds.add(m.externalId);
    emails.add(m.email.toLowerCase());
  }
  const groups = new Set(org.groups.map((g) => g.externalId).filter((e): e is string => !!e));
  return {
    notInvited: plan.invite
      .filter((m) => !externalIds.has(m.externalId) && !emails.has(m.email.toLowerCase()))
      .map((m) => m.externalId),
    // A removed member is matched by external id only: the same email may come back as a new member.
    notRemoved: plan.remove.filter((m) => m.externalId && externalIds.has(m.externalId)).map((m) => m.externalId),
    groupsMissing: plan.groups.create.filter((g) => !groups.has(g.externalId)).map((g) => g.externalId),
  };
}

export function isVerified(d: PlanDifference): boolean {
  return d.notInvited.length === 0 && d.notRemoved.length === 0 && d.groupsMissing.length === 0;
}
