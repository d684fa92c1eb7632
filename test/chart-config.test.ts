// The chart renders configuration, the runner interprets it (docs/kubernetes.md "Configuration"): both
// modes render the same config.yaml and instance files from one set of values; every pod's mounted files,
// fed to the built CLI and to the loader, are the instances the values describe; what the chart still
// computes (a CronJob's concrete `H` schedule, seconds from durations) agrees with what the runner reads;
// and an upgrade from the previous chart (0.1.0) keeps every instance as the runner loads it.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { byKind, chart, ciDir, ensureHelm, helm, podConfigFiles, render, type Obj } from './helpers/helm.js';
import { root } from './helpers/fixture.js';
import { loadConfig } from '../src/config/load.js';
import type { InstanceConfig, RunnerConfig } from '../src/config/model.js';
import { defaultsSchema } from '../src/config/schema.js';

before(ensureHelm);

const cli = join(root, 'bin', 'bwdc-runner.js');
const valuesFiles = readdirSync(ciDir);
/** The ConfigMaps the ci/ values name as existing outside the release: a data.json template each. */
const external = (): Record<string, string> => ({
  'data.json': JSON.stringify({ stateVersion: 6, directoryType: 0, directoryLdap: { hostname: 'h', port: 389 } }),
});

/** What of an instance the values decide: everything but where its files were read from. */
function described(i: InstanceConfig) {
  return {
    name: i.name,
    schedule: i.schedule,
    timezone: i.timezone,
    clientId: i.clientId,
    clientSecret: i.clientSecret,
    directorySecret: i.directorySecret,
    server: i.server,
    timeoutMs: i.timeoutMs,
    login: i.login,
    retry: i.retry,
    guard: i.guard,
    notify: i.notify,
    heartbeat: i.heartbeat,
    quarantineAfter: i.quarantineAfter,
    staleAfter: i.staleAfter,
    dataJson: i.dataJson.text,
  };
}

/** The pod specs of a release that run the runner: CronJobs', the StatefulSet's, the test pods'. */
function pods(objs: Obj[]): Array<{ owner: string; spec: any }> {
  return objs.flatMap((o) => {
    if (o.kind === 'CronJob')
      return [{ owner: `CronJob/${o.metadata.name}`, spec: o.spec.jobTemplate.spec.template.spec }];
    if (o.kind === 'StatefulSet') return [{ owner: `StatefulSet/${o.metadata.name}`, spec: o.spec.template.spec }];
    if (o.kind === 'Pod') return [{ owner: `Pod/${o.metadata.name}`, spec: o.spec }];
    return [];
  });
}

/** The pod's mounted configuration, loaded in-process, and checked by the built CLI (no network). */
function loadPod(objs: Obj[], spec: any, dir: string): RunnerConfig {
  const path = podConfigFiles(objs, spec, dir, external);
  const env = { PATH: process.env.PATH, BWDC_RUNNER_CONFIG: path, BWDC_STATE_DIR: join(dir, 'state'), X: 'x' };
  const r = spawnSync(process.execPath, [cli, 'config', 'render'], { encoding: 'utf8', env });
  assert.equal(r.status, 0, `bwdc-runner config render: ${r.stderr}`);
  return loadConfig(env);
}

const instanceMaps = (objs: Obj[]) =>
  byKind(objs, 'ConfigMap')
    .filter((c) => /-instances-\d+$/.test(c.metadata.name))
    .map((c) => [c.metadata.name, c.data]);

