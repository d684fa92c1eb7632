// Every setting of the configuration declared once (src/shared/env-setting.ts): its schema, default,
// description and variable. The environment reader, the defaults, the types, the messages, the
// reference pages and config.schema.json (scripts/generate-json-schema.ts) are derived from these.
import * as z from 'zod';
import { duration, setting } from '../shared/env-setting.js';
import { logLevels } from '../shared/log-settings.js';
import { directoryBlock, syncBlock } from '../directory/schema.js';
import { clientIdPattern, isValidTimezone, serverUrl } from './rules.js';
import {
  guardSchema,
  instanceNamePattern,
  instanceNameProblem,
  notifyTarget,
  retry,
  secretRef,
  url,
} from './blocks.js';

export { guardSchema, instanceNamePattern, instanceNameProblem } from './blocks.js';

/** The settings an instance can take, and the `defaults` block can give to all of them. */
const instanceSettings = {
  schedule: setting(
    z.string(),
    'Cron expression, 5 fields (minute precision) or 6 (seconds first); `H` as the minute (`H`, `H/15`) or the ' +
      'hour is a value hashed from `scheduleKey`. Required by `schedule`, ignored by `run`.',
    { env: 'BWDC_SCHEDULE', example: 'H */6 * * *' },
  ),
  scheduleKey: setting(
    z.string().min(1),
    'What `H` in `schedule` is hashed from (Adler-32): default the instance name. The Helm chart sets the ' +
      "instance's CronJob name, so both of its modes run an instance at the same minute.",
  ),
  timezone: setting(
    z.string().refine(isValidTimezone, {
      error: (i) =>
        `${JSON.stringify(i.input)} is not a known time zone; expected an IANA name such as Europe/Berlin or UTC`,
    }),
    'IANA time zone of the schedule, e.g. Europe/Berlin. Default: TZ, else UTC.',
    {
      env: 'TZ',
    },
  ),
  clientId: setting(
    z.string().refine((v) => clientIdPattern.test(v), {
      error: (i) =>
        `${JSON.stringify(i.input)} is not a valid client id; expected organization.<uuid> (Admin Console > Settings > Organization info > API key)`,
    }),
    'The organization API key client id, `organization.<uuid>`.',
    { env: 'BW_CLIENTID' },
  ),
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
  server: setting(
    z.string().refine((v) => serverUrl(v) !== undefined, {
      error: (i) =>
        `${JSON.stringify(i.input)} is not a server; expected us, eu or the http(s) base URL of a self-hosted server, e.g. https://vault.example.com`,
    }),
    'Bitwarden server: `us` (default), `eu`, or the base URL of a self-hosted server.',
    {
      env: 'BW_SERVER',
    },
  ),
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
    url,
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
      'Also discover instances in this folder: each subfolder holding a data.json or a runner.yaml, and each ' +
        '`<name>.runner.yaml` file (docs/configuration.md).',
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
