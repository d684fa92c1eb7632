// The validated, normalized configuration every other module receives. Frozen: nobody edits it.
import type * as z from 'zod';
import type { processSettings } from '../shared/process-settings.js';
import type { Globals } from './globals.js';
import type { GuardSettings } from '../plan/guard.js';
import type { NotifyTarget } from '../notify/decide.js';
import type { Defaulted } from '../shared/env-setting.js';
import type { defaultsSchema, RawInstanceSettings } from './schema.js';

/** The instance settings normalize.ts turns into something else; every other one is used as declared. */
export const computedSettings = [
  ...([
    'schedule',
    'scheduleKey',
    'timezone',
    'clientId',
    'clientSecret',
    'directorySecret',
    'server',
    'timeout',
  ] as const),
  ...(['directory', 'sync', 'retry', 'guard', 'notify', 'heartbeat', 'logFile', 'spread', 'jitter'] as const),
];
type Shape = typeof defaultsSchema.shape;
/** The settings used as declared: each its value, else its declared default (undefined only without one). */
export type PlainSettings = {
  [K in Exclude<keyof Shape, (typeof computedSettings)[number]>]: Shape[K] extends Defaulted
    ? NonNullable<RawInstanceSettings[K]>
    : RawInstanceSettings[K];
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

/** The process settings the configuration carries (the others are read where they are used). */
type Carried = 'historyMaxBytes' | 'historyMaxAgeMs' | 'notifyTimeoutMs' | 'watchConfig';

/** The globals as declared (schema.ts, shared/process-settings.ts), with what was loaded. */
export type RunnerConfig = Globals & { [K in Carried]: NonNullable<z.output<(typeof processSettings)[K]>> } & {
  instances: readonly InstanceConfig[];
  shutdownGraceMs: number;
  /** Extra environment variable names (or NAME* prefixes) passed through to bwdc (BWDC_PASS_ENV). */
  passEnv: readonly string[];
  /** What the configuration was read from, for messages: "environment", a file, a folder. */
  source: string;
  /** The files and folders the configuration was read from (config file, instances folder, templates). */
  readFrom: ReadonlyArray<{ path: string; kind: 'file' | 'folder' }>;
  /** Problems that do not stop a run (a template without stateVersion), for the log and `check`. */
  warnings: readonly string[];
};
