// Step "report": the run's result, built once from its ending, then the run's log line and the
// instance's bwdc.log line (run-log.ts).
import { ExitCode, errorMessage, type ExitCodeValue } from '../../errors.js';
import { redactor } from '../../observability/redact.js';
import type { RunResult } from '../result.js';
import { appendRunLog } from '../run-log.js';
import type { Effort, Ending, RunContext } from '../types.js';

export interface RunFacts {
  startedAt: Date;
  endedAt: Date;
  effort: Effort;
  seeded: string | undefined;
  restoredDataJson: boolean;
  lastSuccessAt: Date | undefined;
  interrupted: boolean;
}

export function buildResult(
  { instance, runId, mode }: RunContext,
  ending: Exclude<Ending, { outcome: 'not-started' }>,
  run: RunFacts,
): RunResult {
  const report = ending.outcome === 'success' ? ending.report : undefined;
  const failed = ending.outcome === 'failure' ? ending : undefined;
  const exitCode: ExitCodeValue = failed
    ? failed.exitCode
    : ending.outcome === 'skipped'
      ? ExitCode.locked
      : ending.outcome === 'interrupted'
        ? ExitCode.sigterm
        : ExitCode.ok;
  return {
    instance: instance.name,
    runId,
    mode,
    outcome: ending.outcome,
    failureClass: failed?.failureClass,
    transient: failed?.transient ?? false,
    exitCode,
    message: redactor.scrub(report ? report.message : ending.outcome === 'success' ? '' : ending.message),
    users: report?.users,
    groups: report?.groups,
    test: report?.test,
    plan: run.effort.plan,
    guardRules: run.effort.guardRules,
    planId: run.effort.planId,
    startedAt: run.startedAt,
    endedAt: run.endedAt,
    durationMs: run.endedAt.getTime() - run.startedAt.getTime(),
    attempts: run.effort.attempts,
    bwdcCalls: run.effort.bwdcCalls,
    seeded: run.seeded,
    restoredDataJson: run.restoredDataJson,
    interrupted: run.interrupted,
    lastSuccessAt: run.lastSuccessAt,
  };
}

export async function report({ instance, log }: RunContext, result: RunResult): Promise<void> {
  const fields = {
    outcome: result.outcome,
    failureClass: result.failureClass,
    durationMs: result.durationMs,
    users: result.users,
    groups: result.groups,
    attempts: result.attempts,
    bwdcCalls: result.bwdcCalls,
    restoredDataJson: result.restoredDataJson || undefined,
    planId: result.planId,
  };
  if (result.outcome === 'success') log.info(fields, result.message);
  else if (result.outcome === 'skipped' || result.outcome === 'interrupted') log.warn(fields, result.message);
  else log.error(fields, `run failed: ${result.message}`);
  if (instance.logFile)
    await appendRunLog(instance.logFile, result).catch((err) =>
      log.warn({ err: errorMessage(err) }, 'could not append to the log file'),
    );
}
