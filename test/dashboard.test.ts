// The chart's Grafana dashboard (helm/bwdc-runner/dashboards/bwdc-runner.json, docs/operations.md
// "Dashboard"): rendered by the real helm as its ConfigMap, and every query in it run by a real
// Prometheus (Debian's, scripts/ci/install-prometheus.sh) scraping a real `schedule` with a synced, a
// failing and a paused instance. A query with a typo, a wrong metric or label name returns nothing here.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { makeFixture, runCli, startCli, waitFor } from './helpers/fixture.js';
import { byKind, ensureHelm, render } from './helpers/helm.js';
import { ensurePrometheusTools, freePort } from './helpers/prometheus.js';

type Panel = { title: string; targets: Array<{ expr: string }> };

function dashboardFromChart(): { panels: Panel[] } {
  ensureHelm();
  const objs = render('scheduler-monitoring-values.yaml', ['--set', 'scheduler.grafanaDashboard.enabled=true']);
  const cm = byKind(objs, 'ConfigMap').find((o) => o.metadata.name.endsWith('-dashboard'));
  assert.ok(cm, 'the chart renders the dashboard ConfigMap');
  assert.equal(cm.metadata.labels?.grafana_dashboard, '1');
  return JSON.parse(cm.data!['bwdc-runner.json']!) as {
    panels: Panel[];
  };
}

async function query(
  port: number,
  expr: string,
): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> {
  const r = await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body = (await r.json()) as {
    status: string;
    error?: string;
    data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> };
  };
  assert.equal(body.status, 'success', `${expr}: ${body.error ?? ''}`);
  return body.data.result;
}

test('every query of the Grafana dashboard answers from a real Prometheus scraping a real runner', async () => {
  const dashboard = dashboardFromChart();
  ensurePrometheusTools();
  assert.equal(
    spawnSync('prometheus', ['--version']).status,
    0,
    'the prometheus server (scripts/ci/install-prometheus.sh)',
  );

  const fx = makeFixture();
  fx.control({ apiHttp: true }); // through the import gate: the sync's plan sets bwdc_runner_plan_changes
  const badClient = `organization.${randomUUID()}`;
  const cfg = fx.writeConfig([
    { name: 'ok', schedule: '* * * * * *' },
    { name: 'bad', schedule: '* * * * * *', clientId: badClient, retry: { attempts: 0 }, quarantineAfter: 0 },
    { name: 'held', schedule: '* * * * * *' },
  ]);
  const env = fx.fileEnv({ BWDC_HTTP_PORT: '0', BWDC_HTTP_HOST: '127.0.0.1' });
  assert.equal((await runCli(['pause', 'held', '-c', cfg], env)).code, 0);
  const runner = startCli(['schedule', '--config', cfg], env);
  after(() => runner.kill('SIGKILL'));
  await waitFor(() => runner.logs().some((l) => l.port !== undefined), 60_000);
  const target = runner.logs().find((l) => l.port !== undefined)!.port as number;

  const dir = mkdtempSync(join(tmpdir(), 'prometheus-'));
  const port = await freePort();
  writeFileSync(
    join(dir, 'prometheus.yml'),
    `global: { scrape_interval: 1s, evaluation_interval: 1s }\nscrape_configs:\n  - job_name: bwdc-runner\n    static_configs: [{ targets: ["127.0.0.1:${target}"] }]\n`,
  );
  const prom = spawn(
    'prometheus',
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: 'ignore' },
  );
  after(() => prom.kill('SIGKILL'));

  // Enough scrapes for increase() and rate() (two samples each, with runs in between).
  const end = Date.now() + 60_000;
  for (;;) {
    const r = await query(port, 'count_over_time(bwdc_runner_runs_total{directory="ok",outcome="success"}[1m])').catch(
      () => [],
    );
    if (r.length && Number(r[0]!.value[1]) >= 5) break;
    assert.ok(Date.now() < end, 'Prometheus scraped the runner');
    await new Promise((res) => setTimeout(res, 500));
  }

  const exprs = dashboard.panels.flatMap((p) =>
    p.targets.map((t) => ({ title: p.title, expr: t.expr.replaceAll('$directory', '.*') })),
  );
  assert.ok(exprs.length >= 6);
  const answers = new Map<string, Awaited<ReturnType<typeof query>>>();
  for (const { title, expr } of exprs) {
    const result = await query(port, expr);
    answers.set(title, result);
    // The guard never refused here: its panel has series (at 0) only for instances it stopped.
    if (!/Guard/.test(title)) assert.ok(result.length > 0, `${title}: ${expr} returned no series`);
  }
  const by = (title: string, labels: Record<string, string>) =>
    answers.get(title)!.find((r) => Object.entries(labels).every(([k, v]) => r.metric[k] === v));
  assert.equal(by('Paused (1: paused or quarantined)', { directory: 'held' })?.value[1], '1');
  assert.equal(by('Paused (1: paused or quarantined)', { directory: 'ok' })?.value[1], '0');
  assert.ok(Number(by('Failures by class (per hour)', { directory: 'bad', class: 'auth' })?.value[1]) > 0);
  assert.ok(Number(by('Runs by outcome (per hour)', { directory: 'held', outcome: 'skipped' })?.value[1]) > 0);
  assert.ok(Number(by('Time since last successful sync', { directory: 'ok' })?.value[1]) < 60);
  assert.ok(by('Sync duration (p95 over 1h)', { directory: 'ok' }));
});
