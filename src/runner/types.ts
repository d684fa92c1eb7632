// The run's own types: what the steps of a run (steps/*.ts) take and hand on, and what tell.ts and
// the record of past runs read. Depends on no step, so no step and no reader imports back into the run.
import type { OrgToken } from '../bitwarden/identity.js';
import type { TokenCache } from '../bitwarden/token-cache.js';
import type { TestReport } from '../bwdc/response.js';
import type { InstanceConfig, RunnerConfig } from '../config/model.js';
import type { ExitCodeValue, FailureClass, RunNotStartedError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import type { Plan } from '../plan/compute.js';
import type { SecretSession } from '../secrets/resolver.js';
import type { Away, CostlySlot } from '../shared/slots.js';
import type { InstanceState, LastRun } from '../state/instance-state.js';
import type { LockHandle } from '../state/lock.js';
import type { RunMode } from './result.js';

export interface RunDeps {
  config: Pick<
    RunnerConfig,
    'stateDir' | 'controlDir' | 'bwdcPath' | 'passEnv' | 'bwdcNice' | 'historyMaxBytes' | 'historyMaxAgeMs'
  >;
  env: Readonly<Record<string, string | undefined>>;
  secrets: SecretSession;
  log: Logger;
  /** Aborted on shutdown: the running bwdc is stopped, no retry starts. */
  signal?: AbortSignal;
  /** Aborted when no new attempt may start (shutdown begins): a wait to retry ends, the run ends with its failure. */
  draining?: AbortSignal;
  /** Between SIGTERM and SIGKILL when a bwdc call is stopped. */
  killGraceMs?: number;
  /** Called before each retry, for metrics. */
  onRetry?: (instance: string, attempt: number, failureClass: FailureClass) => void;
  /** Wraps the bwdc calls of each attempt: preparation and tidying up stay outside it. */
  costlySlot?: CostlySlot;
  /** Wraps the wait between attempts: the run gives up its admission meanwhile (shared/slots.ts). */
  away?: Away;
  /** Organization tokens shared by the runs of this process (default: one cache per process). */
  tokens?: TokenCache;
  /** run --allow-removals N: this once, up to N removals pass the guard rails. */
  allowRemovals?: number;
  /** BWDC_APPROVE_PLAN: a sync whose plan has exactly this id passes the approvable rails, this run only. */
  approvedPlan?: string;
  /** Per attempt of a notification or heartbeat delivery (BWDC_NOTIFY_TIMEOUT). */
  notifyTimeoutMs?: number;
  /** Called with every notification and heartbeat delivery (metrics): the target's label, delivered or not. */
  onNotified?: (target: string, ok: boolean) => void;
}

/** What every step of one run is given: the instance, the process's dependencies, the run's identity. */
export interface RunContext {
  instance: InstanceConfig;
  deps: RunDeps;
  mode: RunMode;
  runId: string;
  log: Logger;
  /** The directory type whose secret this run sets, so wipes it after; a template's own secret is the user's. */
  wipeType: number | undefined;
}

/** The instance's state folder, opened and locked for this run. */
export interface Held {
  state: InstanceState;
  lock: LockHandle;
}

/** What bwdc reported for a run that got through. */
export interface Report {
  message: string;
  users: number | undefined;
  groups: number | undefined;
  test: TestReport | undefined;
}

/** How a run ended, before tidying up may still turn a success into a failure. */
export type Ending =
  | { outcome: 'success'; report: Report }
  | {
      outcome: 'failure';
      failureClass: FailureClass;
      transient: boolean;
      exitCode: ExitCodeValue;
      message: string;
      /** A refused sync's plan id. */
      planId?: string;
    }
  | { outcome: 'skipped' | 'interrupted'; message: string }
  | { outcome: 'not-started'; error: RunNotStartedError };

/** Counted across attempts: written by the attempt steps (attempts, bwdc, guard), read by the result. */
export interface Effort {
  attempts: number;
  bwdcCalls: number;
  /** A bwdc this run started was killed, so its data.json lock may be left behind. */
  bwdcKilled: boolean;
  /** The plan of this run (`plan`, or the gate's plan of a sync's import), kept when the guard stops the run. */
  plan?: Plan;
  guardRules?: string[];
  /** The id of the plan the guard refused (plan/plan-id.ts): what `approve` takes. */
  planId?: string;
  /** What the import gate saw of a sync's import: sent by bwdc, forwarded to the server, accepted by it. */
  gate?: { received: number; forwarded: number; accepted: number; unchanged: boolean };
  /** The approval (issue 32's `approve PLAN_ID`) this sync passed on and used up. */
  approval?: { planId: string; by: string };
  /** The read-back after an accepted import (steps/verify.ts): what the organization does not show. */
  verification?: Verification;
}

/** What the organization read back after an accepted import lacked (empty lists: verified). */
export interface Verification {
  ok: boolean;
  /** Invited members (external ids) the organization does not have. */
  notInvited: string[];
  /** Removed members (external ids) still in the organization. */
  notRemoved: string[];
  /** Created groups (external ids) the organization does not have. */
  groupsMissing: string[];
  durationMs: number;
}

/** The organization token and the device id it was requested with (data.json's appId). */
export type SessionToken = OrgToken & { appId: string };

/** The secrets one attempt resolved. */
export interface RunSecrets {
  clientSecret: string;
  directorySecret: string | undefined;
}

/** What the state folder remembers of the runs before this one, updated with this one. */
export interface History {
  lastSuccessAt: Date | undefined;
  consecutiveFailures: number;
  /** Targets that sent a failure notice since the last success. */
  notified: string[];
  record: LastRun | undefined;
  /** A run that could not record (its folder unusable): keeps who was told in this process's memory. */
  remember?: (notified: string[]) => void;
}
