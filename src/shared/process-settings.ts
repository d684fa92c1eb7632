// The variables of the process that are no key of the config file, each declared once: read through
// readSetting where used (cli/, secrets/), checked all at once when the configuration loads (an invalid
// value exits 2 before anything runs), listed in docs/reference/environment.md by scripts/generate-docs.ts.
import * as z from 'zod';
import { duration, setting } from './env-setting.js';

const positive = (what: string) => duration.refine((ms) => ms > 0, `expected a duration above zero such as ${what}`);
const text = z.string().min(1);
const sizes: Record<string, number> = { '': 1, k: 1024, M: 1024 ** 2, G: 1024 ** 3 };
// Names only: 'A B' (a space-separated list) would otherwise be one name that matches nothing, in silence.
const nameList = z
  .string()
  .transform((v) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  )
  .refine((names) => names.every((n) => /^(\*|[A-Za-z_][A-Za-z0-9_]*\*?)$/.test(n)));

export const processSettings = {
  historyMaxBytes: setting(
    z
      .string()
      .regex(/^\d+(k|M|G)?i?B?$/)
      .transform((v) => Number(/^\d+/.exec(v)![0]) * sizes[/[kMG]/.exec(v)?.[0] ?? '']!)
      .refine((n) => n >= 4096)
      .or(z.number().int().min(4096)),
    "Each instance's history.jsonl is compacted past this size (bytes, or with a k, M or G suffix; at least 4k).",
    {
      env: 'BWDC_HISTORY_MAX_SIZE',
      default: '10M',
      expected: 'a size of at least 4k, such as 10M (bytes, or with a k, M or G suffix)',
    },
  ),
  historyMaxAgeMs: setting(
    positive('90d'),
    'History entries older than this go at the next compaction (docs/operations.md).',
    {
      env: 'BWDC_HISTORY_MAX_AGE',
      default: '90d',
      expected: 'a duration such as 90d',
    },
  ),
  notifyTimeoutMs: setting(
    positive('5s'),
    'Limit of one delivery attempt of a notification or a heartbeat (two retries).',
    { env: 'BWDC_NOTIFY_TIMEOUT', default: '5s', expected: 'a duration such as 5s' },
  ),
  watchConfig: setting(
    z.boolean(),
    '`schedule`: reload when the config file, the instances folder or a template changes (as SIGHUP does).',
    { env: 'BWDC_WATCH_CONFIG', default: true, expected: 'true or false' },
  ),
  passEnv: setting(
    nameList,
    "Extra variables passed to bwdc: names or `PREFIX*`, comma-separated (`*` for all); the runner's own credentials are never passed, whatever it says.",
    { env: 'BWDC_PASS_ENV', default: '', expected: 'variable names or PREFIX*, comma-separated' },
  ),
  secretCacheMs: setting(duration, '`schedule`: runs starting within this window share secret fetches.', {
    env: 'BWDC_SECRET_CACHE_TTL',
    default: '30s',
    expected: 'a duration such as 30s',
  }),
  secretTimeoutMs: setting(positive('10s'), 'Limit of one request to Vault, AWS or Bitwarden Secrets Manager.', {
    env: 'BWDC_SECRET_TIMEOUT',
    default: '10s',
    expected: 'a duration above zero such as 10s',
  }),
  secretRetries: setting(
    z.number().int().min(0).max(20),
    'Retries of transient backend errors (network, 5xx, throttling, a sealed Vault).',
    { env: 'BWDC_SECRET_RETRIES', default: 3, expected: 'a whole number from 0 to 20, e.g. 3' },
  ),
  secretBackoffMs: setting(duration, 'First backoff of those retries.', {
    env: 'BWDC_SECRET_BACKOFF',
    default: '250ms',
    expected: 'a duration such as 250ms',
  }),
  httpHost: setting(text, '`schedule`: the address the endpoints listen on.', {
    env: 'BWDC_HTTP_HOST',
    default: '0.0.0.0',
    expected: 'an address such as 0.0.0.0 or ::',
  }),
  adminTokenFile: setting(
    text,
    '`schedule`: a file holding the bearer token (16 characters or more) of the admin endpoints ' +
      '(pause, resume, run, approve); unset, they do not exist (docs/operations.md).',
    { env: 'BWDC_ADMIN_TOKEN_FILE', expected: 'the path of a file holding the token' },
  ),
  approvePlan: setting(
    z.string().regex(/^[0-9a-f]{10}$/),
    '`run`: a sync whose plan has exactly this id (a refusal names it) passes the guard rails an approval can ' +
      'lift, this run only: a one-off Job of a CronJob without a state volume (docs/guard-rails.md).',
    { env: 'BWDC_APPROVE_PLAN', noun: 'a plan id', expected: 'the 10 hex digits a refusal names' },
  ),
  allowRemovals: setting(
    z.number().int().min(0),
    '`run`: this once, up to this many removals pass the guard rails (as `--allow-removals N`).',
    { env: 'BWDC_ALLOW_REMOVALS', noun: 'a count', expected: 'a whole number' },
  ),
  pushgatewayUrl: setting(
    z.url({ protocol: /^https?$/ }),
    "`run`: push each instance's run metrics to this Prometheus Pushgateway at the end.",
    // secret: it may carry the Pushgateway's basic-auth credentials (http://user:password@host).
    { env: 'PUSHGATEWAY_URL', expected: 'an http(s) URL such as http://pushgateway:9091', secret: true },
  ),
  pushgatewayJob: setting(text, 'The `job` of the pushed grouping key.', {
    env: 'PUSHGATEWAY_JOB',
    default: 'bwdc-runner',
    expected: 'a job name',
  }),
};
