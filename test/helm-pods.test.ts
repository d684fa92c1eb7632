// What the chart's pods can reach, over every ci/ values file in both modes (docs/kubernetes.md):
// `helm test` runs `check` in the very pod the release runs; every ConfigMap, Secret and key a pod
// projects or references exists in the release (or is one the values name as existing); and no
// CronJob pod can reach another instance's secret key.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { byKind, ciDir, ensureHelm, podConfigFiles, render, type Obj } from './helpers/helm.js';
import { loadConfig } from '../src/config/load.js';
import { missingReferences, podSpecs, references } from './helpers/k8s-refs.js';

before(ensureHelm);

const modes = ['cronjob', 'scheduler'] as const;
const valuesFiles = readdirSync(ciDir);

function renderAll(): Array<{ label: string; file: string; objs: Obj[] }> {
  return valuesFiles.flatMap((file) =>
    modes.map((mode) => ({ label: `${file} (${mode})`, file, objs: render(file, ['--set', `mode=${mode}`]) })),
  );
}
const rendered = renderAll();

/** The objects the values name as existing outside the release. */
function external(file: string): Set<string> {
  const v = parseYaml(readFileSync(join(ciDir, file), 'utf8')) ?? {};
  const names = [
    `Secret/${v.secrets?.existingSecret}`,
    `ConfigMap/${v.caBundle?.configMap}`,
    `ConfigMap/${v.vault?.caConfigMap?.name}`,
    `Secret/${v.bws?.accessTokenSecret?.name}`,
    ...Object.values<any>(v.instances ?? {}).map((i) => `ConfigMap/${i?.dataJsonConfigMap?.name}`),
  ];
  return new Set(names.filter((n) => !n.endsWith('/undefined') && !n.endsWith('/')));
}

test('every ConfigMap, Secret and key a pod projects or references exists in the rendered release, every ci/ file, both modes', () => {
  for (const { label, file, objs } of rendered) assert.deepEqual(missingReferences(objs, external(file)), [], label);
});

test("the reference check is not vacuous: the test pod's projection of a missing <name>.json, or of a missing block, fails it", () => {
  const objs = render('directory-values.yaml', ['--set', 'mode=scheduler']);
  const pod = objs.find((o) => o.kind === 'Pod')!;
  const instances = pod.spec.volumes.find((v: { name: string }) => v.name === 'instances');
  instances.projected.sources.push(
    { configMap: { name: 'rel-bwdc-runner-instances-0', items: [{ key: 'corp-ad.json', path: 'corp-ad.data.json' }] } },
    { configMap: { name: 'rel-bwdc-runner-instances-1' } },
  );
  assert.deepEqual(missingReferences(objs, new Set()), [
    'Pod/rel-bwdc-runner-check volume instances: ConfigMap/rel-bwdc-runner-instances-0 has no key "corp-ad.json" (it has corp-ad.runner.yaml, entra.runner.yaml, google.runner.yaml, legacy.data.json, legacy.runner.yaml, okta.runner.yaml, onelogin.runner.yaml)',
    'Pod/rel-bwdc-runner-check volume instances: ConfigMap/rel-bwdc-runner-instances-1 is not in the release',
  ]);
  const cronjobs = render('directory-values.yaml');
  byKind(cronjobs, 'ConfigMap').find((c) => c.metadata.name === 'rel-bwdc-runner-instances-0')!.data = {};
  const missing = missingReferences(cronjobs, new Set());
  assert.equal(new Set(missing.map((m) => m.split(' ')[0])).size, 12, 'each CronJob and test pod of the 6 instances');
  assert.equal(missing.length, 14, "each pod's instance file, and legacy's template too");
});

/** A pod spec without what only the test pod changes: its args and its throwaway state folder. */
function comparable(spec: any): any {
  const copy = structuredClone(spec);
  for (const c of copy.containers) {
    delete c.args;
    delete c.ports;
    delete c.livenessProbe;
    delete c.readinessProbe;
    // The test pod checks every instance: no shard.
    c.env = c.env.filter((e: { name: string }) => e.name !== 'BWDC_SHARD');
  }
  copy.volumes = copy.volumes.filter((v: { name: string }) => v.name !== 'state');
  delete copy.terminationGracePeriodSeconds;
  delete copy.restartPolicy;
  return copy;
}

test('helm test runs check in the pod the release runs: one per instance like its CronJob, or one like the StatefulSet for all', () => {
  for (const { label, objs } of rendered) {
    const tests = byKind(objs, 'Pod');
    assert.ok(
      tests.every((p) => p.metadata.annotations!['helm.sh/hook'] === 'test'),
      label,
    );
    const cronjobs = byKind(objs, 'CronJob');
    const [dep] = byKind(objs, 'StatefulSet');
    if (dep) {
      assert.equal(tests.length, 1, label);
      assert.deepEqual(tests[0]!.spec.containers[0].args, ['check'], label);
      assert.deepEqual(comparable(tests[0]!.spec), comparable(dep.spec.template.spec), label);
      continue;
    }
    assert.equal(tests.length, cronjobs.length, label);
    for (const cj of cronjobs) {
      const name = cj.metadata.labels!['bwdc-runner/instance']!;
      const pod = tests.find((p) => p.metadata.name === `${cj.metadata.name}-check`);
      assert.ok(pod, `${label}: no test pod for ${name}`);
      assert.deepEqual(pod.spec.containers[0].args, ['check', '--instance', name], label);
      assert.deepEqual(comparable(pod.spec), comparable(cj.spec.jobTemplate.spec.template.spec), `${label}: ${name}`);
      const state = pod.spec.volumes.find((v: { name: string }) => v.name === 'state');
      assert.ok(state.emptyDir, `${label}: the test never mounts the instance's state claim`);
    }
  }
});

