// What the metrics record of one run, and the label values they take from it: outcomes and seat kinds.
import type { Plan } from '../plan/compute.js';

export const outcomes = ['success', 'failure', 'skipped', 'interrupted'] as const;
export type Outcome = (typeof outcomes)[number];

export interface RunRecord {
  instance: string;
  outcome: Outcome;
  failureClass: string | undefined;
  durationMs: number;
  endedAt: Date;
  users: number | undefined;
  groups: number | undefined;
  bwdcCalls: number;
  /** Attempts the run made (1 + its retries); absent for a run that never reached its attempts. */
  attempts?: number;
  /** When the last success ended, this run's or an earlier one's (from the state folder). */
  lastSuccessAt: Date | undefined;
  /** The run's plan, when it made one (`plan`, the gate's plan of a sync's import), and the guard rules that stopped it. */
  plan?: Plan;
  guardRules?: readonly string[];
  /** Set when the instance is paused (this run skipped for it, or its failure quarantined it). */
  paused?: object;
}

/** The label values of bwdc_runner_seats: the plan's seat figures. */
export const seatKinds = ['occupied', 'free', 'needed'] as const;
export type PlanSeats = Record<(typeof seatKinds)[number], number>;
