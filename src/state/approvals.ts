// Approvals of refused syncs (docs/guard-rails.md "Approving a refused sync"), in the instance's own state
// folder: refused-plans.json (the scope of the last refused plans, so `approve PLAN_ID` knows what it
// approves) and approvals.json (who approved which plan, when, until when, and the run that used it).
// An approval lets through once a sync whose removals and ended memberships lie within the approved
// plan's, before it expires; then it is used up. Small API, for the `approve` command and any other
// caller (an admin endpoint): approvePlan, findApproval, useApproval, recordRefusedPlan, readApprovals.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { within, type PlanScope } from '../plan/plan-id.js';
import { writeFileAtomic } from './atomic.js';
import { withUpdateLock } from './update-lock.js';
import { readStateJson, StateFileError } from './state-json.js';

export const refusedPlansFile = 'refused-plans.json';
export const approvalsFile = 'approvals.json';
/** Refused plans kept for `approve`; approvals kept (used and expired ones too, for the record). */
const keepRefused = 20;
const keepApprovals = 50;
export const defaultApprovalMs = 24 * 3_600_000;

export interface RefusedPlan extends PlanScope {
  planId: string;
  /** When the run refused it, ISO 8601. */
  at: string;
  runId: string;
  /** The rules it broke. */
  rules: string[];
}

export interface Approval extends PlanScope {
  planId: string;
  by: string;
  at: string;
  expiresAt: string;
  usedAt?: string;
  usedByRun?: string;
}

/** `approve` of a plan id this instance never refused (or refused too long ago). */
export class ApprovalError extends Error {}

// None yet is an empty list; an unreadable or damaged file is an error (a refusal is not approved by a
// file that cannot be read, and a write never replaces what could not be read).
async function readList<T>(instanceDir: string, file: string): Promise<T[]> {
  const path = join(instanceDir, file);
  const data = await readStateJson(path, 'approvals cannot be checked');
  if (data === undefined) return [];
  if (!Array.isArray(data)) throw new StateFileError(path, 'is not a list', 'approvals cannot be checked');
  return data as T[];
}

// The folder may be a control folder not made yet (state/control-dir.ts): made here, 0700 like a state folder.
async function writeList(instanceDir: string, file: string, list: unknown[]): Promise<void> {
  await mkdir(instanceDir, { recursive: true, mode: 0o700 });
  await writeFileAtomic(join(instanceDir, file), `${JSON.stringify(list, null, 1)}\n`, 0o600);
}

export const readRefusedPlans = (instanceDir: string) => readList<RefusedPlan>(instanceDir, refusedPlansFile);
export const readApprovals = (instanceDir: string) => readList<Approval>(instanceDir, approvalsFile);

/** Keeps a refused plan's scope so that `approve` can approve it by id (the newest per id). */
export async function recordRefusedPlan(instanceDir: string, refused: RefusedPlan): Promise<void> {
  await withUpdateLock(join(instanceDir, refusedPlansFile), async () => {
    const list = (await readRefusedPlans(instanceDir)).filter((p) => p.planId !== refused.planId);
    list.push(refused);
    await writeList(instanceDir, refusedPlansFile, list.slice(-keepRefused));
  });
}

export interface ApproveOptions {
  by: string;
  /** How long the approval stands; default 24 hours. */
  expiresInMs?: number;
  now?: Date;
}

/** Approves a plan this instance refused: kept with who and when, usable once until it expires. */
export async function approvePlan(instanceDir: string, planId: string, o: ApproveOptions): Promise<Approval> {
  const refused = (await readRefusedPlans(instanceDir)).find((p) => p.planId === planId);
  if (!refused)
    throw new ApprovalError(
      `no refused plan ${planId} in this instance's state (${join(instanceDir, refusedPlansFile)}): ` +
        'approve the plan id of the refusal, on the instance (and state folder) that refused it',
    );
  const now = o.now ?? new Date();
  const approval: Approval = {
    planId,
    removals: refused.removals,
    memberships: refused.memberships,
    by: o.by,
    at: now.toISOString(),
    expiresAt: new Date(now.getTime() + (o.expiresInMs ?? defaultApprovalMs)).toISOString(),
  };
  await withUpdateLock(join(instanceDir, approvalsFile), async () => {
    const list = (await readApprovals(instanceDir)).filter((a) => !(a.planId === planId && !a.usedAt));
    list.push(approval);
    await writeList(instanceDir, approvalsFile, list.slice(-keepApprovals));
  });
  return approval;
}

/** An unused, unexpired approval whose plan covers `scope`, or undefined. */
export async function findApproval(
  instanceDir: string,
  scope: PlanScope,
  now = new Date(),
): Promise<Approval | undefined> {
  return (await readApprovals(instanceDir)).find(
    (a) => !a.usedAt && Date.parse(a.expiresAt) > now.getTime() && within(scope, a),
  );
}

/** Marks an approval used by a run: it lets nothing through again. */
export async function useApproval(instanceDir: string, planId: string, runId: string, now = new Date()): Promise<void> {
  await withUpdateLock(join(instanceDir, approvalsFile), async () => {
    const list = await readApprovals(instanceDir);
    const a = list.find((x) => x.planId === planId && !x.usedAt);
    if (!a) return;
    a.usedAt = now.toISOString();
    a.usedByRun = runId;
    await writeList(instanceDir, approvalsFile, list);
  });
}
