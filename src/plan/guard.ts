// The guard rails (docs/guard-rails.md "The rules"): a sync whose whole plan breaches one is refused
// before any of it reaches the server. Judged on the plan alone (plus what the instance's state knows:
// the removals of the last 24 hours), so `plan` can say what a run would refuse. The rules are one table
// (guardRuleTable below): each a name and a check.

export interface GuardSettings {
  /** A count, or a percentage of the current members ("5%"); undefined: the larger of 10 and 5%. */
  maxRemovals: number | string | undefined;
  /** Removals the server accepted in the last 24 hours plus this sync's; a count or "P%"; undefined: no budget. */
  maxRemovalsPerDay?: number | string | undefined;
  /** Group memberships the sync would end; a count or "P%" of the memberships; undefined: no limit. */
  maxMembershipRemovals?: number | string | undefined;
  /** Refuse a sync that would leave a group that had members with none. */
  refuseEmptiedGroups?: boolean;
  refuseEmptyDirectory: boolean;
  requireSeats: boolean;
}

export const defaultGuard: GuardSettings = {
  maxRemovals: undefined,
  maxRemovalsPerDay: undefined,
  maxMembershipRemovals: undefined,
  refuseEmptiedGroups: true,
  refuseEmptyDirectory: true,
  requireSeats: true,
};

export const maxRemovalsPattern = /^(\d+)%$/;

/** The removal limit for an organization of `members`. */
export function removalLimit(setting: number | string | undefined, members: number): number {
  if (typeof setting === 'number') return setting;
  const pct = setting === undefined ? undefined : maxRemovalsPattern.exec(setting);
  if (pct) return Math.floor((members * Number(pct[1])) / 100);
  return Math.max(10, Math.floor(members * 0.05));
}

export interface Breach {
  rule: GuardRuleName;
  message: string;
  numbers: Record<string, number>;
}

/** What a rule's check says of a plan that breaks it; judge() adds the rule's name. */
export type Finding = Omit<Breach, 'rule'>;

/** What the rules read of a plan (plan/compute.ts Plan). */
export interface PlanView {
  import: { sent: boolean; members: number };
  remove: unknown[];
  seats: { needed: number; autoscale: string } | null;
  directoryManaged: number;
  members: number;
  /** Group memberships in the organization before the sync (groups with an external id). */
  memberships?: number;
  duplicateExternalIds?: Array<{ externalId: string; emails: string[] }>;
  groups?: {
    membership: Array<{ remove: string[] }>;
    emptied?: Array<{ name: string; members: number }>;
  };
}

export interface JudgeContext {
  /** run --allow-removals N: this once, up to N removals pass the removal rules. */
  allowRemovals?: number;
  /** Removals the server accepted for this instance in the last 24 hours (state/removal-ledger.ts). */
  removedLastDay?: number;
  /** Removals an earlier attempt of this run got through: a retry does not start the count again. */
  removedThisRun?: number;
}

/** One guard rail: its name (the metric's label, the history's and approve's word), and its check. */
export interface GuardRule {
  name: string;
  /** An approval of the plan (bwdc-runner approve) lets this rule's breach through; seats never. */
  approvable: boolean;
  check: (plan: PlanView, guard: GuardSettings, ctx: JudgeContext & { allowed: boolean }) => Finding | undefined;
}

const endedMemberships = (plan: PlanView): number =>
  (plan.groups?.membership ?? []).reduce((n, g) => n + g.remove.length, 0);

const ifIntended = (removals: number) =>
  `if intended, approve the plan (the command below) or run once with --allow-removals ${removals} (BWDC_ALLOW_REMOVALS)`;

/**
 * Every guard rail, in the order its breaches are reported: the one list judge() runs. A new rule is one
 * entry here (and, when it has a setting, that setting in GuardSettings and the configuration).
 */
