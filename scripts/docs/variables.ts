// The variables no declaration gives (where the configuration is, the environment-only instance, the
// NAME_FILE and one-target notify forms, the shard), with what each means: the rows of
// docs/reference/environment.md that the declarations cannot give (scripts/generate-docs.ts).
export const processVariables: Record<string, string> = {
  BWDC_RUNNER_CONFIG:
    'The config file (YAML or JSON); `--config` wins over it. Unset: the environment alone, or BWDC_INSTANCES_DIR.',
  BWDC_DATA_JSON:
    "The environment-only instance's data.json template, a path or the JSON itself (instead of BWDC_DIRECTORY_TYPE and its variables).",
  BWDC_INSTANCE: 'The name of the environment-only instance. Default `default`.',
  BW_CLIENTSECRET_FILE:
    'Instead of BW_CLIENTSECRET: an absolute path of a file holding the client secret (the Docker secrets convention).',
  BWDC_DIRECTORY_SECRET_FILE:
    "Instead of BWDC_DIRECTORY_SECRET: an absolute path of a file holding the directory's secret.",
  BWDC_NOTIFY:
    'The notification targets as a JSON list, as in the config file (the chart uses it); instead of BWDC_NOTIFY_URL.',
  BWDC_SHARD:
    '`schedule`: run only shard `I/N` (I from 0) of the instances, or `auto/N` (I from the host name\'s trailing ordinal, a StatefulSet pod); `--shard` wins. Unset: all (docs/scheduler.md "Shards").',
};