/** The Secret keys a pod spec can read: `<secret>/<key>`, or `<secret>/*` for a whole Secret. */
function reachableKeys(spec: any): Set<string> {
  return new Set(
    references(spec)
      .filter((r) => r.kind === 'Secret')
      .map((r) => `${r.name}/${r.key ?? '*'}`),
  );
}

/** A data.json template for the ConfigMaps the values name as existing outside the release. */
const externalTemplate = () => ({
  'data.json': JSON.stringify({ stateVersion: 6, directoryType: 0, directoryLdap: { hostname: 'h', port: 389 } }),
});

/** The keys the references of the pod's instances name under the Secret's mount, as the runner loads them. */
function ownKeys(objs: Obj[], spec: any): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'bwdc-helm-own-'));
  const config = loadConfig({ X: 'x' }, { configPath: podConfigFiles(objs, spec, dir, externalTemplate) });
  const keys: string[] = [];
  for (const i of config.instances)
    for (const v of [i.clientSecret, i.directorySecret, i.heartbeat, ...i.notify.map((t) => t.url)]) {
      const m = /^file:\/\/\/var\/run\/secrets\/bwdc\/(.+)$/.exec(v ?? '');
      if (m) keys.push(m[1]!);
    }
  return keys;
}

test("no CronJob pod (nor its test pod) can reach another instance's secret key", () => {
  let compared = 0;
  for (const { label, objs } of rendered) {
    const pods = podSpecs(objs).filter(
      (p) => !p.owner.startsWith('StatefulSet/') && p.owner !== 'Pod/rel-bwdc-runner-check',
    );
    const perPod = pods.map((p) => ({
      ...p,
      own: new Set(ownKeys(objs, p.spec)),
      reach: reachableKeys(p.spec),
    }));
    for (const p of perPod) {
      for (const r of p.reach) assert.ok(!r.endsWith('/*'), `${label}: ${p.owner} mounts a whole Secret (${r})`);
      for (const other of perPod) {
        const theirs = [...other.own].filter((k) => !p.own.has(k));
        compared += theirs.length;
        const leaked = [...p.reach].filter((r) => theirs.includes(r.split('/').slice(1).join('/')));
        assert.deepEqual(leaked, [], `${label}: ${p.owner} can read ${other.owner}'s keys`);
      }
    }
  }
  assert.ok(compared > 0, 'some instance has keys of its own: the test compares something');
  // And it would see a pod that mounts the whole Secret, or another instance's key.
  const cj = byKind(render('isolated-secrets-values.yaml'), 'CronJob')[0]!.spec.jobTemplate.spec.template.spec;
  const secrets = cj.volumes.find((v: { name: string }) => v.name === 'secrets').secret;
  secrets.items.push({ key: 'customer-b-ldap', path: 'customer-b-ldap' });
  assert.ok(reachableKeys(cj).has('rel-bwdc-runner-secrets/customer-b-ldap'));
  delete secrets.items;
  assert.ok(reachableKeys(cj).has('rel-bwdc-runner-secrets/*'));
});

test('isolated-secrets-values.yaml: exactly the keys each instance names, the shared client secret included; the scheduler pod gets their union', () => {
  const objs = render('isolated-secrets-values.yaml');
  const items = (spec: any) =>
    spec.volumes.find((v: { name: string }) => v.name === 'secrets')?.secret.items.map((i: { key: string }) => i.key);
  const byName = Object.fromEntries(
    byKind(objs, 'CronJob').map((c) => [
      c.metadata.labels!['bwdc-runner/instance'],
      items(c.spec.jobTemplate.spec.template.spec),
    ]),
  );
  assert.deepEqual(byName, {
    'customer-a': ['client-secret', 'customer-a-ldap'],
    'customer-b': ['client-secret', 'customer-b-healthchecks', 'customer-b-ldap'],
    'customer-c': ['customer-c-api-key'],
  });
  const [dep] = byKind(render('isolated-secrets-values.yaml', ['--set', 'mode=scheduler']), 'StatefulSet');
  assert.deepEqual(items(dep!.spec.template.spec), [
    'client-secret',
    'customer-a-ldap',
    'customer-b-healthchecks',
    'customer-b-ldap',
    'customer-c-api-key',
  ]);
});

test('scheduler mode: an instance change leaves the pod template alone (the scheduler reloads it); a port change rolls it', () => {
  const template = (...extra: string[]) =>
    byKind(render('scheduler-monitoring-values.yaml', extra), 'StatefulSet')[0]!.spec.template;
  const base = template();
  assert.equal(base.metadata.annotations['checksum/config'], undefined);
  assert.match(base.metadata.annotations['checksum/process'], /^[0-9a-f]{64}$/);
  assert.deepEqual(template('--set', 'instances.okta.schedule=0 3 * * *', '--set', 'scheduler.spread=5m'), base);
  // A new instance, directory block or inline template, is a reload too.
  const added = [
    '--set-json',
    'instances.new-ldap={"directory":{"type":"ldap","hostname":"ldap.new.example","port":389,"rootPath":"dc=new"}}',
    '--set-json',
    'instances.new-okta={"dataJson":{"directoryType":3,"directoryOkta":{"orgUrl":"https://new.okta.com"}}}',
  ];
  assert.deepEqual(template(...added), base);
  assert.notDeepEqual(template('--set', 'scheduler.port=9090'), base);
  assert.notDeepEqual(template('--set', 'scheduler.shutdownGrace=50s'), base);
  // concurrency is reloaded too, but the pod's memory follows it (docs/kubernetes.md "Sizing"): a new pod.
  assert.notDeepEqual(template('--set', 'scheduler.concurrency=3'), base);
});
