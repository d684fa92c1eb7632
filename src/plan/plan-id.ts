// A plan's id (docs/guard-rails.md "Approving a refused sync"): short, and derived only from what the sync
// would remove and end (removed members, ended group memberships), so the same refused sync has the same
// id run after run, and an approval names exactly what it lets through.
import { createHash } from 'node:crypto';

export interface PlanScope {
  /** Removed members: external id (or email when there is none). */
  removals: string[];
  /** Ended memberships: "<group external id> <member>". */
  memberships: string[];
}

interface PlanLike {
  remove: Array<{ email: string; externalId: string }>;
  groups: { membership: Array<{ externalId: string; remove: string[] }> };
}

export function planScope(plan: PlanLike): PlanScope {
  const removals = plan.remove.map((r) => r.externalId || r.email).sort();
  const memberships = plan.groups.membership.flatMap((g) => g.remove.map((m) => `${g.externalId} ${m}`)).sort();
  return { removals, memberships };
}

/** 10 lowercase hex digits of SHA-256 over the scope: what an operator types in `approve`. */
export function planId(scope: PlanScope): string {
  return createHash('sha256')
    .update(JSON.stringify([scope.removals, scope.memberships]))
    .digest('hex')
    .slice(0, 10);
}

export const planIdPattern = /^[0-9a-f]{10}$/;

/** Whether every removal and ended membership of `scope` is one `approved` allows. */
export function within(scope: PlanScope, approved: PlanScope): boolean {
  const r = new Set(approved.removals);
  const m = new Set(approved.memberships);
  return scope.removals.every((x) => r.has(x)) && scope.memberships.every((x) => m.has(x));
}
