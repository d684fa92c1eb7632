// `bwdc-runner schedule` as users run it: a real process, real signals, real HTTP endpoints.
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  assertNoCanary,
  makeFixture,
  pidAlive,
  runCli,
  startCli,
  waitFor,
  type CliRun,
  type Fixture,
} from './helpers/fixture.js';

// A failed assertion must not leave a scheduler running: every started process is killed after its test.
const live: CliRun[] = [];
afterEach(() => {
  for (const r of live.splice(0)) r.kill('SIGKILL');
});
function start(args: string[], env: Record<string, string>): CliRun {
  const r = startCli(args, env);
  live.push(r);
  return r;
}

async function portOf(run: CliRun): Promise<number> {
  await waitFor(() => run.logs().some((l) => l.port !== undefined), 60_000);
  return run.logs().find((l) => l.port !== undefined)!.port as number;
}

async function get(port: number, path: string): Promise<{ status: number; body: string }> {
  const r = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: r.status, body: await r.text() };
}

/**
 * Prometheus text format, line by line: HELP/TYPE comments or `name{labels} value`. NaN in any case:
 * prom-client writes `Nan` (a gauge with no sample yet), which Prometheus reads with Go's ParseFloat,
 * case-insensitively (the promtool and Prometheus tests in prometheus.test.ts read the real output).
 */
function parsePrometheus(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP ') || line.startsWith('# TYPE ')) continue;
    const m =
      /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})?) (-?[0-9.e+-]+|[Nn]a[Nn]|[+-]Inf)$/.exec(
        line,
      );
    assert.ok(m, `not Prometheus text: ${line}`);
    samples.set(m[1]!, Number(m[2]));
  }
  return samples;
}

const configFile = (fx: Fixture, instances: Array<Record<string, unknown>>, extra = '') =>
  fx.writeConfig(instances, extra);

const baseEnv = (fx: Fixture, extra: Record<string, string | undefined> = {}) =>
  fx.fileEnv({ BWDC_HTTP_PORT: '0', BWDC_HTTP_HOST: '127.0.0.1', ...extra });

