// The chart past one machine (docs/kubernetes.md "Shards (scheduler mode)", "How many instances one
// release holds"): 10,000 instances in one scheduler-mode release within Kubernetes' and Helm's limits,
// cronjob mode refusing beyond its measured maximum, and the upgrade from the Deployment of earlier versions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { loadConfig } from '../src/config/load.js';
import { root } from './helpers/fixture.js';
import { byKind, chart, ensureHelm, helm, render, schedulerConfigFiles, type Obj } from './helpers/helm.js';
import { MiB, manyInstancesValues, measureRelease } from './helpers/helm-release.js';

ensureHelm();

test('10,000 instances in scheduler mode: every object and the stored release under 1 MiB; the runner loads all 10,000', () => {
  const d = mkdtempSync(join(tmpdir(), 'bwdc-helm-10k-'));
  const values = manyInstancesValues(10_000, 'scheduler', { scheduler: { replicas: 10 } });
  const size = measureRelease(values, d);
  assert.ok(
    size.largest.bytes < MiB,
    `largest object ${size.largest.kind}/${size.largest.name}: ${size.largest.bytes}`,
  );
  assert.ok(size.releaseSecretBytes < MiB, `the release Helm stores: ${size.releaseSecretBytes} bytes`);
  assert.equal(size.configMaps, 1 + 20, 'config.yaml and 20 blocks of 500');
  // What the pods read is every instance, once.
  const objs = parseAllDocuments(size.manifest)
    .map((x) => x.toJS() as Obj)
    .filter(Boolean);
  const [sts] = byKind(objs, 'StatefulSet');
  assert.equal(
    sts!.spec.template.spec.volumes.find((v: { name: string }) => v.name === 'instances').projected.sources.length,
    20,
  );
  const config = loadConfig({ BWDC_STATE_DIR: join(d, 'state') }, { configPath: schedulerConfigFiles(objs, d) });
  assert.equal(config.instances.length, 10_000);
  assert.equal(
    config.instances.find((i) => i.name === 'customer-09999')!.directorySecret,
    'vault://secret/bwdc/customer-09999#bind_password',
  );
});

