import { mostSevereExitCode, type ExitCodeValue, type FailureClass } from '../errors.js';
import type { TestReport } from '../bwdc/response.js';
import type { Plan } from '../plan/compute.js';

/** `interrupted`: stopped by shutdown (SIGTERM/SIGINT) while in bwdc; not a failure of the sync. */
export type Outcome = 'success' | 'failure' | 'skipped' | 'interrupted';
/** `plan`: `bwdc test` plus the organization read through the Public API; changes nothing. */
export type RunMode = 'sync' | 'test' | 'plan';

/** What one run of one instance did: the log, the metrics, the exit code and /status read this. */
export interface RunResult {
  instance: string;
  runId: string;
  mode: RunMode;
  outcome: Outcome;
  failureClass: FailureClass | undefined;
  /** Worth another attempt: a transient class, or a secret backend's passing error (Vault sealed, throttling). */
  transient?: boolean;
  exitCode: ExitCodeValue;
  /** Human-readable, secret-free. */
  message: string;
  users: number | undefined;
  groups: number | undefined;
  test: TestReport | undefined;
  /** `plan`, and a sync the guard rails checked first: what the sync would (or will) do. */
  plan?: Plan;
  /** The guard rules that stopped this sync (class `guard`). */
  guardRules?: string[];
  /** The refused plan's id (class `guard`): `bwdc-runner approve PLAN_ID` lets it through once. */
  planId?: string;
  startedAt: Date;
  endedAt: Date;
  durationMs: number;
  attempts: number;
  bwdcCalls: number;
  seeded: string | undefined;
  restoredDataJson: boolean;
  interrupted: boolean;
  /** When the last success ended: this run's, or an earlier run's as recorded in the state folder. */
  lastSuccessAt: Date | undefined;
}

export function combinedExitCode(results: readonly RunResult[]): ExitCodeValue {
  return mostSevereExitCode(results.map((r) => r.exitCode));
}
