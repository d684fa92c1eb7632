// The metrics as Prometheus and the Pushgateway really treat them: the chart's alerting rules
// checked and unit-tested with the real promtool over series shaped as a ServiceMonitor scrape
// stores them (target labels instance, pod, namespace, job added), /metrics linted by promtool, and
// one-shot pushes to a real Pushgateway.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import {
  assertNoCanary,
  makeFixture,
  root,
  runCli,
  startCli,
  waitFor,
  type CliRun,
  type Fixture,
} from './helpers/fixture.js';
import { ensurePrometheusTools, promtool, samples, startPushgateway, type Pushgateway } from './helpers/prometheus.js';

const helm = join(root, '.cache', 'bin', 'helm');
const work = mkdtempSync(join(tmpdir(), 'bwdc-runner-prom-'));
let gateway: Pushgateway;
const live: CliRun[] = [];

before(async () => {
  ensurePrometheusTools();
  if (!existsSync(helm)) execFileSync('bash', [join(root, 'scripts', 'ci', 'install-helm.sh')], { stdio: 'inherit' });
  gateway = await startPushgateway();
});
after(() => {
  gateway?.stop();
  for (const r of live) r.kill('SIGKILL');
});

/** The chart's PrometheusRule (scheduler mode with monitoring), as a Prometheus rule file. */
function renderedRules(): string {
  const out = execFileSync(
    helm,
    [
      'template',
      'rel',
      join(root, 'helm', 'bwdc-runner'),
      '-f',
      join(root, 'helm', 'bwdc-runner', 'ci', 'scheduler-monitoring-values.yaml'),
      '--namespace',
      'sync',
    ],
    { encoding: 'utf8' },
  );
  const rule = parseAllDocuments(out)
    .map((d) => d.toJS())
    .find((o) => o?.kind === 'PrometheusRule');
  assert.ok(rule, 'the chart renders a PrometheusRule');
  const path = join(work, 'rules.yaml');
  writeFileSync(path, stringify({ groups: rule.spec.groups }));
  return path;
}

/** A series as Prometheus stores it after a ServiceMonitor scrape of the scheduler's pod. */
function scraped(metric: string, labels: Record<string, string>, pod = 'rel-bwdc-runner-7d9f-x1'): string {
  const all = {
    ...labels,
    namespace: 'sync',
    pod,
    instance: '10.1.2.3:8080',
    job: 'rel-bwdc-runner',
    service: 'rel-bwdc-runner',
    endpoint: 'http',
    container: 'bwdc-runner',
  };
  return `${metric}{${Object.entries(all)
    .map(([k, v]) => `${k}="${v}"`)
    .join(',')}}`;
}

const alertLabels = (directory: string, extra: Record<string, string>) => ({ namespace: 'sync', directory, ...extra });

test('promtool check rules accepts the rendered PrometheusRule', () => {
  const r = promtool(['check', 'rules', renderedRules()]);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /SUCCESS: 5 rules found/);
});