test('both modes render the same instance files from one config, and every pod loads the instances the values describe', () => {
  const d = mkdtempSync(join(tmpdir(), 'bwdc-chart-config-'));
  let pods_ = 0;
  for (const file of valuesFiles) {
    const cron = render(file, ['--set', 'mode=cronjob']);
    const sched = render(file, ['--set', 'mode=scheduler']);
    assert.deepEqual(instanceMaps(cron), instanceMaps(sched), `${file}: the instance files differ between modes`);
    const names = byKind(cron, 'CronJob').map((c) => c.metadata.labels!['bwdc-runner/instance']!);
    // Scheduler mode: the StatefulSet's pod (and its test pod) loads every instance.
    const byMode: Record<string, unknown[]> = { scheduler: [], cronjob: [] };
    for (const p of pods(sched)) {
      const config = loadPod(sched, p.spec, join(d, file, 'scheduler', p.owner.replace('/', '-')));
      assert.deepEqual(
        config.instances.map((i) => i.name),
        [...names].sort(),
        `${file}: ${p.owner}`,
      );
      if (p.owner.startsWith('StatefulSet/')) byMode.scheduler = config.instances.map(described);
      pods_++;
    }
    // cronjob mode: each pod loads its own instance only, the one its CronJob is named after.
    for (const p of pods(cron)) {
      const config = loadPod(cron, p.spec, join(d, file, 'cronjob', p.owner.replace('/', '-')));
      assert.equal(config.instances.length, 1, `${file}: ${p.owner}`);
      const [i] = config.instances;
      assert.ok(p.owner.startsWith(`${p.owner.split('/')[0]}/rel-bwdc-runner-${i!.name}`), `${file}: ${p.owner}`);
      assert.equal(config.httpPort, 'off');
      if (p.owner.startsWith('CronJob/')) {
        const cj = byKind(cron, 'CronJob').find((c) => `CronJob/${c.metadata.name}` === p.owner)!;
        assert.equal(cj.spec.schedule, i!.schedule, `${file}: ${p.owner}: the CronJob runs on the runner's schedule`);
        assert.equal(cj.spec.timeZone, i!.timezone, `${file}: ${p.owner}`);
        // The Kubernetes fields in seconds are the runner's durations (rounded up).
        assert.equal(p.spec.terminationGracePeriodSeconds, Math.ceil(config.shutdownGraceMs / 1000) + 15);
        const starts = i!.login === 'runner' ? 1 : i!.directorySecret ? 3 : 2;
        let waits = 0;
        for (let a = 0, w = i!.retry.backoffMs / 1000; a < i!.retry.attempts; a++, w *= 2) waits += Math.ceil(w);
        assert.equal(
          cj.spec.jobTemplate.spec.activeDeadlineSeconds,
          (starts * Math.ceil(i!.timeoutMs / 1000) + 60) * (i!.retry.attempts + 1) + waits + 60,
          `${file}: ${p.owner}`,
        );
        byMode.cronjob!.push(described(i!));
      }
      pods_++;
    }
    // The same instances, setting for setting, in both modes (scheduler.spread is the scheduler's alone).
    assert.deepEqual(byMode.cronjob, byMode.scheduler, `${file}: the modes load other instances`);
  }
  assert.ok(pods_ > 40, `${pods_} pods`);
});

