// The guard rails (docs/guard-rails.md): a plan that breaches one is refused by the import gate before it
// reaches the server. Judged on the plan alone, so `plan` can say what a run would refuse.

export interface GuardSettings {
  /** A count, or a percentage of the current members ("5%"); undefined: the larger of 10 and 5%. */
  maxRemovals: number | string | undefined;
  refuseEmptyDirectory: boolean;
  requireSeats: boolean;
  /** No longer changes anything: every import is judged by the gate (docs/guard-rails.md); still accepted. */
  always: boolean;
}

export const defaultGuard: GuardSettings = {
  maxRemovals: undefined,
  refuseEmptyDirectory: true,
  requireSeats: true,
  always: false,
};

export const maxRemovalsPattern = /^(\d+)%$/;

/** The removal limit for an organization of `members`. */
export function removalLimit(setting: number | string | undefined, members: number): number {
  if (typeof setting === 'number') return setting;
  const pct = setting === undefined ? undefined : maxRemovalsPattern.exec(setting);
  if (pct) return Math.floor((members * Number(pct[1])) / 100);
  return Math.max(10, Math.floor(members * 0.05));
}

/** Whether a sync with these settings can remove members beyond deleted users (which any sync can remove). */
export function canRemove(sync: { overwriteExisting: boolean; removeDisabled: boolean }): boolean {
  return sync.overwriteExisting || sync.removeDisabled;
}

/** The rules that can stop a sync: the label values of bwdc_runner_guard_blocked_total. */
export const guardRules = ['maxRemovals', 'refuseEmptyDirectory', 'requireSeats'] as const;

export interface Breach {
  rule: (typeof guardRules)[number];
  message: string;
  numbers: Record<string, number>;
}

interface PlanView {
  import: { sent: boolean; members: number };
  remove: unknown[];
  seats: { needed: number; autoscale: string } | null;
  directoryManaged: number;
  members: number;
}

/** The rules the plan breaks, given a one-time allowance of removals (run --allow-removals N). */
export function judge(plan: PlanView, guard: GuardSettings, allowRemovals?: number): Breach[] {
  const breaches: Breach[] = [];
  const removals = plan.remove.length;
  const allowed = allowRemovals !== undefined && removals <= allowRemovals;
  const limit = removalLimit(guard.maxRemovals, plan.members);
  if (removals > limit && !allowed)
    breaches.push({
      rule: 'maxRemovals',
      message:
        `the sync would remove ${removals} of ${plan.members} members, above guard.maxRemovals ` +
        `(${limit}); if intended, run once with --allow-removals ${removals} (BWDC_ALLOW_REMOVALS)`,
      numbers: { removals, members: plan.members, limit },
    });
  // Only an import that removes someone: a groups-only instance (users: false) sends no members and,
  // without overwriteExisting, removes nobody (docs/guard-rails.md "The rules").
  if (guard.refuseEmptyDirectory && plan.import.sent && plan.import.members === 0 && removals > 0 && !allowed)
    breaches.push({
      rule: 'refuseEmptyDirectory',
      message:
        `the directory returned no users, and the import would go to an organization with ${plan.directoryManaged} ` +
        `directory-managed members (a filter or base DN mistake looks like this); if intended, run once with --allow-removals ${removals}`,
      numbers: { users: 0, directoryManaged: plan.directoryManaged, removals },
    });
  if (guard.requireSeats && plan.seats?.autoscale === 'refused')
    breaches.push({
      rule: 'requireSeats',
      message:
        `the sync needs ${plan.seats.needed} more seat(s) than the subscription allows (autoscaling is capped): ` +
        `the server would refuse the new members after the removals; add seats or raise the autoscale limit`,
      numbers: { needed: plan.seats.needed },
    });
  // Sponsorships and provider (MSP) billing are invisible to the Public API: an import that needs
  // autoscaling may be refused, or buy seats nobody expected; not covered until someone adds the seats.
  if (guard.requireSeats && plan.seats?.autoscale === 'unknown')
    breaches.push({
      rule: 'requireSeats',
      message:
        `the sync needs ${plan.seats.needed} seat(s) beyond the free ones, and whether the server may autoscale ` +
        `cannot be known (sponsorships and provider billing are not in the Public API): add the seats, ` +
        `or set guard.requireSeats false to let the server autoscale`,
      numbers: { needed: plan.seats.needed },
    });
  return breaches;
}
