// The variables that are no key of the config file (settings of the process, where the configuration
// is, the single environment-only instance, the secret backends' runner-side limits), with what each
// means: the rows of docs/reference/environment.md that the schema cannot give (scripts/generate-docs.ts).
export const processVariables: Record<string, string> = {
  BWDC_RUNNER_CONFIG:
    'The config file (YAML or JSON); `--config` wins over it. Unset: the environment alone, or BWDC_INSTANCES_DIR.',
  BWDC_INSTANCES_DIR:
    'Folder discovery: every subfolder holding a data.json or a runner.yaml is an instance named after it.',
  BWDC_DATA_JSON:
    "The environment-only instance's data.json template, a path or the JSON itself (instead of BWDC_DIRECTORY_TYPE and its variables).",
  BWDC_INSTANCE: 'The name of the environment-only instance. Default `default`.',
  BW_CLIENTSECRET_FILE:
    'Instead of BW_CLIENTSECRET: an absolute path of a file holding the client secret (the Docker secrets convention).',
  BWDC_DIRECTORY_SECRET_FILE:
    "Instead of BWDC_DIRECTORY_SECRET: an absolute path of a file holding the directory's secret.",
  BWDC_NOTIFY:
    'The notification targets as a JSON list, as in the config file (the chart uses it); instead of BWDC_NOTIFY_URL.',
  BWDC_NOTIFY_URL: 'One notification target: its URL, or a secret reference to it.',
  BWDC_NOTIFY_FORMAT: "The target's format: `json`, `slack` or `teams`. Default `json`.",
  BWDC_NOTIFY_ON: 'When, comma-separated: `failure`, `recovery`, `always`. Default `failure,recovery`.',
  BWDC_NOTIFY_AFTER: 'Failed runs in a row before the first failure notice. Default 1.',
  BWDC_NOTIFY_TIMEOUT: 'Limit of one delivery attempt of a notification or a heartbeat (two retries). Default `5s`.',
  BWDC_HISTORY_MAX_SIZE:
    "Each instance's history.jsonl is compacted past this size (bytes, or with a k, M or G suffix; at least 4k). Default `10M`.",
  BWDC_HISTORY_MAX_AGE:
    'History entries older than this go at the next compaction (docs/operations.md). Default `90d`.',
  BWDC_HTTP_HOST: '`schedule`: the address the endpoints listen on. Default `0.0.0.0`.',
  BWDC_SHARD:
    '`schedule`: run only shard `I/N` (I from 0) of the instances, or `auto/N` (I from the host name\'s trailing ordinal, a StatefulSet pod); `--shard` wins. Unset: all (docs/scheduler.md "Shards").',
  BWDC_WATCH_CONFIG:
    '`schedule`: reload when the config file, the instances folder or a template changes (as SIGHUP does). Default `true`.',
  BWDC_SECRET_CACHE_TTL: '`schedule`: runs starting within this window share secret fetches. Default `30s`.',
  BWDC_SECRET_TIMEOUT: 'Limit of one request to Vault, AWS or Bitwarden Secrets Manager. Default `10s`.',
  BWDC_SECRET_RETRIES: 'Retries of transient backend errors (network, 5xx, throttling, a sealed Vault). Default 3.',
  BWDC_SECRET_BACKOFF: 'First backoff of those retries. Default `250ms`.',
  BWDC_PASS_ENV:
    "Extra variables passed to bwdc: names or `PREFIX*`, comma-separated (`*` for all); the runner's own credentials are never passed, whatever it says.",
  BWDC_APPROVE_PLAN:
    '`run`: a sync whose plan has exactly this id (a refusal names it) passes the guard rails an approval can lift, this run only: a one-off Job of a CronJob without a state volume (docs/guard-rails.md).',
  BWDC_ALLOW_REMOVALS: '`run`: this once, up to this many removals pass the guard rails (as `--allow-removals N`).',
  PUSHGATEWAY_URL: "`run`: push each instance's run metrics to this Prometheus Pushgateway at the end.",
  PUSHGATEWAY_JOB: 'The `job` of the pushed grouping key. Default `bwdc-runner`.',
};
