// The validated, normalized configuration every other module receives. Frozen: nobody edits it.
import type { LogFormat } from '../shared/log-settings.js';
import type { GuardSettings } from '../plan/guard.js';
import type { NotifyTarget } from '../notify/decide.js';
import type { RawInstanceSettings } from './schema.js';

/** The instance settings normalize.ts turns into something else; every other one is used as declared. */
export const computedSettings = [
  ...(['schedule', 'timezone', 'clientId', 'clientSecret', 'directorySecret', 'server', 'timeout'] as const),
  ...(['directory', 'sync', 'retry', 'guard', 'notify', 'heartbeat', 'logFile', 'spread', 'jitter'] as const),
];
/** The settings used as declared, each with its value or its declared default (each has one). */
export type PlainSettings = {
  [K in Exclude<keyof RawInstanceSettings, (typeof computedSettings)[number]>]-?: NonNullable<RawInstanceSettings[K]>;
};

export interface RetryPolicy {
  attempts: number;
  backoffMs: number;
  maxBackoffMs: number;
}

export interface DataJsonTemplate {
  /** The template text, as read. */
  text: string;
  /** sha256 of the text: the state dir is re-seeded when it changes. */
  hash: string;
  /** Where it came from, for messages: a path, or "inline in config.yaml:12". */
  origin: string;
  /** data.json's directoryType (0 LDAP, 1 Entra ID, 2 Google Workspace, 3 Okta, 4 OneLogin). */
  directoryType: number | undefined;
  /** Rendered from a directory block (true) or a user's template. */
  rendered?: boolean;
  /** The template's file, when it was read from one. */
  path?: string;
}

export interface InstanceConfig extends PlainSettings {
  name: string;
  dataJson: DataJsonTemplate;
  schedule: string | undefined;
  timezone: string | undefined;
  clientId: string;
  /** Secret reference text (or a literal): resolved at every run, never stored resolved. */
  clientSecret: string;
  directorySecret: string | undefined;
  /** Base URL of the Bitwarden server; undefined keeps what data.json says; '' is the US cloud. */
  server: string | undefined;
  timeoutMs: number;
  retry: RetryPolicy;
  /** The guard rails checked before a sync (docs/design.md "Safe syncs"). */
  guard: GuardSettings;
  /** Notification targets (URLs as secret references or literal URLs). */
  notify: readonly NotifyTarget[];
  /** The cron-monitoring check URL (a secret reference or a literal URL). */
  heartbeat: string | undefined;
  /** Absolute path of the bwdc.log-style file, or undefined. */
  logFile: string | undefined;
  /** `schedule`: window of the hash-based start offset (0: none). */
  spreadMs: number;
  /** `schedule`: bound of the random extra delay (0: none). */
  jitterMs: number;
  /** Where the instance was defined, for messages. */
  origin: string;
}

export interface RunnerConfig {
  instances: readonly InstanceConfig[];
  stateDir: string;
  /**
   * Where per-instance control state (pause, quarantine, approvals, history) lives: a folder every scheduler
   * replica mounts, so it follows an instance that moves (docs/scheduler.md "What follows an instance").
   * Undefined: stateDir. Read through controlDirOf (state/control-dir.ts).
   */
  controlDir: string | undefined;
  /** Undefined: `bwdc` looked up on PATH. */
  bwdcPath: string | undefined;
  /** Nice value bwdc runs at (0: the runner's own priority). */
  bwdcNice: number;
  concurrency: number;
  httpPort: number | 'off';
  shutdownGraceMs: number;
  runOnStart: boolean;
  logLevel: string;
  logFormat: LogFormat;
  /** Extra environment variable names (or NAME* prefixes) passed through to bwdc. */
  passEnv: readonly string[];
  /** What the configuration was read from, for messages: "environment", a file, a folder. */
  source: string;
  /** The history file of each instance is compacted past this size (BWDC_HISTORY_MAX_SIZE). */
  historyMaxBytes: number;
  /** History entries older than this go (BWDC_HISTORY_MAX_AGE). */
  historyMaxAgeMs: number;
  /** Delivery of notifications and heartbeats: per attempt (BWDC_NOTIFY_TIMEOUT). */
  notifyTimeoutMs: number;
  /** `schedule`: reload when the configuration's files change (BWDC_WATCH_CONFIG). */
  watchConfig: boolean;
  /** The files and folders the configuration was read from (config file, instances folder, templates). */
  readFrom: ReadonlyArray<{ path: string; kind: 'file' | 'folder' }>;
  /** Problems that do not stop a run (a template without stateVersion), for the log and `check`. */
  warnings: readonly string[];
}