export const guardRuleTable = [
  {
    name: 'maxRemovals',
    approvable: true,
    check(plan, guard, { allowed, removedThisRun = 0 }) {
      const removals = plan.remove.length;
      const members = plan.members + removedThisRun;
      const limit = removalLimit(guard.maxRemovals, members);
      if (removals + removedThisRun <= limit || allowed) return undefined;
      const earlier = removedThisRun ? ` after ${removedThisRun} removed by an earlier attempt of this run` : '';
      return {
        message: `the sync would remove ${removals} of ${members} members${earlier}, above guard.maxRemovals (${limit}); ${ifIntended(removals)}`,
        numbers: { removals, members, limit, removedThisRun },
      };
    },
  },
  {
    name: 'maxRemovalsPerDay',
    approvable: true,
    check(plan, guard, { allowed, removedLastDay = 0 }) {
      if (guard.maxRemovalsPerDay === undefined || allowed) return undefined;
      const removals = plan.remove.length;
      const limit = removalLimit(guard.maxRemovalsPerDay, plan.members + removedLastDay);
      if (removals === 0 || removedLastDay + removals <= limit) return undefined;
      return {
        message:
          `the sync would remove ${removals} member(s) after ${removedLastDay} removed in the last 24 hours, ` +
          `above guard.maxRemovalsPerDay (${limit}); ${ifIntended(removals)}`,
        numbers: { removals, removedLastDay, limit },
      };
    },
  },
  {
    name: 'maxMembershipRemovals',
    approvable: true,
    check(plan, guard) {
      if (guard.maxMembershipRemovals === undefined) return undefined;
      const ended = endedMemberships(plan);
      const limit = removalLimit(guard.maxMembershipRemovals, plan.memberships ?? 0);
      if (ended <= limit) return undefined;
      return {
        message:
          `the sync would end ${ended} of ${plan.memberships ?? 0} group memberships, above ` +
          `guard.maxMembershipRemovals (${limit}); if intended, approve the plan (the command below)`,
        numbers: { ended, memberships: plan.memberships ?? 0, limit },
      };
    },
  },
  {
    name: 'refuseEmptiedGroups',
    approvable: true,
    check(plan, guard) {
      const emptied = plan.groups?.emptied ?? [];
      if (guard.refuseEmptiedGroups === false || emptied.length === 0) return undefined;
      const names = emptied.slice(0, 5).map((g) => `${g.name} (${g.members})`);
      return {
        message:
          `the sync would leave ${emptied.length} group(s) with no members: ${names.join(', ')}` +
          `${emptied.length > 5 ? ` and ${emptied.length - 5} more` : ''}; if intended, approve the plan ` +
          '(the command below) or set guard.refuseEmptiedGroups false',
        numbers: { groups: emptied.length },
      };
    },
  },
  {
    // Only an import that removes someone: a groups-only instance (users: false) sends no members and,
    // without overwriteExisting, removes nobody (docs/guard-rails.md "The rules").
    name: 'refuseEmptyDirectory',
    approvable: true,
    check(plan, guard, { allowed }) {
      const removals = plan.remove.length;
      if (!guard.refuseEmptyDirectory || !plan.import.sent || plan.import.members !== 0 || removals === 0 || allowed)
        return undefined;
      return {
        message:
          `the directory returned no users, and the import would go to an organization with ${plan.directoryManaged} ` +
          `directory-managed members (a filter or base DN mistake looks like this); ${ifIntended(removals)}`,
        numbers: { users: 0, directoryManaged: plan.directoryManaged, removals },
      };
    },
  },
  {
    name: 'requireSeats',
    approvable: false,
    check(plan, guard) {
      if (!guard.requireSeats || !plan.seats) return undefined;
      if (plan.seats.autoscale === 'refused')
        return {
          message:
            `the sync needs ${plan.seats.needed} more seat(s) than the subscription allows (autoscaling is capped): ` +
            `the server would refuse the new members after the removals; add seats or raise the autoscale limit`,
          numbers: { needed: plan.seats.needed },
        };
      // Sponsorships and provider (MSP) billing are invisible to the Public API: an import that needs
      // autoscaling may be refused, or buy seats nobody expected; not covered until someone adds the seats.
      if (plan.seats.autoscale === 'unknown')
        return {
          message:
            `the sync needs ${plan.seats.needed} seat(s) beyond the free ones, and whether the server may autoscale ` +
            `cannot be known (sponsorships and provider billing are not in the Public API): add the seats, ` +
            `or set guard.requireSeats false to let the server autoscale`,
          numbers: { needed: plan.seats.needed },
        };
      return undefined;
    },
  },
  {
    // Not a setting: the server fails every import then (bitwarden/server OrganizationUserImportData.cs,
    // ToDictionary over the existing external ids), so nothing is sent and the fix is named.
    name: 'duplicateExternalIds',
    approvable: false,
    check(plan) {
      const dups = plan.duplicateExternalIds ?? [];
      if (dups.length === 0) return undefined;
      return { message: duplicatesMessage(dups), numbers: { duplicates: dups.length } };
    },
  },
] as const satisfies readonly GuardRule[];

export type GuardRuleName = (typeof guardRuleTable)[number]['name'];

/** The rules that can stop a sync, in the table's order: the label values of bwdc_runner_guard_blocked_total. */
export const guardRules: readonly GuardRuleName[] = guardRuleTable.map((r) => r.name);

/** What `plan`, `check` and a refused sync say of external ids two members hold, with the fix. */
export function duplicatesMessage(dups: ReadonlyArray<{ externalId: string; emails: string[] }>): string {
  const named = dups
    .slice(0, 5)
    .map((d) => `${d.externalId} (${d.emails.join(', ')})`)
    .join('; ');
  return (
    `${dups.length} external id(s) belong to more than one member: ${named}${dups.length > 5 ? '; ...' : ''}. ` +
    'The server fails every import then (HTTP 500, "An item with the same key has already been added"); ' +
    'remove the duplicate member, or give it another external id (Public API PUT /public/members/{id})'
  );
}

/** The rules the plan breaks, given a one-time allowance of removals and the removals of the last day. */
export function judge(plan: PlanView, guard: GuardSettings, ctx: JudgeContext | number = {}): Breach[] {
  const c = typeof ctx === 'number' ? { allowRemovals: ctx } : ctx;
  const allowed = c.allowRemovals !== undefined && plan.remove.length <= c.allowRemovals;
  const breaches: Breach[] = [];
  for (const rule of guardRuleTable as readonly GuardRule[]) {
    const found = rule.check(plan, guard, { ...c, allowed });
    if (found) breaches.push({ rule: rule.name as GuardRuleName, ...found });
  }
  return breaches;
}

/** Whether an approval of the plan can let these breaches through (none of them about seats). */
export function approvable(breaches: readonly Breach[]): boolean {
  return breaches.every((b) => guardRuleTable.find((r) => r.name === b.rule)?.approvable === true);
}
