// Every setting of the configuration declared once (src/shared/env-setting.ts): its schema, default,
// description and variable. The environment reader, the defaults, the types, the messages, the
// reference pages and config.schema.json (scripts/generate-json-schema.ts) are derived from these.
import { z } from 'zod';
import { declare, duration, setting } from '../shared/env-setting.js';
import { logLevels } from '../shared/log-settings.js';
import { secretSchemes } from '../shared/secret-ref.js';
import { directoryBlock, syncBlock } from '../directory/schema.js';
import { notifyEvents, notifyFormats } from '../notify/decide.js';
import { maxRemovalsPattern } from '../plan/guard.js';

const schemes = secretSchemes.map((s) => `${s}://`).join(', ');
const secretRef = z.string().min(1, `expected a secret reference (${schemes}) or a literal value`);

const notifyTarget = z
  .strictObject({
    url: declare(
      secretRef.describe(`The webhook URL, or a secret reference to it (${schemes}): webhook URLs carry tokens.`),
      {
        secret: true,
      },
    ),
    format: z
      .enum(notifyFormats, 'expected json, slack or teams')
      .optional()
      .describe('json (the documented payload), slack (incoming webhook), teams (Workflows webhook). Default json.'),
    on: z
      .array(z.enum(notifyEvents, 'expected failure, recovery or always'))
      .min(1)
      .optional()
      .describe(
        'When: failure (after `after` consecutive failures, once until a recovery), recovery (the ' +
          'first success after a failure notice), always (every run). Default [failure, recovery].',
      ),
    after: setting(z.number().int().min(1).max(1000), 'Consecutive failed runs before the first failure notice.', {
      default: 1,
      example: 3,
    }),
  })
  .describe('One notification target.');

/**
 * The one rule for instance names, here, in the Helm chart and in k8s/ (docs/kubernetes.md "Instance
 * names"): a DNS-1123 label of at most 30 characters, because the chart names each instance's CronJob
 * `<release full name>-<instance>`, and Kubernetes allows a CronJob name 52 characters (21 + 1 + 30).
 */
export const instanceNamePattern = /^[a-z0-9]([-a-z0-9]{0,28}[a-z0-9])?$/;
export const instanceNameRule =
  'expected lowercase letters, digits and "-", starting and ending with a letter or digit, at most 30 characters (it names Kubernetes resources)';
/** The one message for a refused name, naming it (the chart's `bwdc-runner.checkName` says the same). */
export const instanceNameProblem = (name: unknown): string =>
  `${JSON.stringify(name)} is not a valid instance name; ${instanceNameRule}`;

const retry = z
  .strictObject({
    attempts: setting(
      z.number().int().min(0).max(10),
      'Extra attempts after a transient failure (network, server, timeout).',
      { env: 'BWDC_RETRY_ATTEMPTS', default: 2, example: 2 },
    ),
    backoff: setting(duration, 'First backoff; doubled per attempt, with jitter.', {
      env: 'BWDC_RETRY_BACKOFF',
      default: '30s',
    }),
    maxBackoff: setting(duration, 'Upper bound of one backoff.', { env: 'BWDC_RETRY_MAX_BACKOFF', default: '10m' }),
  })
  .describe('Retry policy for transient failures. Never applied to auth, config or secret failures.');

const limit = (doc: string, env: string, percentOf = 'of the members ') =>
  setting(
    z.union([
      z.number().int().min(0),
      z.string().regex(maxRemovalsPattern, `expected a count such as 10 or a percentage ${percentOf}such as "5%"`),
    ]),
    doc,
    { env },
  );
const flag = (doc: string, env: string) => setting(z.boolean(), doc, { env, default: true });

