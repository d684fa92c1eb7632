// The single source for the configuration's shape, defaults and descriptions. The published JSON
// Schema (config.schema.json) is generated from these definitions by scripts/generate-json-schema.ts,
// and a test fails when the committed file drifts.
import { z } from 'zod';
import { durationPattern } from '../shared/duration.js';
import { directoryBlock, syncBlock } from '../directory/schema.js';
import { notifyEvents, notifyFormats } from '../notify/decide.js';
import { maxRemovalsPattern } from '../plan/guard.js';

export const builtinDefaults = {
  timeout: '15m',
  retryAttempts: 2,
  retryBackoff: '30s',
  retryMaxBackoff: '10m',
  stateDir: '/var/lib/bwdc-runner',
  concurrency: 4,
  httpPort: 8080,
  shutdownGrace: '25s',
  logLevel: 'info',
  logFormat: 'json',
  instanceName: 'default',
  staleAfter: 3,
  bwdcNice: 10,
} as const;

/** A guard limit: a count, or a percentage ("5%"). */
const countOrPercent = z
  .union([
    z.number().int().min(0),
    z.string().regex(maxRemovalsPattern, 'expected a count such as 10 or a percentage such as "5%"'),
  ])
  .optional();

const duration = z
  .union([z.string().regex(durationPattern, 'expected a duration such as 90s, 15m or 1h'), z.number().nonnegative()])
  .describe('A duration: `90s`, `15m`, `1h`, `500ms`; a bare number is seconds.');

const secretRef = z
  .string()
  .min(1, 'expected a secret reference (vault://, awssm://, bws://, file://, env://) or a literal value')
  .describe(
    'A secret reference: vault://MOUNT/PATH#KEY, awssm://SECRET-ID#KEY, bws://SECRET-UUID#KEY, file:///PATH, env://NAME, or a literal value.',
  );

