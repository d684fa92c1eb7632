// What one sync run adds to the instance's history (state/history.ts, docs/operations.md "History"):
// from the plan the import gate forwarded, what reached the server and what it changed; a refused plan
// with its rules; what the read-back found. Lists are kept up to `listLimit` names each; the counts are
// always whole.
import type { Plan } from '../plan/compute.js';
import { planCounts } from '../plan/compute.js';
import type { HistoryEntry } from '../state/history.js';
import type { RunResult } from './result.js';
import type { Effort } from './types.js';

/** Names kept per list in one entry: an initial sync of 100,000 members stays a line of ~70 KB. */
export const listLimit = 1000;

export interface SyncChanges {
  invited: Array<{ email: string; externalId: string; staged?: boolean }>;
  removed: Array<{ email: string; externalId: string; reason: string }>;
  linked: Array<{ email: string; externalId: string }>;
  groupsCreated: Array<{ name: string; externalId: string }>;
  groupsRenamed: Array<{ externalId: string; from: string; to: string }>;
  memberships: Array<{ group: string; externalId: string; added: string[]; ended: string[] }>;
  counts: ReturnType<typeof planCounts>;
  /** Some list held more than listLimit names: the rest are only counted. */
  truncated?: true;
}

/** Whether the plan reached the server: `applied` (accepted), `refused` (by the guard), `failed` (sent, not accepted). */
export type Disposition = 'applied' | 'refused' | 'failed' | 'none';

export function changesOf(plan: Plan): SyncChanges {
  let truncated = false;
  const cap = <T>(list: T[]): T[] => {
    if (list.length <= listLimit) return list;
    truncated = true;
    return list.slice(0, listLimit);
  };
  const changes: SyncChanges = {
    invited: cap(plan.invite).map((m) => ({
      email: m.email,
      externalId: m.externalId,
      ...(m.staged ? { staged: true } : {}),
    })),
    removed: cap(plan.remove).map((m) => ({ email: m.email, externalId: m.externalId, reason: m.reason })),
    linked: cap(plan.link).map((m) => ({ email: m.email, externalId: m.externalId })),
    groupsCreated: cap(plan.groups.create),
    groupsRenamed: cap(plan.groups.rename),
    memberships: cap(plan.groups.membership).map((g) => ({
      group: g.name,
      externalId: g.externalId,
      added: cap(g.add),
      ended: cap(g.remove),
    })),
    counts: planCounts(plan),
  };
  if (truncated) changes.truncated = true;
  return changes;
}

/** The history entry of a finished sync (skipped and paused runs add none). */
export function syncEntry(result: RunResult, effort: Effort, planId: string | undefined): HistoryEntry | undefined {
  if (result.mode !== 'sync' || result.outcome === 'skipped') return undefined;
  const gate = effort.gate;
  const refused = (effort.guardRules?.length ?? 0) > 0;
  const disposition: Disposition = refused
    ? 'refused'
    : gate && gate.forwarded > 0
      ? gate.accepted === gate.forwarded
        ? 'applied'
        : 'failed'
      : 'none';
  const entry: HistoryEntry = {
    at: result.endedAt.toISOString(),
    kind: 'sync',
    runId: result.runId,
    outcome: result.outcome,
    ...(result.failureClass ? { failureClass: result.failureClass } : {}),
    message: result.message,
    durationMs: result.durationMs,
    disposition,
    // Nothing to send: bwdc's own check (no request at all), or the gate's (the last accepted import).
    unchanged: result.outcome === 'success' && (gate?.forwarded ?? 0) === 0,
  };
  if (effort.plan && disposition !== 'none') entry.changes = changesOf(effort.plan);
  if (refused) entry.refused = { ...(planId ? { planId } : {}), rules: effort.guardRules };
  if (effort.verification) entry.verification = effort.verification;
  return entry;
}

/** One line of counts for people: "3 invited, 1 removed (deleted), 2 groups created". */
export function summarize(changes: SyncChanges | undefined): string {
  if (!changes) return 'no changes';
  const c = changes.counts;
  const reasons = [...new Set(changes.removed.map((r) => r.reason))].join(', ');
  const parts = [
    c.invite && `${c.invite} invited`,
    c.remove && `${c.remove} removed${reasons ? ` (${reasons})` : ''}`,
    c.link && `${c.link} linked`,
    c.group_create && `${c.group_create} group(s) created`,
    c.group_rename && `${c.group_rename} group(s) renamed`,
    c.group_membership && `${c.group_membership} membership change(s)`,
  ].filter(Boolean);
  return parts.length ? parts.join(', ') : 'no changes';
}