test('cronjob mode: 2,000 instances fit; 2,001 are refused with what to do', () => {
  const d = mkdtempSync(join(tmpdir(), 'bwdc-helm-cron-'));
  const size = measureRelease(manyInstancesValues(2_000, 'cronjob'), d);
  assert.ok(
    size.largest.bytes < MiB,
    `largest object ${size.largest.kind}/${size.largest.name}: ${size.largest.bytes}`,
  );
  assert.ok(size.releaseSecretBytes < MiB, `the release Helm stores: ${size.releaseSecretBytes} bytes`);
  const file = join(d, 'over.yaml');
  writeFileSync(file, stringify(manyInstancesValues(2_001, 'cronjob')));
  const r = spawnSync(helm, ['template', 'rel', chart, '-f', file], { encoding: 'utf8', maxBuffer: 256 * MiB });
  assert.notEqual(r.status, 0);
  assert.match(
    r.stderr,
    /cronjob mode holds at most 2000 instances in one release \(cronjob\.maxInstances; 2001 given\)/,
  );
  assert.match(r.stderr, /several releases, or use mode: scheduler/);
  // Fewer, larger instances are refused by their block's own size, whatever maxInstances says.
  const big = manyInstancesValues(300, 'cronjob', { cronjob: { maxInstances: 5000 } });
  for (const i of Object.values(big.instances) as Array<Record<string, unknown>>)
    i.sync = { userFilter: `(|${'(cn=a-fairly-long-group-name-for-padding)'.repeat(80)})` };
  writeFileSync(file, stringify(big));
  const b = spawnSync(helm, ['template', 'rel', chart, '-f', file], { encoding: 'utf8', maxBuffer: 256 * MiB });
  assert.notEqual(b.status, 0);
  assert.match(
    b.stderr,
    /the ConfigMap of instances block 0 \(instances up to customer-\d+\) would pass 800 kB \(1 MiB is Kubernetes' limit\): lower scheduler\.instancesPerConfigMap/,
  );
});

test('upgrade from the Deployment (chart before shards): what helm upgrade replaces, keeps and leaves, by helm template of both', () => {
  const d = mkdtempSync(join(tmpdir(), 'bwdc-helm-upgrade-'));
  // The chart as it was before this change (the commit it was built on).
  const old = join(d, 'old');
  mkdirSync(old);
  const tar = execFileSync('git', ['-C', root, 'archive', '9aab948', 'helm/bwdc-runner']);
  execFileSync('tar', ['-x', '-C', old], { input: tar });
  // The values a user of the old chart has: its own ci file (today's carries settings the old schema lacks).
  const args = [
    '-f',
    join(old, 'helm', 'bwdc-runner', 'ci', 'directory-values.yaml'),
    '--set',
    'mode=scheduler',
    '--set',
    'state.persistence.enabled=true',
  ];
  const before = parseAllDocuments(
    execFileSync(helm, ['template', 'rel', join(old, 'helm', 'bwdc-runner'), ...args], { encoding: 'utf8' }),
  )
    .map((x) => x.toJS() as Obj)
    .filter(Boolean);
  const after = render(undefined, args);
  const ids = (objs: Obj[]) => new Set(objs.map((o) => `${o.kind}/${o.metadata.name}`));
  const [was, is] = [ids(before), ids(after)];
  // helm upgrade deletes what the new release no longer renders, unless it carries resource-policy keep.
  const gone = [...was].filter((x) => !is.has(x)).sort();
  assert.deepEqual(gone, [
    'ConfigMap/rel-bwdc-runner-data',
    'Deployment/rel-bwdc-runner',
    'PersistentVolumeClaim/rel-bwdc-runner-state',
  ]);
  const claim = before.find((o) => o.kind === 'PersistentVolumeClaim')!;
  assert.equal(
    claim.metadata.annotations!['helm.sh/resource-policy'],
    'keep',
    'the old state claim survives the upgrade',
  );
  const added = [...is].filter((x) => !was.has(x)).sort();
  assert.deepEqual(added, [
    'ConfigMap/rel-bwdc-runner-instances-0',
    'PodDisruptionBudget/rel-bwdc-runner',
    'Service/rel-bwdc-runner-pods',
    'StatefulSet/rel-bwdc-runner',
  ]);
  // The StatefulSet's pods carry the Deployment's selector labels: the Service and ServiceMonitor follow them.
  const dep = byKind(before, 'Deployment')[0]!;
  const sts = byKind(after, 'StatefulSet')[0]!;
  assert.deepEqual(sts.spec.selector, dep.spec.selector);
  // Its state is a new claim per replica (state-rel-bwdc-runner-0), so each instance's first run is a full sync.
  assert.equal(sts.spec.volumeClaimTemplates[0].metadata.name, 'state');
  // The configuration the runner loads is the same instances with the same settings.
  const oldConfig = before.find((o) => o.metadata.name === 'rel-bwdc-runner-config')!.data!['config.yaml']!;
  const oldData = before.find((o) => o.metadata.name === 'rel-bwdc-runner-data')!.data!;
  mkdirSync(join(d, 'was'));
  writeFileSync(join(d, 'was', 'legacy.json'), oldData['legacy.json']!);
  writeFileSync(
    join(d, 'was', 'config.yaml'),
    oldConfig.replace('/etc/bwdc-runner-templates/legacy.json', join(d, 'was', 'legacy.json')),
  );
  const env = { BWDC_STATE_DIR: join(d, 'state') };
  const a = loadConfig(env, { configPath: join(d, 'was', 'config.yaml') });
  const b = loadConfig(env, { configPath: schedulerConfigFiles(after, join(d, 'is')) });
  const comparable = (c: typeof a) =>
    c.instances.map(({ origin: _o, dataJson, ...rest }) => ({ ...rest, dataJson: dataJson.text }));
  assert.deepEqual(comparable(b), comparable(a));
});

test('scheduler.control: one ReadWriteMany claim every replica mounts as BWDC_CONTROL_DIR (what follows a moved instance)', () => {
  const objs = render('scheduler-monitoring-values.yaml', [
    '--set',
    'scheduler.replicas=3',
    '--set',
    'scheduler.control.enabled=true',
  ]);
  const claim = byKind(objs, 'PersistentVolumeClaim').find((c) => c.metadata.name === 'rel-bwdc-runner-control')!;
  assert.deepEqual(claim.spec.accessModes, ['ReadWriteMany']);
  assert.equal(claim.metadata.annotations!['helm.sh/resource-policy'], 'keep');
  for (const spec of [byKind(objs, 'StatefulSet')[0]!.spec.template.spec, byKind(objs, 'Pod')[0]!.spec]) {
    const c = spec.containers[0];
    assert.equal(
      c.env.find((e: { name: string }) => e.name === 'BWDC_CONTROL_DIR').value,
      '/var/lib/bwdc-runner-control',
    );
    assert.ok(c.volumeMounts.some((m: { name: string }) => m.name === 'control'));
    assert.deepEqual(spec.volumes.find((v: { name: string }) => v.name === 'control').persistentVolumeClaim, {
      claimName: 'rel-bwdc-runner-control',
    });
  }
  const existing = render('scheduler-monitoring-values.yaml', [
    '--set',
    'scheduler.control.enabled=true',
    '--set',
    'scheduler.control.existingClaim=shared-nfs',
  ]);
  assert.equal(byKind(existing, 'PersistentVolumeClaim').length, 0);
  assert.equal(
    byKind(existing, 'StatefulSet')[0]!.spec.template.spec.volumes.find((v: { name: string }) => v.name === 'control')
      .persistentVolumeClaim.claimName,
    'shared-nfs',
  );
});