const notifyTarget = z
  .strictObject({
    url: secretRef.describe(
      'The webhook URL, or a secret reference to it (vault://, awssm://, bws://, file://, env://): webhook URLs carry tokens.',
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
    after: z
      .number()
      .int()
      .min(1)
      .max(1000)
      .optional()
      .describe('Consecutive failed runs before the first failure notice. Default 1.'),
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
    attempts: z
      .number()
      .int()
      .min(0)
      .max(10)
      .optional()
      .describe(
        `Extra attempts after a transient failure (network, server, timeout). Default ${builtinDefaults.retryAttempts}.`,
      ),
    backoff: duration
      .optional()
      .describe(`First backoff; doubled per attempt, with jitter. Default ${builtinDefaults.retryBackoff}.`),
    maxBackoff: duration.optional().describe(`Upper bound of one backoff. Default ${builtinDefaults.retryMaxBackoff}.`),
  })
  .describe('Retry policy for transient failures. Never applied to auth, config or secret failures.');

/** The settings an instance can take, and the `defaults` block can give to all of them. */
const instanceSettings = {
  schedule: z
    .string()
    .optional()
    .describe(
      'Cron expression, 5 fields (minute precision) or 6 (seconds first). Required by `schedule`, ignored by `run`.',
    ),
  timezone: z
    .string()
    .optional()
    .describe('IANA time zone of the schedule, e.g. Europe/Berlin. Default: TZ, else UTC.'),
  clientId: z.string().optional().describe('The organization API key client id, `organization.<uuid>`.'),
  clientSecret: secretRef.optional().describe('The organization API key client secret (a secret reference).'),
  directorySecret: secretRef
    .optional()
    .describe(
      "The directory's secret (LDAP bind password, Entra key, Google key, Okta token, " +
        "OneLogin secret), set with the setting matching data.json's directoryType.",
    ),
  server: z
    .string()
    .optional()
    .describe('Bitwarden server: `us` (default), `eu`, or the base URL of a self-hosted server.'),
  timeout: duration.optional().describe(`Hard limit for one bwdc call. Default ${builtinDefaults.timeout}.`),
  login: z
    .enum(['runner', 'bwdc'])
    .optional()
    .describe(
      '`runner` (default): the runner requests the organization token and writes it, and the directory ' +
        'secret, into data.json, then starts bwdc once (`sync`). `bwdc`: the fallback, `bwdc login` and ' +
        '`bwdc config <secret> --secretenv` before the sync, for a future bwdc whose storage differs.',
    ),
  directory: directoryBlock.optional(),
  sync: syncBlock
    .optional()
    .describe(
      "What to sync and how (bwdc's data.json `sync` section), with a directory block. With a dataJson template, its own sync section applies.",
    ),
  retry: retry.optional(),
  guard: z
    .strictObject({
      maxRemovals: z
        .union([
          z.number().int().min(0),
          z
            .string()
            .regex(maxRemovalsPattern, 'expected a count such as 10 or a percentage of the members such as "5%"'),
        ])
        .optional()
        .describe(
          'Most members one sync may remove: a count, or a percentage of the current members ("5%"). Default: the larger of 10 and 5%.',
        ),
      maxRemovalsPerDay: countOrPercent.describe(
        'Most removals in any 24 hours (rolling): the removals the server accepted for this instance in the last ' +
          '24 hours (kept in its state folder) plus this sync\'s; a count or a percentage of the members ("10%"). Default: no day budget.',
      ),
      maxMembershipRemovals: countOrPercent.describe(
        'Most group memberships one sync may end: a count, or a percentage of the memberships of the ' +
          'organization\'s directory groups ("10%"). Default: no limit.',
      ),
      refuseEmptiedGroups: z
        .boolean()
        .optional()
        .describe(
          'Refuse a sync that would leave a group that had members with none (approve it, or set false). Default true.',
        ),
      refuseEmptyDirectory: z
        .boolean()
        .optional()
        .describe(
          'Refuse an import that lists no users and removes someone from an organization that has ' +
            'directory-managed members (a groups-only instance removes nobody and passes). Default true.',
        ),
      requireSeats: z
        .boolean()
        .optional()
        .describe(
          'Refuse an import whose new members the free seats cannot cover when autoscaling is capped, or ' +
            'when whether the server may autoscale cannot be known (sponsorships, provider billing). Default true.',
        ),
      always: z
        .boolean()
        .optional()
        .describe(
          'No longer changes anything: every sync is judged by the import gate (docs/guard-rails.md). ' +
            'Accepted for older configs. Default false.',
        ),
    })
    .optional()
    .describe(
      "Guard rails: every import bwdc sends passes through the runner's import gate, which plans it " +
        'against the organization (Public API) and refuses it, class guard, if it breaks one ' +
        '(docs/guard-rails.md). One-time override: run --allow-removals N.',
    ),
  notify: z
    .array(notifyTarget)
    .optional()
    .describe(
      "Where to tell someone about failures and recoveries: webhook targets. Delivery never changes a run's outcome or exit code.",
    ),
  heartbeat: secretRef
    .optional()
    .describe(
      'A cron-monitoring check URL (healthchecks.io convention: <url>/start when a run ' +
        'starts, <url> on success, <url>/<exit code> on failure), or a secret reference to it.',
    ),
  logFile: z
    .union([z.boolean(), z.string()])
    .optional()
    .describe('Append a bwdc.log-style line per run: true for <stateDir>/<instance>/bwdc.log, or a path.'),
  spread: duration
    .optional()
    .describe(
      '`schedule`: delay each run by a fixed offset in [0, spread), derived from a hash of the instance ' +
        'name (like Jenkins H), so many instances on one schedule do not start together. Default 0.',
    ),
  jitter: duration.optional().describe('`schedule`: a further random delay in [0, jitter) per run. Default 0.'),
  staleAfter: z
    .number()
    .min(1)
    .max(1000)
    .optional()
    .describe(
      `\`schedule\`: an instance with no success for longer than this many schedule intervals is reported stale. Default ${3}.`,
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

export const fileSchema = z
  .strictObject({
    $schema: z.string().optional(),
    stateDir: z
      .string()
      .optional()
      .describe(`Root of the per-instance state folders. Default ${builtinDefaults.stateDir}.`),
    bwdcPath: z.string().optional().describe('The bwdc executable. Default: bwdc on PATH.'),
    bwdcNice: z
      .number()
      .int()
      .min(0)
      .max(19)
      .optional()
      .describe(
        `CPU priority (nice value) bwdc runs at, so the runner's own work is never starved ` +
          `by syncs; 0 runs bwdc at the runner's priority. Default ${builtinDefaults.bwdcNice}.`,
      ),
    concurrency: z
      .number()
      .int()
      .min(1)
      .max(1000)
      .optional()
      .describe(`How many bwdc runs at once. Default ${builtinDefaults.concurrency}.`),
    httpPort: z
      .union([z.number().int().min(0).max(65535), z.literal('off')])
      .optional()
      .describe(
        `Port of the health, metrics and status endpoints of \`schedule\`; "off" disables. Default ${builtinDefaults.httpPort}.`,
      ),
    shutdownGrace: duration
      .optional()
      .describe(`How long running syncs may finish after SIGTERM. Default ${builtinDefaults.shutdownGrace}.`),
    runOnStart: z
      .boolean()
      .optional()
      .describe('`schedule`: run every instance once at start, then on its schedule. Default false.'),
    logLevel: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .optional()
      .describe(`Log level; debug adds one line per bwdc call. Default ${builtinDefaults.logLevel}.`),
    logFormat: z
      .enum(['json', 'pretty'])
      .optional()
      .describe(`json: one JSON line per event; pretty: for people. Default ${builtinDefaults.logFormat}.`),
    instancesDir: z
      .string()
      .optional()
      .describe('Also discover instances from the subfolders of this folder (each holding a data.json).'),
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