/** adler32, as Helm's `adler32sum` (sprig), of the CronJob's name: the chart's H. */
function adler32(s: string): number {
  let a = 1;
  let b = 0;
  for (const byte of Buffer.from(s)) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

test("H: the runner resolves it from the instance's full name (the chart's scheduleKey), as the CronJob's concrete schedule", () => {
  const instances = Object.fromEntries(
    ['a', 'billing-eu', 'customer-00042', 'x1'].map((n) => [
      n,
      { dataJson: { directoryType: 0, directoryLdap: { hostname: 'h', port: 389 } } },
    ]),
  );
  instances['x1'] = { ...instances['x1']!, schedule: 'H H * * 1-5' } as never;
  instances['a'] = { ...instances['a']!, schedule: 'H/15 * * * *' } as never;
  const args = [
    '--set',
    'defaults.clientId=organization.3f0c1a52-7d4e-4b8a-9c61-2e5f8a7b9d10',
    '--set',
    'defaults.clientSecret=env://X',
    '--set',
    'defaults.schedule=H */6 * * *',
    '--set-json',
    `instances=${JSON.stringify(instances)}`,
  ];
  const d = mkdtempSync(join(tmpdir(), 'bwdc-chart-h-'));
  const sched = render(undefined, [...args, '--set', 'mode=scheduler']);
  const all = loadPod(sched, byKind(sched, 'StatefulSet')[0]!.spec.template.spec, join(d, 'sched'));
  const cron = render(undefined, args);
  for (const cj of byKind(cron, 'CronJob')) {
    const name = cj.metadata.labels!['bwdc-runner/instance']!;
    const h = adler32(cj.metadata.name);
    const expected =
      name === 'x1'
        ? `${h % 60} ${Math.floor(h / 60) % 24} * * 1-5`
        : name === 'a'
          ? `${h % 15}/15 * * * *`
          : `${h % 60} */6 * * *`;
    assert.equal(cj.spec.schedule, expected, name);
    const own = loadPod(cron, cj.spec.jobTemplate.spec.template.spec, join(d, name));
    assert.equal(own.instances[0]!.schedule, expected, `${name}: cronjob mode`);
    assert.equal(all.instances.find((i) => i.name === name)!.schedule, expected, `${name}: scheduler mode`);
    // The instance file carries the schedule as written and the key; the runner, not the chart, hashes it.
    const file = byKind(cron, 'ConfigMap')
      .map((c) => c.data?.[`${name}.runner.yaml`])
      .find((f) => f !== undefined);
    const written = JSON.parse(file!);
    assert.match(written.schedule, /H/, `${name}: the file keeps H`);
    assert.equal(written.scheduleKey, cj.metadata.name);
  }
});

test("H: a CronJob's schedule is split as the runner splits it (any whitespace), and an H neither takes is refused in the runner's words", () => {
  const base = ['--set', 'instances.a.directory.type=okta', '--set', 'instances.a.clientSecret=env://X'];
  for (const [written, fields] of [
    ['0  H * * *', ['0', 'H']],
    ['H\t*/6 * * THU', ['H', '*/6', 'THU']],
  ] as const) {
    const [cj] = byKind(render(undefined, [...base, '--set-string', `instances.a.schedule=${written}`]), 'CronJob');
    const h = adler32(cj!.metadata.name);
    const expected = written.startsWith('0') ? `0 ${Math.floor(h / 60) % 24} * * *` : `${h % 60} */6 * * THU`;
    assert.equal(cj!.spec.schedule, expected, `${JSON.stringify(written)} (${fields.join(', ')})`);
  }
  for (const written of ['H/0 * * * *', 'H/x * * * *', '* * H * *']) {
    const r = spawnSync(helm, ['template', 'rel', chart, ...base, '--set-string', `instances.a.schedule=${written}`], {
      encoding: 'utf8',
    });
    assert.notEqual(r.status, 0, written);
    assert.match(r.stderr, /instances\.a\.schedule: ".*" is not a schedule: H is taken in a 5-field schedule/, written);
    assert.doesNotMatch(r.stderr, /divide by zero/);
  }
});

test('the chart says timezone, as the runner does: the old timeZone is refused naming the new key', () => {
  for (const [key, at] of [
    ['defaults.timeZone', 'defaults'],
    ['instances.instance-1.timeZone', 'instances.instance-1'],
  ] as const) {
    const r = spawnSync(
      helm,
      ['template', 'rel', chart, '-f', join(ciDir, 'three-instances-values.yaml'), '--set', `${key}=UTC`],
      {
        encoding: 'utf8',
      },
    );
    assert.notEqual(r.status, 0, key);
    assert.match(
      r.stderr,
      new RegExp(
        `${at.replace('.', '\\.')}\\.timeZone: renamed timezone in chart 0\\.2\\.0 .*write ${at.replace('.', '\\.')}\\.timezone`,
      ),
    );
  }
  const cj = byKind(render('three-instances-values.yaml'), 'CronJob').find((c) =>
    c.metadata.name.endsWith('instance-2'),
  )!;
  assert.equal(cj.spec.timeZone, 'Europe/Berlin');
});

/** The chart of commit `rev` (helm/bwdc-runner), extracted into a temporary folder. */
function chartAt(rev: string): string {
  const dir = mkdtempSync(join(tmpdir(), `bwdc-chart-${rev}-`));
  const tar = execFileSync('git', ['-C', root, 'archive', rev, 'helm/bwdc-runner']);
  execFileSync('tar', ['-x', '-C', dir], { input: tar });
  return join(dir, 'helm', 'bwdc-runner');
}

/** The runner's instances as a 0.1.0 CronJob pod gave them: its environment and its -data file. */
function loadOldCronJob(objs: Obj[], cj: Obj, dir: string): RunnerConfig {
  mkdirSync(dir, { recursive: true });
  const pod = cj.spec.jobTemplate.spec.template.spec;
  const env: Record<string, string> = { X: 'x' };
  for (const e of pod.containers[0].env as Array<{ name: string; value?: string }>) if (e.value) env[e.name] = e.value;
  env.BWDC_STATE_DIR = join(dir, 'state');
  const volume = pod.volumes.find((v: { name: string }) => v.name === 'template').configMap;
  const data = byKind(objs, 'ConfigMap').find((c) => c.metadata.name === volume.name)?.data ?? external();
  const [item] = volume.items as Array<{ key: string; path: string }>;
  const path = join(dir, item!.path);
  writeFileSync(path, data[item!.key] ?? '');
  if (env.BWDC_RUNNER_CONFIG) env.BWDC_RUNNER_CONFIG = path;
  else env.BWDC_DATA_JSON = path;
  return loadConfig(env);
}

test('upgrade from chart 0.1.0 (33f6371): the same CronJobs, StatefulSet and claims; every instance loads as it did', () => {
  const old = chartAt('33f6371');
  const d = mkdtempSync(join(tmpdir(), 'bwdc-chart-upgrade-'));
  // A values file both charts take (it uses no key 0.2.0 renamed), with persistence: claims must stay.
  for (const file of ['directory-values.yaml', 'isolated-secrets-values.yaml', 'aws-irsa-values.yaml']) {
    for (const mode of ['cronjob', 'scheduler']) {
      const args = ['-f', join(ciDir, file), '--set', `mode=${mode}`, '--set', 'state.persistence.enabled=true'];
      const parse = (out: string) =>
        parseAllDocuments(out)
          .map((x) => x.toJS() as Obj)
          .filter(Boolean);
      const before = parse(execFileSync(helm, ['template', 'rel', old, ...args], { encoding: 'utf8' }));
      const after = render(undefined, args);
      const ids = (objs: Obj[]) => objs.map((o) => `${o.kind}/${o.metadata.name}`).sort();
      const removed = ids(before).filter((x) => !ids(after).includes(x));
      const added = ids(after).filter((x) => !ids(before).includes(x));
      // helm upgrade deletes only the -data ConfigMap of cronjob mode; the CronJobs, the StatefulSet, the
      // claims (and their state) and the Services are the same objects, updated in place.
      assert.deepEqual(removed, mode === 'cronjob' ? ['ConfigMap/rel-bwdc-runner-data'] : [], `${file} ${mode}`);
      assert.deepEqual(
        added,
        mode === 'cronjob' ? ['ConfigMap/rel-bwdc-runner-config', 'ConfigMap/rel-bwdc-runner-instances-0'] : [],
        `${file} ${mode}`,
      );
      // Every instance, as the runner loads it, is what it was (0.1.0 kept a CronJob's schedule to itself).
      const was =
        mode === 'cronjob'
          ? byKind(before, 'CronJob').map((cj) => ({
              ...described(loadOldCronJob(before, cj, join(d, file, 'was', cj.metadata.name)).instances[0]!),
              schedule: cj.spec.schedule,
            }))
          : loadPod(
              before,
              byKind(before, 'StatefulSet')[0]!.spec.template.spec,
              join(d, file, 'was-sched'),
            ).instances.map(described);
      const is =
        mode === 'cronjob'
          ? byKind(after, 'CronJob').map((cj) =>
              described(
                loadPod(after, cj.spec.jobTemplate.spec.template.spec, join(d, file, 'is', cj.metadata.name))
                  .instances[0]!,
              ),
            )
          : loadPod(
              after,
              byKind(after, 'StatefulSet')[0]!.spec.template.spec,
              join(d, file, 'is-sched'),
            ).instances.map(described);
      assert.deepEqual(is, was, `${file} ${mode}`);
      // The CronJobs keep their schedules (H gives the same minute): no run moves with the upgrade.
      assert.deepEqual(
        byKind(after, 'CronJob').map((c) => [c.metadata.name, c.spec.schedule, c.spec.timeZone]),
        byKind(before, 'CronJob').map((c) => [c.metadata.name, c.spec.schedule, c.spec.timeZone]),
      );
    }
  }
});

test('helm test: the test hook renders in both modes, one pod per instance (cronjob) or one for all (scheduler)', () => {
  for (const mode of ['cronjob', 'scheduler']) {
    const objs = render('three-instances-values.yaml', ['--set', `mode=${mode}`]);
    const hooks = byKind(objs, 'Pod').filter((p) => p.metadata.annotations?.['helm.sh/hook'] === 'test');
    assert.equal(hooks.length, mode === 'cronjob' ? 3 : 1, mode);
  }
});

test("every runner instance setting is a value of the chart's (from its declaration) and reaches the runner in both modes", () => {
  const schema = JSON.parse(readFileSync(join(chart, 'values.schema.json'), 'utf8'));
  const chartKeys = Object.keys(schema.properties.defaults.properties);
  const declared = Object.keys(defaultsSchema.shape).filter((k) => k !== 'scheduleKey'); // the chart sets it
  assert.deepEqual(
    declared.filter((k) => !chartKeys.includes(k)),
    [],
    'a declared setting the chart refuses',
  );
  const instances = {
    x: { dataJson: { directoryType: 0, directoryLdap: { hostname: 'h', port: 389 } }, jitter: '30s', staleAfter: 5 },
  };
  const args = [
    '--set',
    'defaults.clientId=organization.3f0c1a52-7d4e-4b8a-9c61-2e5f8a7b9d10',
    '--set',
    'defaults.clientSecret=env://X',
    '--set-json',
    `instances=${JSON.stringify(instances)}`,
    '--set-json',
    'defaults.retry={"attempts":1,"backoff":"5s","maxBackoff":"1m"}',
  ];
  const d = mkdtempSync(join(tmpdir(), 'bwdc-chart-keys-'));
  for (const mode of ['cronjob', 'scheduler']) {
    const objs = render(undefined, [...args, '--set', `mode=${mode}`]);
    const p = pods(objs).find((x) => !x.owner.startsWith('Pod/'))!;
    const i = loadPod(objs, p.spec, join(d, mode)).instances[0]!;
    assert.deepEqual([i.jitterMs, i.staleAfter, i.retry.maxBackoffMs], [30_000, 5, 60_000], mode);
  }
  // The declaration's type holds in values too.
  const bad = spawnSync(helm, ['template', 'r', chart, ...args, '--set', 'defaults.staleAfter=often'], {
    encoding: 'utf8',
  });
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /defaults\/staleAfter/);
});