test('promtool test rules: per-directory alerts, through restarts and recoveries, as scraped by a ServiceMonitor', () => {
  const rules = renderedRules();
  const tests = [
    {
      // a fails for the whole window while b succeeds: only a fires, and the summary names a.
      interval: '1m',
      input_series: [
        { series: scraped('bwdc_runner_failures_total', { directory: 'a', class: 'auth' }), values: '0+1x90' },
        { series: scraped('bwdc_runner_runs_total', { directory: 'a', outcome: 'success' }), values: '0x90' },
        { series: scraped('bwdc_runner_failures_total', { directory: 'b', class: 'auth' }), values: '0x90' },
        { series: scraped('bwdc_runner_runs_total', { directory: 'b', outcome: 'success' }), values: '0+1x90' },
      ],
      alert_rule_test: [
        {
          eval_time: '70m',
          alertname: 'BwdcSyncFailing',
          exp_alerts: [
            {
              exp_labels: alertLabels('a', { class: 'auth', severity: 'warning' }),
              exp_annotations: { summary: 'Directory sync of a keeps failing (auth)' },
            },
          ],
        },
      ],
    },
    {
      // The scheduler pod restarts at 60m (new pod label, counters back to 0); the new pod's first
      // failure, at 70m, still fires: its counters start at 0, so increase() sees the step to 1.
      interval: '1m',
      input_series: [
        {
          series: scraped('bwdc_runner_runs_total', { directory: 'c', outcome: 'success' }, 'pod-old'),
          values: '0x4 1x55',
        },
        {
          series: scraped('bwdc_runner_failures_total', { directory: 'c', class: 'directory' }, 'pod-old'),
          values: '0x59',
        },
        {
          series: scraped('bwdc_runner_runs_total', { directory: 'c', outcome: 'success' }, 'pod-new'),
          values: '_x60 0x40',
        },
        {
          series: scraped('bwdc_runner_failures_total', { directory: 'c', class: 'directory' }, 'pod-new'),
          values: '_x60 0x9 1x30',
        },
      ],
      alert_rule_test: [
        { eval_time: '65m', alertname: 'BwdcSyncFailing', exp_alerts: [] },
        {
          eval_time: '80m',
          alertname: 'BwdcSyncFailing',
          exp_alerts: [
            {
              exp_labels: alertLabels('c', { class: 'directory', severity: 'warning' }),
              exp_annotations: { summary: 'Directory sync of c keeps failing (directory)' },
            },
          ],
        },
      ],
    },
    {
      // d fails for 30 minutes, then succeeds: the alert fires, then stops.
      interval: '1m',
      input_series: [
        { series: scraped('bwdc_runner_failures_total', { directory: 'd', class: 'network' }), values: '0+1x30 31x60' },
        { series: scraped('bwdc_runner_runs_total', { directory: 'd', outcome: 'success' }), values: '0x30 1x60' },
      ],
      alert_rule_test: [
        {
          eval_time: '25m',
          alertname: 'BwdcSyncFailing',
          exp_alerts: [
            {
              exp_labels: alertLabels('d', { class: 'network', severity: 'warning' }),
              exp_annotations: { summary: 'Directory sync of d keeps failing (network)' },
            },
          ],
        },
        { eval_time: '40m', alertname: 'BwdcSyncFailing', exp_alerts: [] },
      ],
    },
    {
      // e goes stale at 10m; f never does.
      interval: '1m',
      input_series: [
        { series: scraped('bwdc_runner_stale', { directory: 'e' }), values: '0x9 1x30' },
        { series: scraped('bwdc_runner_stale', { directory: 'f' }), values: '0x40' },
      ],
      alert_rule_test: [
        { eval_time: '12m', alertname: 'BwdcSyncStale', exp_alerts: [] },
        {
          eval_time: '20m',
          alertname: 'BwdcSyncStale',
          exp_alerts: [
            {
              exp_labels: alertLabels('e', { severity: 'critical' }),
              exp_annotations: { summary: 'No successful directory sync of e for several schedule intervals' },
            },
          ],
        },
      ],
    },
  ];
  const file = join(work, 'rules.test.yaml');
  writeFileSync(file, stringify({ rule_files: [rules], evaluation_interval: '1m', tests }));
  const r = promtool(['test', 'rules', file]);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /SUCCESS/);
});

const configFile = (fx: Fixture, names: string[], schedule = '0 0 1 1 *') =>
  fx.writeConfig(names.map((name) => ({ name, schedule })));

const envOf = (fx: Fixture, extra: Record<string, string | undefined> = {}) => fx.fileEnv(extra);

