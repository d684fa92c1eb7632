import { ExitCode, type ExitCodeValue, type FailureClass } from '../errors.js';
import type { TestReport } from '../bwdc/response.js';

export type Outcome = 'success' | 'failure' | 'skipped';
export type RunMode = 'sync' | 'test';

/** What one run of one instance did: the log, the metrics, the exit code and /status read this. */
export interface RunResult {
  instance: string;
  runId: string;
  mode: RunMode;
  outcome: Outcome;
  failureClass: FailureClass | undefined;
  exitCode: ExitCodeValue;
  /** Human-readable, secret-free. */
  message: string;
  users: number | undefined;
  groups: number | undefined;
  test: TestReport | undefined;
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

// Most severe first: the exit code of a run over many instances is the first one any of them has.
const severity: readonly ExitCodeValue[] = [ExitCode.bwdcUnusable, ExitCode.config, ExitCode.secret, ExitCode.syncFailed, ExitCode.locked, ExitCode.ok];

export function combinedExitCode(results: readonly RunResult[]): ExitCodeValue {
  for (const code of severity) if (results.some((r) => r.exitCode === code)) return code;
  return ExitCode.ok;
}