export const guardSchema = z
  .strictObject({
    maxRemovals: limit(
      'Most members one sync may remove: a count, or a percentage of the current members ("5%"). Default: the larger of 10 and 5%.',
      'BWDC_GUARD_MAX_REMOVALS',
    ),
    maxRemovalsPerDay: limit(
      'Most removals in any 24 hours (rolling): the removals the server accepted for this instance in the last ' +
        '24 hours (kept in its state folder) plus this sync\'s; a count or a percentage of the members ("10%"). Default: no day budget.',
      'BWDC_GUARD_MAX_REMOVALS_PER_DAY',
      '',
    ),
    maxMembershipRemovals: limit(
      'Most group memberships one sync may end: a count, or a percentage of the memberships of the ' +
        'organization\'s directory groups ("10%"). Default: no limit.',
      'BWDC_GUARD_MAX_MEMBERSHIP_REMOVALS',
      '',
    ),
    refuseEmptiedGroups: flag(
      'Refuse a sync that would leave a group that had members with none (approve it, or set false).',
      'BWDC_GUARD_REFUSE_EMPTIED_GROUPS',
    ),
    refuseEmptyDirectory: flag(
      'Refuse an import that lists no users and removes someone from an organization that has ' +
        'directory-managed members (a groups-only instance removes nobody and passes).',
      'BWDC_GUARD_REFUSE_EMPTY',
    ),
    requireSeats: flag(
      'Refuse an import whose new members the free seats cannot cover when autoscaling is capped, or ' +
        'when whether the server may autoscale cannot be known (sponsorships, provider billing).',
      'BWDC_GUARD_REQUIRE_SEATS',
    ),
    // Deprecated: read by nobody; load.ts warns that it does nothing. Kept so older configs still load.
    always: setting(
      z.boolean(),
      'Deprecated: does nothing (every import is judged by the gate, docs/guard-rails.md).',
      {
        env: 'BWDC_GUARD_ALWAYS',
      },
    ),
  })
  .describe(
    "Guard rails: every import bwdc sends passes through the runner's import gate, which plans it " +
      'against the organization (Public API) and refuses it, class guard, if it breaks one ' +
      '(docs/guard-rails.md). One-time override: run --allow-removals N.',
  );

/** The settings an instance can take, and the `defaults` block can give to all of them. */
const instanceSettings = {
  schedule: setting(
    z.string(),
    'Cron expression, 5 fields (minute precision) or 6 (seconds first). Required by `schedule`, ignored by `run`.',
    { env: 'BWDC_SCHEDULE' },
  ),
  timezone: setting(z.string(), 'IANA time zone of the schedule, e.g. Europe/Berlin. Default: TZ, else UTC.', {
    env: 'TZ',
  }),
  clientId: setting(z.string(), 'The organization API key client id, `organization.<uuid>`.', { env: 'BW_CLIENTID' }),
  clientSecret: setting(secretRef, 'The organization API key client secret (a secret reference).', {
    env: 'BW_CLIENTSECRET',
    secret: true,
    fileVariant: true,
  }),
  directorySecret: setting(
    secretRef,
    "The directory's secret (LDAP bind password, Entra key, Google key, Okta token, " +
      "OneLogin secret), set with the setting matching data.json's directoryType.",
    { env: 'BWDC_DIRECTORY_SECRET', secret: true, fileVariant: true },
  ),
  server: setting(z.string(), 'Bitwarden server: `us` (default), `eu`, or the base URL of a self-hosted server.', {
    env: 'BW_SERVER',
  }),
  timeout: setting(
    duration.refine((ms) => ms > 0, 'expected a duration above zero such as 15m'),
    'Hard limit for one bwdc call.',
    { env: 'BWDC_TIMEOUT', default: '15m' },
  ),
  login: setting(
    z.enum(['runner', 'bwdc']),
    '`runner`: the runner requests the organization token and writes it, and the directory ' +
      'secret, into data.json, then starts bwdc once (`sync`). `bwdc`: the fallback, `bwdc login` and ' +
      '`bwdc config <secret> --secretenv` before the sync, for a future bwdc whose storage differs.',
    { env: 'BWDC_LOGIN', default: 'runner' },
  ),
  directory: directoryBlock.optional(),
  sync: syncBlock
    .optional()
    .describe(
      "What to sync and how (bwdc's data.json `sync` section), with a directory block. With a dataJson template, its own sync section applies.",
    ),
  retry: retry.optional(),
  guard: guardSchema.optional(),
  notify: setting(
    z.array(notifyTarget),
    "Where to tell someone about failures and recoveries: webhook targets. Delivery never changes a run's outcome or exit code.",
    { env: 'BWDC_NOTIFY' },
  ),
  heartbeat: setting(
    secretRef,
    'A cron-monitoring check URL (healthchecks.io convention: <url>/start when a run ' +
      'starts, <url> on success, <url>/<exit code> on failure), or a secret reference to it.',
    { env: 'BWDC_HEARTBEAT_URL', secret: true },
  ),
  logFile: setting(
    z.union([z.boolean(), z.string()]),
    'Append a bwdc.log-style line per run: true for <stateDir>/<instance>/bwdc.log, or a path.',
    { env: 'BWDC_LOG_FILE' },
  ),
  spread: setting(
    duration,
    '`schedule`: delay each run by a fixed offset in [0, spread), derived from a hash of the instance ' +
      'name (like Jenkins H), so many instances on one schedule do not start together.',
    { env: 'BWDC_SPREAD', default: 0 },
  ),
  jitter: setting(duration, '`schedule`: a further random delay in [0, jitter) per run.', {
    env: 'BWDC_JITTER',
    default: 0,
  }),
  staleAfter: setting(
    z.number().min(1).max(1000),
    '`schedule`: an instance with no success for longer than this many schedule intervals is reported stale.',
    { env: 'BWDC_STALE_AFTER', default: 3, example: 3 },
  ),
  quarantineAfter: setting(
    z.number().int().min(0).max(100000),
    'Pause the instance after this many failed syncs in a row ("quarantined after N failures"; ' +
      '`bwdc-runner resume NAME` ends it); 0: never; 24 is a day of hourly runs.',
    { env: 'BWDC_QUARANTINE_AFTER', default: 24, example: 24 },
  ),
};

