// The plain manifests: generated from the chart (so they cannot drift), built by the real kubectl
// kustomize, and valid Kubernetes objects.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { root } from './helpers/fixture.js';
import { unknownFields, validateModel } from './helpers/k8s-schema.js';
import { missingReferences, podSpecs, references } from './helpers/k8s-refs.js';
import { podConfigFiles } from './helpers/helm.js';
import { loadConfig } from '../src/config/load.js';
import { renderK8s } from '../scripts/generate-k8s.js';

const kubectl = join(root, '.cache', 'bin', 'kubectl');
before(() => {
  if (!existsSync(kubectl))
    execFileSync('bash', [join(root, 'scripts', 'ci', 'install-helm.sh')], { stdio: 'inherit' });
});

test('k8s/base is exactly what the generator produces from the chart (run `npm run k8s:generate`)', () => {
  const generated = renderK8s();
  const onDisk = readdirSync(join(root, 'k8s', 'base')).sort();
  assert.deepEqual(onDisk, [...generated.keys()].sort());
  for (const [name, text] of generated)
    assert.equal(readFileSync(join(root, 'k8s', 'base', name), 'utf8'), text, `k8s/base/${name} is stale`);
});

test('kubectl kustomize k8s/ builds two CronJobs, instance-1 and instance-2, that validate strictly', async () => {
  const out = execFileSync(kubectl, ['kustomize', join(root, 'k8s')], { encoding: 'utf8' });
  const objs = parseAllDocuments(out)
    .map((d) => d.toJS())
    .filter(Boolean);
  const cronjobs = objs.filter((o) => o.kind === 'CronJob');
  assert.deepEqual(cronjobs.map((c) => c.metadata.name).sort(), ['bwdc-instance-1', 'bwdc-instance-2']);
  for (const o of objs) {
    assert.equal(o.metadata.namespace, 'bwdc');
    assert.equal(o.metadata.labels?.['helm.sh/chart'], undefined);
    await validateModel(o);
    assert.deepEqual(unknownFields(o), [], `${o.kind}/${o.metadata.name}`);
  }
  for (const c of cronjobs)
    assert.equal(c.spec.jobTemplate.spec.template.spec.containers[0].image, 'registry.example.com/bwdc-runner:0.1.0');
  // instance-2: a data.json template from the overlay's ConfigMap; instance-1: a directory block in its
  // instance file. Each CronJob mounts config.yaml and its own instance's files, which the runner loads
  // with the client id from the settings ConfigMap (its environment).
  const templates = objs.filter((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('bwdc-instance-'));
  assert.deepEqual(
    templates.map((t) => [t.metadata.name, JSON.parse(t.data['data.json']).directoryType]),
    [['bwdc-instance-2', 0]],
  );
  const block = objs.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'bwdc-instances-0');
  assert.equal(JSON.parse(block.data['instance-1.runner.yaml']).directory.type, 'ldap');
  const settings = objs.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('bwdc-settings'));
  const dir = mkdtempSync(join(tmpdir(), 'bwdc-k8s-pods-'));
  for (const [name, type] of [
    ['instance-1', 0],
    ['instance-2', 0],
  ] as const) {
    const pod = cronjobs.find((c) => c.metadata.name === `bwdc-${name}`).spec.jobTemplate.spec.template.spec;
    const env = pod.containers[0].env as Array<{ name: string; value: string }>;
    assert.equal(env.find((e) => e.name === 'BWDC_RUNNER_CONFIG')?.value, '/etc/bwdc-runner/config.yaml');
    const config = loadConfig(
      { ...settings.data, BWDC_STATE_DIR: join(dir, 'state') },
      { configPath: podConfigFiles(objs, pod, join(dir, name)) },
    );
    assert.deepEqual(
      config.instances.map((i) => [i.name, i.dataJson.directoryType, i.clientId]),
      [[name, type, settings.data.BW_CLIENTID]],
    );
  }
  // Nothing unreferenced, nothing missing: every ConfigMap is some pod's, every pod's reference is there
  // (or is the Secret you create, k8s/README.md).
  assert.deepEqual(missingReferences(objs, new Set(['Secret/bwdc-credentials'])), []);
  const used = new Set(podSpecs(objs).flatMap((p) => references(p.spec).map((r) => `${r.kind}/${r.name}`)));
  for (const o of objs.filter((x) => x.kind === 'ConfigMap' || x.kind === 'Secret'))
    assert.ok(used.has(`${o.kind}/${o.metadata.name}`), `${o.kind}/${o.metadata.name} is referenced by nothing`);
});

test('the client id is set once: a kustomize overlay changes it for every CronJob', () => {
  const clientIds = (objs: any[]) => {
    const settings = new Map(objs.filter((o) => o.kind === 'ConfigMap').map((o) => [o.metadata.name, o.data]));
    return objs
      .filter((o) => o.kind === 'CronJob')
      .map((c) => {
        const container = c.spec.jobTemplate.spec.template.spec.containers[0];
        assert.equal(
          container.env.find((e: { name: string }) => e.name === 'BW_CLIENTID'),
          undefined,
        );
        return settings.get(container.envFrom[0].configMapRef.name).BW_CLIENTID;
      });
  };
  const build = (dir: string) =>
    parseAllDocuments(execFileSync(kubectl, ['kustomize', dir], { encoding: 'utf8' }))
      .map((d) => d.toJS())
      .filter(Boolean);
  assert.deepEqual(clientIds(build(join(root, 'k8s', 'base'))), [
    'organization.00000000-0000-4000-8000-000000000000',
    'organization.00000000-0000-4000-8000-000000000000',
  ]);
  const overlay = mkdtempSync(join(tmpdir(), 'bwdc-k8s-overlay-'));
  const mine = 'organization.3f0c1a52-7d4e-4b8a-9c61-2e5f8a7b9d10';
  writeFileSync(
    join(overlay, 'kustomization.yaml'),
    [
      'resources: [' + JSON.stringify(relative(overlay, join(root, 'k8s', 'base'))) + ']',
      'configMapGenerator:',
      '  - name: bwdc-settings',
      '    behavior: merge',
      `    literals: [BW_CLIENTID=${mine}]`,
      '',
    ].join('\n'),
  );
  assert.deepEqual(clientIds(build(overlay)), [mine, mine]);
});

test('k8s/ reads the same under a YAML 1.1 reader as under YAML 1.2 (httpPort stays the string "off")', () => {
  const files = [
    ...readdirSync(join(root, 'k8s', 'base')).map((f) => join(root, 'k8s', 'base', f)),
    join(root, 'k8s', 'kustomization.yaml'),
    join(root, 'k8s', 'example-values.yaml'),
  ];
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    const v12 = parseAllDocuments(text).map((d) => d.toJS());
    const v11 = parseAllDocuments(text, { version: '1.1' }).map((d) => d.toJS());
    assert.deepEqual(v11, v12, `${file}: a YAML 1.1 tool reads other values`);
  }
  const cm = parseAllDocuments(readFileSync(join(root, 'k8s', 'base', 'configmap-bwdc-config.yaml'), 'utf8'), {
    version: '1.1',
  })[0]!.toJS();
  assert.equal(parseAllDocuments(cm.data['config.yaml'], { version: '1.1' })[0]!.toJS().httpPort, 'off');
});