test('/metrics: promtool check metrics finds nothing of ours; every counter of every instance exists at 0 before any run; a reload drops a removed instance', async () => {
  const fx = makeFixture();
  const cfg = configFile(fx, ['a', 'b']);
  const run = startCli(
    ['schedule', '--config', cfg],
    envOf(fx, { BWDC_HTTP_PORT: '0', BWDC_HTTP_HOST: '127.0.0.1', BWDC_WATCH_CONFIG: 'false' }),
  );
  live.push(run);
  await waitFor(() => run.logs().some((l) => l.port !== undefined), 60_000).catch(async () => {
    run.kill('SIGKILL');
    const r = await run.done;
    throw new Error(`schedule never listened (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  });
  const port = run.logs().find((l) => l.port !== undefined)!.port as number;
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const lint = promtool(['check', 'metrics'], text);
  // prom-client's own default gauges nodejs_active_{handles,requests,resources}_total break the
  // naming rule (a gauge named _total): theirs, not ours, and the only findings allowed.
  const findings = (lint.stdout + lint.stderr).split('\n').filter(Boolean);
  assert.deepEqual(
    findings.filter(
      (f) =>
        !/^nodejs_active_(handles|requests|resources)_total non-counter metrics should not have "_total" suffix$/.test(
          f,
        ),
    ),
    [],
    'no other lint findings',
  );
  assert.ok(findings.length <= 3);
  for (const directory of ['a', 'b']) {
    assert.deepEqual(
      samples(text, 'bwdc_runner_failures_total', { directory, class: 'auth' }).map((s) => s.value),
      [0],
    );
    assert.deepEqual(
      samples(text, 'bwdc_runner_runs_total', { directory, outcome: 'success' }).map((s) => s.value),
      [0],
    );
    assert.deepEqual(
      samples(text, 'bwdc_runner_runs_total', { directory, outcome: 'failure' }).map((s) => s.value),
      [0],
    );
    assert.deepEqual(
      samples(text, 'bwdc_runner_run_duration_seconds_count', { directory }).map((s) => s.value),
      [0],
    );
  }
  assert.equal(
    samples(text, 'bwdc_runner_runs_total').filter((s) => 'instance' in s.labels).length,
    0,
    'no label named instance',
  );

  configFile(fx, ['a', 'c']);
  run.kill('SIGHUP');
  await waitFor(() => run.logs().some((l) => l.msg === 'SIGHUP: configuration reloaded'), 10_000);
  const after = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  assert.equal(
    samples(after, 'bwdc_runner_failures_total', { directory: 'b' }).length,
    0,
    'the removed instance has no series left',
  );
  assert.equal(samples(after, 'bwdc_runner_runs_total', { directory: 'b' }).length, 0);
  assert.deepEqual(
    samples(after, 'bwdc_runner_failures_total', { directory: 'c', class: 'network' }).map((s) => s.value),
    [0],
    'the added one starts at 0',
  );
  run.kill('SIGTERM');
  assert.equal((await run.done).code, 0);
});

test('run pushes each instance to its own Pushgateway group (job + directory); a later run of one changes only its group', async () => {
  const fx = makeFixture();
  fx.control({ instanceFaults: { b: { sync: 'ldap-down' } } });
  const cfg = configFile(fx, ['a', 'b']);
  const env = envOf(fx, { PUSHGATEWAY_URL: gateway.url });
  const first = await runCli(['run', '--config', cfg], env);
  assert.equal(first.code, 1, first.stdout);
  const t1 = await gateway.metrics();
  const group = (directory: string) => ({ job: 'bwdc-runner', directory });
  assert.deepEqual(
    samples(t1, 'bwdc_runner_runs_total', { ...group('a'), outcome: 'success' }).map((s) => s.value),
    [1],
  );
  assert.deepEqual(
    samples(t1, 'bwdc_runner_runs_total', { ...group('a'), outcome: 'failure' }).map((s) => s.value),
    [0],
  );
  assert.deepEqual(
    samples(t1, 'bwdc_runner_runs_total', { ...group('b'), outcome: 'failure' }).map((s) => s.value),
    [1],
  );
  assert.deepEqual(
    samples(t1, 'bwdc_runner_failures_total', { ...group('b'), class: 'directory' }).map((s) => s.value),
    [1],
  );
  const aSuccess = samples(t1, 'bwdc_runner_last_success_timestamp_seconds', group('a'));
  assert.equal(aSuccess.length, 1);
  assert.ok(aSuccess[0]!.value > Date.now() / 1000 - 120);
  assert.equal(samples(t1, 'bwdc_runner_last_success_timestamp_seconds', group('b')).length, 0, 'b never succeeded');
  const pushTime = (t: string, d: string) => samples(t, 'push_time_seconds', group(d))[0]?.value;
  assert.ok(pushTime(t1, 'a') && pushTime(t1, 'b'));
  // Secret fetches are the process's: each group carries them (one instance per pod in CronJob mode).
  assert.deepEqual(
    samples(t1, 'bwdc_runner_secret_fetches_total', { ...group('a'), backend: 'file', result: 'ok' }).map(
      (s) => s.value,
    ),
    [2],
  );
  assertNoCanary('Pushgateway content', t1);

  await new Promise((r) => setTimeout(r, 1100));
  fx.control({ faults: { sync: 'ldap-down' } });
  const second = await runCli(['run', '--config', cfg, '--instance', 'a'], env);
  assert.equal(second.code, 1);
  const t2 = await gateway.metrics();
  assert.deepEqual(
    samples(t2, 'bwdc_runner_runs_total', { ...group('a'), outcome: 'failure' }).map((s) => s.value),
    [1],
    'a replaced by its new push',
  );
  assert.deepEqual(
    samples(t2, 'bwdc_runner_last_success_timestamp_seconds', group('a')).map((s) => s.value),
    aSuccess.map((s) => s.value),
    'the last success survives a failed run',
  );
  assert.ok(pushTime(t2, 'a')! > pushTime(t1, 'a')!);
  assert.equal(pushTime(t2, 'b'), pushTime(t1, 'b'), 'b untouched');
  assert.deepEqual(
    samples(t2, 'bwdc_runner_runs_total', { ...group('b'), outcome: 'failure' }).map((s) => s.value),
    [1],
  );
});