/** Polls /metrics until `key` is at least `n` (or 15 s pass); returns the last scrape. */
async function metricReaches(port: number, key: string, n: number): Promise<Map<string, number>> {
  const end = Date.now() + 15_000;
  for (;;) {
    const m = parsePrometheus((await get(port, '/metrics')).body);
    if ((m.get(key) ?? 0) >= n || Date.now() > end) return m;
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('jobs fire on 6-field schedules; /metrics is Prometheus text whose counters move; /status matches; SIGTERM exits 0', async () => {
  const fx = makeFixture();
  const cfg = configFile(fx, [
    { name: 'a', schedule: '* * * * * *' },
    { name: 'b', schedule: '*/2 * * * * *' },
  ]);
  const run = start(['schedule', '--config', cfg], baseEnv(fx));
  const port = await portOf(run);
  assert.equal((await get(port, '/healthz')).status, 200);
  assert.equal((await get(port, '/readyz')).status, 200);
  // A run logs its outcome before it is counted (tidying up comes between): wait on the metrics themselves.
  const aSuccesses = 'bwdc_runner_runs_total{directory="a",outcome="success"}';
  await metricReaches(port, aSuccesses, 2);
  await metricReaches(port, 'bwdc_runner_runs_total{directory="b",outcome="success"}', 1);
  const m1 = parsePrometheus((await get(port, '/metrics')).body);
  const a1 = m1.get(aSuccesses)!;
  assert.ok(a1 >= 2);
  assert.ok(m1.get('bwdc_runner_last_success_timestamp_seconds{directory="a"}')! > Date.now() / 1000 - 60);
  assert.equal(m1.get('bwdc_runner_synced_groups{directory="a"}') !== undefined, true);
  assert.ok(m1.get('bwdc_runner_next_run_timestamp_seconds{directory="b"}')! >= Date.now() / 1000 - 1);
  assert.ok(m1.has('process_resident_memory_bytes'), 'default process metrics');
  assert.ok(m1.get('bwdc_runner_run_duration_seconds_count{directory="a"}')! >= 2);
  const m2 = await metricReaches(port, aSuccesses, a1 + 1);
  assert.ok(m2.get(aSuccesses)! > a1, 'the counter moved');

  const status = JSON.parse((await get(port, '/status')).body);
  const a = status.instances.find((i: { directory: string }) => i.directory === 'a');
  assert.equal(a.schedule, '* * * * * *');
  assert.equal(a.lastRun.outcome, 'success');
  assert.equal(a.stale, false);
  assert.ok(Date.parse(a.nextRun) > Date.now() - 2000);
  assert.equal(status.instances.length, 2);

  run.kill('SIGTERM');
  const r = await run.done;
  assert.equal(r.code, 0);
  assert.ok(r.logs.some((l) => l.msg === 'stopped'));
  assertNoCanary('schedule output', r.stdout, r.stderr, JSON.stringify(status), JSON.stringify([...m2]));
});

test('an overlapping tick is skipped, logged and counted', async () => {
  const fx = makeFixture();
  fx.control({ faults: { sync: 'slow' }, slowMs: 2500 });
  const cfg = configFile(fx, [{ name: 'slowpoke', schedule: '* * * * * *' }]);
  const run = start(['schedule', '--config', cfg], baseEnv(fx));
  const port = await portOf(run);
  await waitFor(
    () =>
      run.logs().filter((l) => l.msg === 'schedule tick skipped: the previous run of this instance is still going')
        .length >= 2,
    15_000,
  );
  const m = parsePrometheus((await get(port, '/metrics')).body);
  assert.ok(m.get('bwdc_runner_skipped_overlap_total{directory="slowpoke"}')! >= 2);
  const status = JSON.parse((await get(port, '/status')).body);
  assert.ok(status.instances[0].skippedOverlaps >= 2);
  run.kill('SIGTERM');
  assert.equal((await run.done).code, 0);
  // Never two bwdc processes on one instance at once: each started after the previous ended.
  const syncs = fx.records().filter((c) => c.command === 'sync');
  assert.ok(syncs.length >= 1);
});

test('concurrency 2 with 6 due instances: never more than 2 bwdc processes at once, and all 6 complete', async () => {
  const fx = makeFixture();
  const runningDir = join(fx.dir, 'running');
  mkdirSync(runningDir);
  fx.control({ faults: { sync: 'slow' }, slowMs: 400, runningDir });
  const names = ['i1', 'i2', 'i3', 'i4', 'i5', 'i6'];
  const cfg = configFile(
    fx,
    names.map((name) => ({ name, schedule: '0 0 1 1 *' })),
    'runOnStart: true\nconcurrency: 2',
  );
  const run = start(['schedule', '--config', cfg], baseEnv(fx));
  await waitFor(() => names.every((n) => run.logs().some((l) => l.instance === n && l.outcome === 'success')), 30_000);
  run.kill('SIGTERM');
  assert.equal((await run.done).code, 0);
  const counts = fx.records().map((c) => c.concurrent ?? 0);
  assert.equal(Math.max(...counts), 2, `concurrency seen: ${counts.join(',')}`);
  assert.equal(fx.records().filter((c) => c.command === 'sync').length, 6);
});

test('SIGTERM during a hanging sync: exits within the grace plus a margin, bwdc gone, data.json intact', async () => {
  const fx = makeFixture();
  const cfg = configFile(fx, [{ name: 'hang', schedule: '0 0 1 1 *' }], 'runOnStart: true');
  // A first good run leaves state to protect.
  assert.equal((await runCli(['run', '--config', cfg], baseEnv(fx))).code, 0);
  const good = readFileSync(join(fx.stateDir, 'hang', 'data.json'), 'utf8');
  fx.control({ faults: { sync: 'hang-with-child' } });
  const run = start(['schedule', '--config', cfg], baseEnv(fx, { BWDC_SHUTDOWN_GRACE: '1s' }));
  await waitFor(() => fx.records().some((c) => c.grandchild), 15_000);
  const started = Date.now();
  run.kill('SIGTERM');
  const r = await run.done;
  const took = Date.now() - started;
  assert.equal(r.code, 0);
  assert.ok(took < 1000 + 5000 + 2000, `shutdown took ${took} ms`);
  const sync = fx
    .records()
    .filter((c) => c.command === 'sync')
    .at(-1)!;
  const grandchild = fx.records().find((c) => c.grandchild)!.grandchild!;
  await waitFor(() => !pidAlive(sync.pid) && !pidAlive(grandchild), 2000);
  assert.equal(readFileSync(join(fx.stateDir, 'hang', 'data.json'), 'utf8'), good);
});

test('SIGHUP: an added instance starts, a removed one stops, a broken configuration is rejected and the old one keeps running', async () => {
  const fx = makeFixture();
  const cfg = configFile(fx, [
    { name: 'keep', schedule: '* * * * * *' },
    { name: 'drop', schedule: '* * * * * *' },
  ]);
  // SIGHUP alone (the file watch has a test of its own).
  const run = start(['schedule', '--config', cfg], { ...baseEnv(fx), BWDC_WATCH_CONFIG: 'false' });
  const port = await portOf(run);
  await waitFor(() => run.logs().some((l) => l.instance === 'drop' && l.outcome === 'success'), 15_000);

  configFile(fx, [
    { name: 'keep', schedule: '* * * * * *' },
    { name: 'added', schedule: '* * * * * *' },
  ]);
  run.kill('SIGHUP');
  await waitFor(() => run.logs().some((l) => l.msg === 'SIGHUP: configuration reloaded'), 10_000);
  const reloaded = run.logs().find((l) => l.msg === 'SIGHUP: configuration reloaded')!;
  assert.deepEqual([reloaded.added, reloaded.removed], [['added'], ['drop']]);
  await waitFor(() => run.logs().some((l) => l.instance === 'added' && l.outcome === 'success'), 15_000);
  const dropRuns = run.logs().filter((l) => l.instance === 'drop' && l.msg === 'run started').length;
  let status = JSON.parse((await get(port, '/status')).body);
  assert.deepEqual(status.instances.map((i: { directory: string }) => i.directory).sort(), ['added', 'keep']);

  writeFileSync(cfg, readFileSync(cfg, 'utf8').replace(/"schedule":"\* \* \* \* \* \*"/, '"schedule":"99 * * * * *"'));
  run.kill('SIGHUP');
  await waitFor(
    () => run.logs().some((l) => l.msg === 'SIGHUP: the new configuration is invalid; keeping the running one'),
    10_000,
  );
  assert.match(
    String(run.logs().find((l) => l.msg?.toString().includes('invalid; keeping'))!.err),
    /not a valid cron expression/,
  );
  const keepBefore = run.logs().filter((l) => l.instance === 'keep' && l.outcome === 'success').length;
  await waitFor(
    () => run.logs().filter((l) => l.instance === 'keep' && l.outcome === 'success').length > keepBefore,
    10_000,
  );
  status = JSON.parse((await get(port, '/status')).body);
  assert.deepEqual(status.instances.map((i: { directory: string }) => i.directory).sort(), ['added', 'keep']);
  assert.equal(
    run.logs().filter((l) => l.instance === 'drop' && l.msg === 'run started').length,
    dropRuns,
    'the removed instance no longer runs',
  );
  run.kill('SIGTERM');
  assert.equal((await run.done).code, 0);
});

test('a transient failure is retried inside the run and counted: one tick, one successful run of two attempts', async () => {
  const fx = makeFixture();
  fx.control({ faults: { sync: 'network' }, faultTimes: { sync: 1 } });
  const cfg = configFile(
    fx,
    [{ name: 'flaky', schedule: '0 0 1 1 *', retry: { attempts: 2, backoff: '200ms' } }],
    'runOnStart: true',
  );
  const run = start(['schedule', '--config', cfg], baseEnv(fx));
  const port = await portOf(run);
  const m = await metricReaches(port, 'bwdc_runner_runs_total{directory="flaky",outcome="success"}', 1);
  assert.equal(m.get('bwdc_runner_retries_total{directory="flaky",class="network"}'), 1);
  assert.equal(m.get('bwdc_runner_failures_total{directory="flaky",class="network"}'), 0, 'the run did not fail');
  assert.equal(m.get('bwdc_runner_runs_total{directory="flaky",outcome="success"}'), 1);
  assert.equal(m.get('bwdc_runner_attempts_total{directory="flaky"}'), 2);
  run.kill('SIGTERM');
  assert.equal((await run.done).code, 0);
});

test('an instance with no success for longer than staleAfter intervals shows as stale', async () => {
  const fx = makeFixture();
  const cfg = configFile(fx, [
    { name: 'failing', schedule: '* * * * * *', staleAfter: 1 },
    { name: 'fine', schedule: '0 0 1 1 *' },
  ]);
  // The API answers 401: bwdc's TypeError crash, class auth.
  fx.control({ instanceFaults: { failing: { sync: 'crash-401' } } });
  const run = start(['schedule', '--config', cfg], baseEnv(fx));
  const port = await portOf(run);
  await waitFor(
    () => run.logs().filter((l) => l.instance === 'failing' && l.outcome === 'failure').length >= 2,
    15_000,
  );
  // Stale once more than one interval has passed without a success since the start: poll, since the
  // two failures may come a little under a second apart from the start, and the scheduler counts a run's
  // failure just after the run logs its outcome.
  const failingStatus = async () =>
    JSON.parse((await get(port, '/status')).body).instances.find(
      (i: { directory: string }) => i.directory === 'failing',
    );
  let failing = await failingStatus();
  for (
    const end = Date.now() + 15_000;
    !(failing.stale && failing.consecutiveFailures >= 2) && Date.now() < end;
    failing = await failingStatus()
  )
    await new Promise((r) => setTimeout(r, 100));
  assert.equal(failing.stale, true);
  assert.equal(failing.lastRun.failureClass, 'auth');
  assert.ok(failing.consecutiveFailures >= 2);
  const m = parsePrometheus((await get(port, '/metrics')).body);
  assert.equal(m.get('bwdc_runner_stale{directory="failing"}'), 1);
  assert.equal(m.get('bwdc_runner_stale{directory="fine"}'), 0);
  run.kill('SIGTERM');
  assert.equal((await run.done).code, 0);
});

test('schedule refuses instances without a schedule (exit 2)', async () => {
  const fx = makeFixture();
  const r = await runCli(['schedule'], fx.env({ BWDC_HTTP_PORT: 'off' }));
  assert.equal(r.code, 2);
  assert.match(r.stderr, /every instance needs a schedule/);
});