export const defaultsSchema = z
  .strictObject(instanceSettings)
  .describe('Settings every instance inherits unless it sets its own.');

export const instanceSchema = z
  .strictObject({
    name: z
      .string()
      // The name in the message, as the chart and the environment's path give it.
      .regex(instanceNamePattern, {
        error: (issue) => instanceNameProblem(issue.input),
      })
      .describe('Instance name: used for the state folder, logs and metrics.'),
    dataJson: z
      .union([z.string().min(1), z.record(z.string(), z.unknown())])
      .optional()
      .describe(
        'A data.json template instead of a directory block: a path (relative to this file) or the JSON object inline.',
      ),
    ...instanceSettings,
  })
  .describe('One directory instance: one directory (a directory block or a data.json template), one organization.');

/** Per-folder overrides for folder discovery (`<dir>/<instance>/runner.yaml`). */
export const folderInstanceSchema = z.strictObject(instanceSettings);

/** The settings of the process: the variable wins over the file's key (docs/configuration.md). */
export const globalSettings = {
  stateDir: setting(z.string().min(1), 'Root of the per-instance state folders.', {
    env: 'BWDC_STATE_DIR',
    default: '/var/lib/bwdc-runner',
  }),
  // Shared by every scheduler replica, unlike stateDir (docs/scheduler.md "What follows an instance").
  controlDir: setting(
    z.string().min(1),
    'Root of the per-instance control state (pause, quarantine, approvals, history) that must follow an ' +
      'instance from one scheduler replica to another: a folder every replica mounts. Default: stateDir.',
    { env: 'BWDC_CONTROL_DIR' },
  ),
  bwdcPath: setting(z.string().min(1), 'The bwdc executable. Default: bwdc on PATH.', { env: 'BWDC_PATH' }),
  bwdcNice: setting(
    z.number().int().min(0).max(19),
    "CPU priority (nice value) bwdc runs at, so the runner's own work is never starved " +
      "by syncs; 0 runs bwdc at the runner's priority.",
    { env: 'BWDC_NICE', default: 10 },
  ),
  concurrency: setting(z.number().int().min(1).max(1000), 'How many bwdc runs at once.', {
    env: 'BWDC_CONCURRENCY',
    default: 4,
  }),
  httpPort: setting(
    z.union([z.number().int().min(0).max(65535), z.literal('off')]),
    'Port of the health, metrics and status endpoints of `schedule`; "off" disables.',
    { env: 'BWDC_HTTP_PORT', default: 8080 },
  ),
  shutdownGrace: setting(duration, 'How long running syncs may finish after SIGTERM.', {
    env: 'BWDC_SHUTDOWN_GRACE',
    default: '25s',
  }),
  runOnStart: setting(z.boolean(), '`schedule`: run every instance once at start, then on its schedule.', {
    env: 'BWDC_RUN_ON_START',
    default: false,
  }),
  logLevel: setting(z.enum(logLevels), 'Log level; debug adds one line per bwdc call.', {
    env: 'LOG_LEVEL',
    default: 'info',
  }),
  logFormat: setting(z.enum(['json', 'pretty']), 'json: one JSON line per event; pretty: for people.', {
    env: 'LOG_FORMAT',
    default: 'json',
  }),
};

export const fileSchema = z
  .strictObject({
    $schema: z.string().optional(),
    ...globalSettings,
    instancesDir: setting(
      z.string(),
      'Also discover instances from the subfolders of this folder (each holding a data.json).',
      { env: 'BWDC_INSTANCES_DIR' },
    ),
    defaults: defaultsSchema.optional(),
    instances: z.array(instanceSchema).optional(),
  })
  .describe('bwdc-runner configuration file.');

export type RawInstanceSettings = z.infer<typeof defaultsSchema>;
export type RawInstance = z.infer<typeof instanceSchema>;
export type RawFile = z.infer<typeof fileSchema>;

export function configJsonSchema(): unknown {
  return {
    ...(z.toJSONSchema(fileSchema, { target: 'draft-2020-12', io: 'input' }) as object),
    title: 'bwdc-runner configuration',
  };
}
