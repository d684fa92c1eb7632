// The chart's alerting and recording rules across scheduler replicas (docs/scheduler.md "Shards"), unit-tested
// with the real promtool over series shaped as a ServiceMonitor scrape of a StatefulSet's pods stores them:
// one series per directory whichever pod holds it, and the stale alert for the directories of a pod that is down.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { ensurePrometheusTools, promtool } from './helpers/prometheus.js';
import { chart, ciDir, ensureHelm, helm } from './helpers/helm.js';

const work = mkdtempSync(join(tmpdir(), 'bwdc-runner-prom-shards-'));

before(() => {
  ensurePrometheusTools();
  ensureHelm();
});

function renderedRules(): string {
  const out = execFileSync(
    helm,
    ['template', 'rel', chart, '-f', join(ciDir, 'scheduler-monitoring-values.yaml'), '--namespace', 'sync'],
    { encoding: 'utf8' },
  );
  const rule = parseAllDocuments(out)
    .map((d) => d.toJS())
    .find((o) => o?.kind === 'PrometheusRule');
  const path = join(work, 'rules.yaml');
  writeFileSync(path, stringify({ groups: rule.spec.groups }));
  return path;
}

/** A series of StatefulSet pod `rel-bwdc-runner-<ordinal>` as Prometheus stores it after a scrape. */
function scraped(metric: string, labels: Record<string, string>, ordinal: number): string {
  const all = {
    ...labels,
    namespace: 'sync',
    pod: `rel-bwdc-runner-${ordinal}`,
    instance: `10.1.2.${ordinal}:8080`,
    job: 'rel-bwdc-runner',
    service: 'rel-bwdc-runner',
    endpoint: 'http',
    container: 'bwdc-runner',
  };
  return `${metric}{${Object.entries(all)
    .map(([k, v]) => `${k}="${v}"`)
    .join(',')}}`;
}

/** What a pod reports for one directory: its next run (hourly, in promtool's seconds) and that it is not stale. */
const held = (directory: string, ordinal: number, values: string) => [
  { series: scraped('bwdc_runner_next_run_timestamp_seconds', { directory }, ordinal), values },
  { series: scraped('bwdc_runner_stale', { directory }, ordinal), values: values.replace(/\d+(\+\d+)?x/g, '0x') },
];
const shard = (ordinal: number, values: string) => ({
  series: scraped('bwdc_runner_shard_info', { shard: String(ordinal), shards: '2' }, ordinal),
  values,
});
const staleAlert = (directory: string) => ({
  exp_labels: { namespace: 'sync', directory, severity: 'critical' },
  exp_annotations: { summary: `No successful directory sync of ${directory} for several schedule intervals` },
});

test('promtool check rules accepts the alerting and recording rules', () => {
  const r = promtool(['check', 'rules', renderedRules()]);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /SUCCESS: 5 rules found/);
});

test('promtool test rules: a down replica makes its directories stale; a move, a removal or a restart does not', () => {
  const rules = renderedRules();
  const tests = [
    {
      // Pod 1 (holding c) is lost at 30m; c's run due at 60m (3600 s) never happens. Pod 0 (a) keeps going.
      // c is overdue 15 minutes after 60m, and the alert holds 5 minutes more.
      interval: '1m',
      input_series: [
        shard(0, '1x120'),
        ...held('a', 0, '3600x59 7200x61'),
        shard(1, '1x30'),
        ...held('c', 1, '3600x30'),
      ],
      alert_rule_test: [
        { eval_time: '40m', alertname: 'BwdcSyncStale', exp_alerts: [] },
        { eval_time: '76m', alertname: 'BwdcSyncStale', exp_alerts: [] },
        { eval_time: '82m', alertname: 'BwdcSyncStale', exp_alerts: [staleAlert('c')] },
      ],
    },
    {
      // Scaled from 2 pods to 1 at 30m: c moves onto pod 0, which reports it from then on: nothing is stale.
      interval: '1m',
      input_series: [
        shard(0, '1x120'),
        ...held('a', 0, '3600x59 7200x61'),
        ...held('c', 0, '_x31 3600x28 7200x61'),
        shard(1, '1x30'),
        ...held('c', 1, '3600x30'),
      ],
      alert_rule_test: [{ eval_time: '90m', alertname: 'BwdcSyncStale', exp_alerts: [] }],
    },
    {
      // d is removed from the configuration at 30m (its series go) while its pod keeps running: not stale.
      // Pod 1 restarts at 40m under the same name (a StatefulSet pod): its directory e is back at once.
      interval: '1m',
      input_series: [
        shard(0, '1x120'),
        ...held('a', 0, '3600x59 7200x61'),
        ...held('d', 0, '3600x30'),
        shard(1, '1x40 _x2 1x78'),
        ...held('e', 1, '3600x40 _x2 3600x17 7200x61'),
      ],
      alert_rule_test: [{ eval_time: '90m', alertname: 'BwdcSyncStale', exp_alerts: [] }],
    },
  ];
  const file = join(work, 'rules.test.yaml');
  writeFileSync(file, stringify({ rule_files: [rules], evaluation_interval: '1m', tests }));
  const r = promtool(['test', 'rules', file]);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /SUCCESS/);
});

test('promtool test rules: the recording rules give one series per directory, through a move and a lost pod', () => {
  const rules = renderedRules();
  const tests = [
    {
      interval: '1m',
      input_series: [
        // c succeeded on pod 1 at 600 s; pod 1 is lost at 30m and c moves to pod 0, which has no success yet.
        { series: scraped('bwdc_runner_last_success_timestamp_seconds', { directory: 'c' }, 1), values: '600x30' },
        { series: scraped('bwdc_runner_last_success_timestamp_seconds', { directory: 'c' }, 0), values: '_x31 0x40' },
        { series: scraped('bwdc_runner_runs_total', { directory: 'c', outcome: 'success' }, 1), values: '0+1x30' },
        { series: scraped('bwdc_runner_runs_total', { directory: 'c', outcome: 'success' }, 0), values: '_x31 0+1x40' },
      ],
      promql_expr_test: [
        {
          expr: 'namespace_directory:bwdc_runner_last_success_timestamp_seconds:max',
          eval_time: '60m',
          exp_samples: [
            {
              labels:
                'namespace_directory:bwdc_runner_last_success_timestamp_seconds:max{namespace="sync",directory="c"}',
              value: 600,
            },
          ],
        },
        {
          expr: 'count by (directory) (namespace_directory_outcome:bwdc_runner_runs:increase1h)',
          eval_time: '50m',
          exp_samples: [{ labels: '{directory="c"}', value: 1 }],
        },
      ],
    },
  ];
  const file = join(work, 'records.test.yaml');
  writeFileSync(file, stringify({ rule_files: [rules], evaluation_interval: '1m', tests }));
  const r = promtool(['test', 'rules', file]);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /SUCCESS/);
});
