// The Helm chart with the real helm binary: lint, render per feature (helm/bwdc-runner/ci/*.yaml),
// assert on the rendered objects, validate every object against the Kubernetes schema and a strict
// unknown-field check, and check that values.schema.json rejects typos and wrong types.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import {
  byKind,
  chart,
  ciDir,
  ensureHelm,
  helm,
  podConfigFiles,
  render,
  schedulerConfigFiles,
} from './helpers/helm.js';
import { unknownFields, validateModel } from './helpers/k8s-schema.js';
import { cronProblem } from '../src/config/normalize.js';
import { fileSchema } from '../src/config/schema.js';
import { loadConfig } from '../src/config/load.js';
import { parseDuration } from '../src/shared/duration.js';

before(ensureHelm);

test('helm lint is clean for the defaults and every ci/ values file', () => {
  for (const f of [undefined, ...readdirSync(ciDir)]) {
    const r = spawnSync(helm, ['lint', '--strict', chart, ...(f ? ['-f', join(ciDir, f)] : [])], { encoding: 'utf8' });
    assert.equal(r.status, 0, `${f}: ${r.stdout}${r.stderr}`);
    assert.match(r.stdout, /0 chart\(s\) failed/);
  }
});

test('every rendered object of every ci/ values file validates (kubernetes-models) and has no unknown field', async () => {
  for (const f of readdirSync(ciDir)) {
    for (const obj of render(f)) {
      await assert.doesNotReject(validateModel(obj), `${f}: ${obj.kind}/${obj.metadata.name}`);
      assert.deepEqual(unknownFields(obj as never), [], `${f}: ${obj.kind}/${obj.metadata.name}`);
    }
  }
});

test('the strict check does catch a misspelled field (it is not vacuous)', () => {
  const cj = render('three-instances-values.yaml').find((o) => o.kind === 'CronJob')!;
  cj.spec.jobTemplate.spec.template.spec.containers[0].resources.limitz = {};
  assert.deepEqual(unknownFields(cj as never), [
    'CronJob.spec.jobTemplate.spec.template.spec.containers[0].resources.limitz: no such field',
  ]);
});

const instance3Template = JSON.stringify({
  stateVersion: 6,
  directoryType: 0,
  directoryLdap: { hostname: 'ldap', port: 389 },
});

test('cronjob mode, 3 instances: one CronJob each with the right command, schedule, security, deadlines and volumes', () => {
  const objs = render('three-instances-values.yaml');
  const cronjobs = byKind(objs, 'CronJob');
  assert.deepEqual(cronjobs.map((c) => c.metadata.name).sort(), [
    'rel-bwdc-runner-instance-1',
    'rel-bwdc-runner-instance-2',
    'rel-bwdc-runner-instance-3',
  ]);
  assert.equal(byKind(objs, 'Deployment').length, 0);
  const d = mkdtempSync(join(tmpdir(), 'bwdc-helm-three-'));
  for (const cj of cronjobs) {
    const name = cj.metadata.labels!['bwdc-runner/instance']!;
    const pod = cj.spec.jobTemplate.spec.template.spec;
    const c = pod.containers[0];
    assert.deepEqual(c.args, ['run', '--instance', name]);
    assert.equal(cj.spec.concurrencyPolicy, 'Forbid');
    assert.ok(cj.spec.startingDeadlineSeconds > 0);
    assert.equal(pod.restartPolicy, 'Never');
    // What the pod mounts is what the runner reads: config.yaml and its own instance's files, no other's.
    const files = podConfigFiles(objs, pod, join(d, name), { 'bwdc-instance-3': { 'data.json': instance3Template } });
    const config = loadConfig({ BWDC_STATE_DIR: join(d, 'state') }, { configPath: files });
    assert.deepEqual(
      config.instances.map((i) => i.name),
      [name],
    );
    assert.equal(config.httpPort, 'off');
    // SIGTERM (a drain, a deleted Job): the runner's grace (25 s) plus bwdc's kill grace (5 s) fit.
    assert.equal(config.shutdownGraceMs, 25_000);
    assert.ok(
      pod.terminationGracePeriodSeconds > 25 + 5,
      `terminationGracePeriodSeconds ${pod.terminationGracePeriodSeconds}`,
    );
    const job = cj.spec.jobTemplate.spec;
    assert.ok(job.backoffLimit >= 1, 'a failed pod that is not a configuration error gets another try');
    assert.deepEqual(job.podFailurePolicy.rules, [
      { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] },
      { action: 'FailJob', onExitCodes: { containerName: 'bwdc-runner', operator: 'In', values: [2, 3, 4] } },
    ]);
    assert.equal(pod.automountServiceAccountToken, false, 'no token without Vault Kubernetes auth');
    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.equal(pod.securityContext.runAsUser, 10001);
    assert.equal(pod.securityContext.seccompProfile.type, 'RuntimeDefault');
    assert.equal(c.securityContext.readOnlyRootFilesystem, true);
    assert.equal(c.securityContext.allowPrivilegeEscalation, false);
    assert.deepEqual(c.securityContext.capabilities.drop, ['ALL']);
    assert.ok(c.resources.requests.memory && c.resources.limits.memory);
    const mounts = Object.fromEntries(
      c.volumeMounts.map((m: { name: string; mountPath: string }) => [m.name, m.mountPath]),
    );
    assert.equal(mounts.state, '/var/lib/bwdc-runner');
    assert.equal(mounts.config, '/etc/bwdc-runner');
    assert.equal(mounts.instances, '/etc/bwdc-runner-instances');
    assert.equal(mounts.secrets, '/var/run/secrets/bwdc');
    assert.equal(mounts.tmp, '/tmp');
    const env = Object.fromEntries(c.env.map((e: { name: string; value: string }) => [e.name, e.value]));
    assert.equal(env.BWDC_RUNNER_CONFIG, '/etc/bwdc-runner/config.yaml');
    // instance-1 is a directory block, the others templates.
    assert.equal(config.instances[0]!.dataJson.rendered === true, name === 'instance-1');
    assert.equal(config.instances[0]!.clientSecret, 'file:///var/run/secrets/bwdc/client-secret');
    // The CronJob's schedule is the one its instance file gives the runner.
    assert.equal(config.instances[0]!.schedule, cj.spec.schedule);
    assert.equal(cronProblem(cj.spec.schedule), undefined, `${cj.spec.schedule} is a valid cron`);
    const volumes = Object.fromEntries(pod.volumes.map((v: { name: string }) => [v.name, v]));
    assert.ok(volumes.state.emptyDir, 'emptyDir state by default');
    assert.equal(volumes.secrets.secret.secretName, 'bwdc-credentials');
    assert.equal(
      volumes.secrets.secret.defaultMode,
      0o440,
      'read-only for the owner and group, whichever YAML version reads it',
    );
  }
  const [i1, i2, i3] = ['instance-1', 'instance-2', 'instance-3'].map((n) =>
    cronjobs.find((c) => c.metadata.labels!['bwdc-runner/instance'] === n)!,
  );
  assert.match(i1!.spec.schedule, /^\d{1,2} \* \* \* \*$/, 'H became a fixed minute');
  assert.equal(i2!.spec.schedule, '*/30 * * * *');
  assert.equal(i2!.spec.timeZone, 'Europe/Berlin');
  assert.equal(i3!.spec.suspend, true);
  // Login runner: one bwdc start per attempt. 15m timeout, 2 retries, 30s backoff:
  // 3 attempts x (900 + 60) + backoffs 30 + 60 + 60.
  assert.equal(i1!.spec.jobTemplate.spec.activeDeadlineSeconds, 3 * (900 + 60) + 90 + 60);
  assert.equal(i2!.spec.jobTemplate.spec.activeDeadlineSeconds, 3 * (1800 + 60) + 90 + 60);
  // instance-3's template comes from an existing ConfigMap: still one start, the import gate adds none.
  assert.equal(i3!.spec.jobTemplate.spec.activeDeadlineSeconds, 3 * (900 + 60) + 90 + 60);
  const tpl3 = i3!.spec.jobTemplate.spec.template.spec.volumes.find((v: { name: string }) => v.name === 'instances');
  assert.deepEqual(
    tpl3.projected.sources[1].configMap,
    { name: 'bwdc-instance-3', items: [{ key: 'data.json', path: 'instance-3.data.json' }] },
    'an existing ConfigMap as the template',
  );
  const data = byKind(objs, 'ConfigMap').find((c) => c.metadata.name === 'rel-bwdc-runner-instances-0')!.data!;
  assert.equal(JSON.parse(data['instance-1.runner.yaml']!).directory.type, 'ldap');
  assert.equal(JSON.parse(data['instance-2.data.json']!).directoryType, 1);
});

/** The CronJob of one instance `a` with these settings (client id and secret set), plus extra helm args. */
function oneCronJob(instance: Record<string, unknown>, extra: string[] = []) {
  const args = ['--set', 'defaults.clientId=organization.3f0c1a52-7d4e-4b8a-9c61-2e5f8a7b9d10'];
  args.push('--set', 'defaults.clientSecret=env://X', ...extra);
  return byKind(
    render(undefined, [...args, '--set-json', `instances=${JSON.stringify({ a: instance })}`]),
    'CronJob',
  )[0]!;
}

test('deadlines read every duration the schema allows as the runner does (1h30m, 90000ms, 007s, bare seconds)', () => {
  for (const [timeout, grace] of [
    ['1h30m', '1m30s'],
    ['90000ms', '500ms'],
    ['007s', '30'],
    ['2m30s', '25s'],
    ['900', '1h'],
  ] as const) {
    const cj = oneCronJob({ dataJson: { directoryType: 0 }, timeout }, [
      '--set-string',
      `cronjob.shutdownGrace=${grace}`,
    ]);
    const seconds = (d: string) => Math.ceil(parseDuration(d)! / 1000);
    // One start (login runner), 2 retries, 30 s backoff: 3 x (timeout + 60) + 30 + 60 + 60.
    assert.equal(cj.spec.jobTemplate.spec.activeDeadlineSeconds, 3 * (seconds(timeout) + 60) + 150, timeout);
    // The runner's shutdown grace plus 15 s.
    assert.equal(cj.spec.jobTemplate.spec.template.spec.terminationGracePeriodSeconds, seconds(grace) + 15, grace);
  }
});

test("the docs' activeDeadlineSeconds for the defaults is the one the chart renders", () => {
  const cj = oneCronJob({ dataJson: { directoryType: 0 } });
  const seconds = cj.spec.jobTemplate.spec.activeDeadlineSeconds as number;
  for (const doc of ['docs/kubernetes.md', 'helm/bwdc-runner/README.md']) {
    const text = readFileSync(join(chart, '..', '..', doc), 'utf8');
    assert.ok(
      text.includes(`${seconds.toLocaleString('en-US')} s`),
      `${doc} does not state the default deadline ${seconds} s`,
    );
  }
});

test('the H minute is deterministic per instance and differs between instances', () => {
  const many = Object.fromEntries(Array.from({ length: 30 }, (_, n) => [`i${n}`, { dataJson: { directoryType: 0 } }]));
  const args = [
    '--set-json',
    `instances=${JSON.stringify(many)}`,
    '--set',
    'defaults.clientId=organization.3f0c1a52-7d4e-4b8a-9c61-2e5f8a7b9d10',
    '--set',
    'defaults.clientSecret=env://X',
    '--set',
    'defaults.schedule=H * * * *',
  ];
  const minutes = byKind(render(undefined, args), 'CronJob').map((c) => Number(c.spec.schedule.split(' ')[0]));
  assert.equal(minutes.length, 30);
  assert.ok(new Set(minutes).size >= 15, `minutes: ${minutes.join(',')}`);
  assert.deepEqual(
    byKind(render(undefined, args), 'CronJob')
      .map((c) => c.spec.schedule.split(' ')[0])
      .map(Number),
    minutes,
  );
});

test('scheduler mode: a StatefulSet (1 replica by default, parallel) running schedule as shard auto/1, a PDB, the Services, ServiceMonitor and PrometheusRule', () => {
  const objs = render('scheduler-monitoring-values.yaml');
  assert.equal(byKind(objs, 'CronJob').length, 0);
  assert.equal(byKind(objs, 'Deployment').length, 0);
  const [sts] = byKind(objs, 'StatefulSet');
  assert.equal(sts!.spec.replicas, 1);
  assert.equal(sts!.spec.podManagementPolicy, 'Parallel');
  assert.equal(sts!.spec.serviceName, 'rel-bwdc-runner-pods');
  assert.equal(sts!.spec.volumeClaimTemplates, undefined, 'no persistence: no claims');
  const c = sts!.spec.template.spec.containers[0];
  assert.deepEqual(c.args, ['schedule']);
  assert.deepEqual(
    c.env.find((e: { name: string }) => e.name === 'BWDC_SHARD'),
    { name: 'BWDC_SHARD', value: 'auto/1' },
  );
  assert.equal(c.livenessProbe.httpGet.path, '/healthz');
  assert.equal(c.readinessProbe.httpGet.path, '/readyz');
  // Its own sizing from the measurements (docs/kubernetes.md "Sizing"): 96 MiB + concurrency (2) x 224 MiB.
  assert.deepEqual(c.resources, { requests: { cpu: '200m', memory: '544Mi' }, limits: { memory: '816Mi' } });
  assert.equal(sts!.spec.template.spec.automountServiceAccountToken, true, 'Vault Kubernetes auth needs the token');
  const volumes = sts!.spec.template.spec.volumes;
  assert.deepEqual(volumes.find((v: { name: string }) => v.name === 'config').configMap, {
    name: 'rel-bwdc-runner-config',
    items: [{ key: 'config.yaml', path: 'config.yaml' }],
  });
  // Every block of instances in one projected folder, so an instance added to a block needs no new volume.
  assert.deepEqual(volumes.find((v: { name: string }) => v.name === 'instances').projected.sources, [
    { configMap: { name: 'rel-bwdc-runner-instances-0' } },
  ]);
  assert.deepEqual(volumes.find((v: { name: string }) => v.name === 'state').emptyDir, { sizeLimit: '256Mi' });
  const [svc, headless] = byKind(objs, 'Service');
  assert.equal(svc!.spec.ports[0].port, 8080);
  assert.equal(headless!.metadata.name, 'rel-bwdc-runner-pods');
  assert.equal(headless!.spec.clusterIP, 'None');
  const [pdb] = byKind(objs, 'PodDisruptionBudget');
  assert.equal(pdb!.spec.maxUnavailable, 1);
  assert.deepEqual(pdb!.spec.selector.matchLabels, sts!.spec.selector.matchLabels);
  const [sm] = byKind(objs, 'ServiceMonitor');
  assert.equal(sm!.spec.endpoints[0].path, '/metrics');
  assert.equal(sm!.metadata.labels!.release, 'prometheus');
  // The ServiceMonitor selects one Service, not the headless one too: each replica is scraped once.
  const selected = byKind(objs, 'Service').filter((s) =>
    Object.entries(sm!.spec.selector.matchLabels as Record<string, string>).every(
      ([k, v]) => s.metadata.labels![k] === v,
    ),
  );
  assert.deepEqual(
    selected.map((s) => s.metadata.name),
    ['rel-bwdc-runner'],
  );
  const [rule] = byKind(objs, 'PrometheusRule');
  const alerts = rule!.spec.groups[0].rules.map((r: { alert: string }) => r.alert);
  assert.deepEqual(alerts, ['BwdcSyncFailing', 'BwdcSyncStale', 'BwdcSecretBackendErrors']);
  const config = byKind(objs, 'ConfigMap').find((c) => c.metadata.name === 'rel-bwdc-runner-config')!.data![
    'config.yaml'
  ]!;
  assert.match(config, /concurrency: 2/);
  assert.match(config, /bwdcNice: 10/);
  assert.match(config, /instancesDir: \/etc\/bwdc-runner-instances/);
  const parsed = fileSchema.safeParse(parseYaml(config));
  assert.ok(parsed.success, `the runner refuses the chart's config.yaml: ${parsed.error?.message}`);
  // scheduler.spread reaches every instance through config.yaml's defaults.
  assert.equal(parseYaml(config).defaults.spread, '10m');
  const loaded = loadConfig(
    { BWDC_STATE_DIR: tmpdir() },
    { configPath: podConfigFiles(objs, sts!.spec.template.spec, mkdtempSync(join(tmpdir(), 'bwdc-helm-sched-'))) },
  );
  assert.equal(loaded.instances.find((i) => i.name === 'okta')!.spreadMs, 600_000);
});

test('scheduler.replicas: 3 with persistence: 3 pods of shard auto/3, a state claim each from volumeClaimTemplates, no shared claim', () => {
  const objs = render('scheduler-monitoring-values.yaml', [
    '--set',
    'scheduler.replicas=3',
    '--set',
    'state.persistence.enabled=true',
  ]);
  const [sts] = byKind(objs, 'StatefulSet');
  assert.equal(sts!.spec.replicas, 3);
  const env = sts!.spec.template.spec.containers[0].env;
  assert.equal(env.find((e: { name: string }) => e.name === 'BWDC_SHARD').value, 'auto/3');
  const [claim] = sts!.spec.volumeClaimTemplates;
  assert.equal(claim.metadata.name, 'state');
  assert.deepEqual(claim.spec.accessModes, ['ReadWriteOnce']);
  assert.deepEqual(sts!.spec.persistentVolumeClaimRetentionPolicy, { whenDeleted: 'Retain', whenScaled: 'Retain' });
  const volumes = sts!.spec.template.spec.volumes.map((v: { name: string }) => v.name);
  assert.ok(!volumes.includes('state'), 'the claim template provides the state volume');
  assert.ok(
    sts!.spec.template.spec.containers[0].volumeMounts.some(
      (m: { name: string; mountPath: string }) => m.name === 'state' && m.mountPath === '/var/lib/bwdc-runner',
    ),
  );
  assert.equal(byKind(objs, 'PersistentVolumeClaim').length, 0, 'no claim of its own in scheduler mode');
  // The test pod checks every instance, in a throwaway folder.
  const pod = byKind(objs, 'Pod')[0]!;
  assert.equal(
    pod.spec.containers[0].env.find((e: { name: string }) => e.name === 'BWDC_SHARD'),
    undefined,
  );
  assert.ok(pod.spec.volumes.find((v: { name: string }) => v.name === 'state').emptyDir);
});

test('Vault Kubernetes auth: address, namespace, role, mount, CA and the service-account token', () => {
  const objs = render('vault-kubernetes-values.yaml');
  const pod = byKind(objs, 'CronJob')[0]!.spec.jobTemplate.spec.template.spec;
  const env = Object.fromEntries(pod.containers[0].env.map((e: { name: string; value: string }) => [e.name, e.value]));
  assert.equal(env.VAULT_ADDR, 'https://vault.example.com:8200');
  assert.equal(env.VAULT_NAMESPACE, 'team-a');
  assert.equal(env.VAULT_K8S_ROLE, 'bwdc-runner');
  assert.equal(env.VAULT_K8S_MOUNT, 'kubernetes-prod');
  assert.equal(env.VAULT_CACERT, '/etc/bwdc-runner/vault-ca/ca.crt');
  // The client secret reference: config.yaml's defaults, as the runner reads them.
  const config = loadConfig(
    {},
    { configPath: podConfigFiles(objs, pod, mkdtempSync(join(tmpdir(), 'bwdc-helm-vault-'))) },
  );
  assert.equal(config.instances[0]!.clientSecret, 'vault://secret/bwdc/org#client_secret');
  assert.equal(pod.automountServiceAccountToken, true);
  assert.ok(
    pod.volumes.some(
      (v: { name: string; configMap?: { name: string } }) => v.name === 'vault-ca' && v.configMap?.name === 'vault-ca',
    ),
  );
});

test('AWS IRSA: the role annotation on the service account, region, proxy and CA bundle; H H becomes a fixed time', () => {
  const objs = render('aws-irsa-values.yaml');
  const [sa] = byKind(objs, 'ServiceAccount');
  assert.equal(sa!.metadata.annotations!['eks.amazonaws.com/role-arn'], 'arn:aws:iam::123456789012:role/bwdc-runner');
  const cj = byKind(objs, 'CronJob')[0]!;
  assert.match(cj.spec.schedule, /^\d{1,2} \d{1,2} \* \* \*$/);
  const env = Object.fromEntries(
    cj.spec.jobTemplate.spec.template.spec.containers[0].env.map((e: { name: string; value: string }) => [
      e.name,
      e.value,
    ]),
  );
  assert.equal(env.AWS_REGION, 'eu-west-1');
  assert.equal(env.HTTPS_PROXY, 'http://proxy.example.com:3128');
  assert.equal(env.NODE_EXTRA_CA_CERTS, '/etc/bwdc-runner/ca/ca.crt');
  assert.equal(
    cj.spec.jobTemplate.spec.template.spec.automountServiceAccountToken,
    false,
    'IRSA uses a projected token of its own, not the SA token mount',
  );
});

test('PVC state: one claim per instance, kept on uninstall, mounted as the state folder; a chart-created Secret', () => {
  const objs = render('pvc-state-values.yaml');
  const pvcs = byKind(objs, 'PersistentVolumeClaim');
  assert.deepEqual(pvcs.map((p) => p.metadata.name).sort(), ['rel-bwdc-runner-a-state', 'rel-bwdc-runner-b-state']);
  assert.equal(pvcs[0]!.metadata.annotations!['helm.sh/resource-policy'], 'keep');
  assert.equal(pvcs[0]!.spec.storageClassName, 'standard');
  for (const cj of byKind(objs, 'CronJob')) {
    const state = cj.spec.jobTemplate.spec.template.spec.volumes.find((v: { name: string }) => v.name === 'state');
    assert.equal(state.persistentVolumeClaim.claimName, `${cj.metadata.name}-state`);
  }
  const [secret] = byKind(objs, 'Secret');
  assert.equal(secret!.metadata.name, 'rel-bwdc-runner-secrets');
});

test('an existing Secret: mounted, no Secret rendered; Vault token auth reads its token from it', () => {
  const objs = render('existing-secret-values.yaml');
  assert.equal(byKind(objs, 'Secret').length, 0);
  const pod = byKind(objs, 'CronJob')[0]!.spec.jobTemplate.spec.template.spec;
  assert.equal(pod.volumes.find((v: { name: string }) => v.name === 'secrets').secret.secretName, 'bwdc-credentials');
  const env = Object.fromEntries(pod.containers[0].env.map((e: { name: string; value: string }) => [e.name, e.value]));
  assert.equal(env.VAULT_TOKEN_FILE, '/var/run/secrets/bwdc/vault-token');
  assert.equal(env.BWDC_LOG_FILE, 'true', 'extraEnv');
});

test("the values schema rejects a misspelled key and a wrong type, with helm's own error", () => {
  const typo = spawnSync(helm, ['template', 'rel', chart, '--set', 'defaults.shedule=0 * * * *'], { encoding: 'utf8' });
  assert.notEqual(typo.status, 0);
  assert.match(typo.stderr, /values don't meet the specifications of the schema/);
  assert.match(typo.stderr, /additional properties 'shedule' not allowed/);
  const type = spawnSync(helm, ['template', 'rel', chart, '--set', 'scheduler.concurrency=lots'], { encoding: 'utf8' });
  assert.notEqual(type.status, 0);
  assert.match(type.stderr, /'\/scheduler\/concurrency': got string, want integer/);
  const literal = spawnSync(helm, ['template', 'rel', chart, '--set', 'defaults.clientSecret=hunter2'], {
    encoding: 'utf8',
  });
  assert.notEqual(literal.status, 0, 'a literal secret in values is refused: references only');
  const badMode = spawnSync(helm, ['template', 'rel', chart, '--set', 'mode=daemon'], { encoding: 'utf8' });
  assert.notEqual(badMode.status, 0);
});

test('directory blocks: the config the chart renders is what the runner loads, in both modes', () => {
  const d = mkdtempSync(join(tmpdir(), 'bwdc-helm-directory-'));
  // cronjob mode: each CronJob pod reads config.yaml and its own instance's file of its block.
  const objs = render('directory-values.yaml');
  for (const name of ['corp-ad', 'entra', 'google', 'okta', 'onelogin']) {
    const cj = byKind(objs, 'CronJob').find((c) => c.metadata.name.endsWith(name))!;
    const pod = cj.spec.jobTemplate.spec.template.spec;
    const volume = pod.volumes.find((v: { name: string }) => v.name === 'instances');
    assert.deepEqual(volume.projected.sources, [
      {
        configMap: {
          name: 'rel-bwdc-runner-instances-0',
          items: [{ key: `${name}.runner.yaml`, path: `${name}.runner.yaml` }],
        },
      },
    ]);
    const config = loadConfig({ BWDC_STATE_DIR: d }, { configPath: podConfigFiles(objs, pod, join(d, name)) });
    assert.deepEqual(
      config.instances.map((i) => i.name),
      [name],
    );
    const rendered = JSON.parse(config.instances[0]!.dataJson.text);
    assert.equal(rendered.stateVersion, 6);
    if (name === 'corp-ad') {
      // defaults' fields and the instance's, merged
      assert.deepEqual(
        [rendered.directoryLdap.hostname, rendered.directoryLdap.port, rendered.directoryLdap.ssl],
        ['dc1.corp.example', 636, true],
      );
      assert.match(rendered.sync.userFilter, /userAccountControl/);
    }
    if (name === 'okta') assert.equal(rendered.sync.inviteUsersAfterProvisioning, false);
    // Notifications and the heartbeat: defaults' in config.yaml, the instance's in its file.
    assert.deepEqual(
      config.instances[0]!.notify.map((t) => [t.url, t.format, t.after, [...t.on]]),
      [['vault://secret/bwdc/notify#slack_webhook', 'slack', 2, ['failure', 'recovery']]],
    );
    assert.equal(
      config.instances[0]!.heartbeat,
      name === 'corp-ad' ? 'vault://secret/bwdc/corp-ad#healthchecks_url' : undefined,
    );
    // The guard rails: defaults' and the instance's, merged by the runner.
    assert.deepEqual(
      config.instances[0]!.guard,
      name === 'corp-ad'
        ? {
            maxRemovals: '5%',
            maxRemovalsPerDay: 20,
            maxMembershipRemovals: undefined,
            refuseEmptiedGroups: false,
            refuseEmptyDirectory: true,
            requireSeats: false,
          }
        : {
            maxRemovals: '5%',
            maxRemovalsPerDay: undefined,
            maxMembershipRemovals: undefined,
            refuseEmptiedGroups: true,
            refuseEmptyDirectory: true,
            requireSeats: true,
          },
    );
  }
  // The template instance mounts its data.json beside its settings.
  const legacy = byKind(objs, 'CronJob').find((c) => c.metadata.name.endsWith('legacy'))!.spec.jobTemplate.spec.template
    .spec;
  assert.deepEqual(
    legacy.volumes.find((v: { name: string }) => v.name === 'instances').projected.sources[0].configMap.items,
    [
      { key: 'legacy.runner.yaml', path: 'legacy.runner.yaml' },
      { key: 'legacy.data.json', path: 'legacy.data.json' },
    ],
  );
  const legacyConfig = loadConfig(
    { BWDC_STATE_DIR: d },
    { configPath: podConfigFiles(objs, legacy, join(d, 'legacy')) },
  );
  assert.equal(legacyConfig.instances[0]!.dataJson.directoryType, 0);
  // scheduler mode: each instance a <name>.runner.yaml (and an inline template its <name>.data.json) in the
  // -instances-<k> ConfigMaps, one folder in the pod.
  const sched = render('directory-values.yaml', ['--set', 'mode=scheduler']);
  const cfgPath = schedulerConfigFiles(sched, join(d, 'scheduler'));
  const all = loadConfig({ BWDC_RUNNER_CONFIG: cfgPath, BWDC_STATE_DIR: d });
  assert.equal(all.instances[0]!.guard.requireSeats, false, 'scheduler mode: guard in the instance file');
  assert.equal(all.instances[0]!.heartbeat, 'vault://secret/bwdc/corp-ad#healthchecks_url');
  assert.equal(all.instances[1]!.notify[0]!.format, 'slack');
  assert.deepEqual(
    all.instances.map((i) => [i.name, i.dataJson.directoryType, Boolean(i.dataJson.rendered)]),
    [
      ['corp-ad', 0, true],
      ['entra', 1, true],
      ['google', 2, true],
      ['legacy', 0, false],
      ['okta', 3, true],
      ['onelogin', 4, true],
    ],
  );
});

/** helm template over ci/directory-values.yaml plus `extra`: it must fail; returns helm's stderr. */
function refusedWithDirectoryValues(...extra: string[]): string {
  const r = spawnSync(helm, ['template', 'rel', chart, '-f', join(ciDir, 'directory-values.yaml'), ...extra], {
    encoding: 'utf8',
  });
  assert.notEqual(r.status, 0, `helm accepted ${extra.join(' ')}`);
  return r.stderr;
}

test('Bitwarden Secrets Manager: the access token mounted from its Secret as a file, the server URL, bws:// references', () => {
  const objs = render('bws-values.yaml');
  const cj = byKind(objs, 'CronJob')[0]!;
  const pod = cj.spec.jobTemplate.spec.template.spec;
  const env = Object.fromEntries(
    (pod.containers[0].env as Array<{ name: string; value?: string }>).map((e) => [e.name, e.value]),
  );
  assert.equal(env.BWS_ACCESS_TOKEN_FILE, '/var/run/secrets/bws/access-token');
  assert.equal(env.BWS_SERVER_URL, 'https://vault.bitwarden.eu');
  assert.equal(env.BWS_ACCESS_TOKEN, undefined, 'never the token itself in the environment');
  const config = loadConfig(
    {},
    { configPath: podConfigFiles(objs, pod, mkdtempSync(join(tmpdir(), 'bwdc-helm-bws-'))) },
  );
  assert.equal(config.instances[0]!.clientSecret, 'bws://2b1f6c0e-8d4a-4c3e-9a51-0e6f3b2d7c10');
  const volume = pod.volumes.find((v: { name: string }) => v.name === 'bws-token');
  assert.equal(volume.secret.secretName, 'bws-machine-account');
  assert.ok(
    pod.containers[0].volumeMounts.some(
      (m: { name: string; mountPath: string }) => m.name === 'bws-token' && m.mountPath === '/var/run/secrets/bws',
    ),
  );
});

test('notification and heartbeat URLs in values must be secret references (they carry tokens)', () => {
  assert.match(
    refusedWithDirectoryValues('--set', 'instances.okta.heartbeat=https://hc-ping.com/uuid'),
    /\/instances\/okta\/heartbeat/,
  );
  assert.match(
    refusedWithDirectoryValues('--set-json', 'defaults.notify=[{"url":"env://X","format":"discord"}]'),
    /\/defaults\/notify\/0\/format/,
  );
});

/**
 * What the built CLI says of the configuration the CronJob pod of `name` mounts (helm template with
 * `args`): `run --instance NAME` stops at the configuration, before any network, exit 2.
 */
function runnerRefuses(args: string[], name: string): string {
  const objs = render(undefined, args);
  const cj = byKind(objs, 'CronJob').find((c) => c.metadata.labels!['bwdc-runner/instance'] === name)!;
  const dir = mkdtempSync(join(tmpdir(), 'bwdc-helm-refused-'));
  const config = podConfigFiles(objs, cj.spec.jobTemplate.spec.template.spec, dir);
  const r = spawnSync(process.execPath, [join(chart, '..', '..', 'bin', 'bwdc-runner.js'), 'run', '--instance', name], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, BWDC_RUNNER_CONFIG: config, BWDC_STATE_DIR: join(dir, 'state') },
  });
  assert.equal(r.status, 2, `${r.stdout}${r.stderr}`);
  return r.stderr;
}

const directoryValues = ['-f', join(ciDir, 'directory-values.yaml')];

test("a directory block is checked by the chart schema (the runner's); an instance needs a block or a template, the runner says", () => {
  assert.match(
    refusedWithDirectoryValues('--set', 'instances.okta.directory.orgUrl=http://x'),
    /\/instances\/okta\/directory/,
  );
  // The runner merges and judges the settings (the chart no longer does): its message, naming the file.
  assert.match(
    runnerRefuses([...directoryValues, '--set-json', 'instances.legacy.directory={"type":"okta"}'], 'legacy'),
    /instance legacy\.directory \(.*legacy\.runner\.yaml.*\): set either a directory block or a data\.json template .*not both/,
  );
  const ids = [
    '--set',
    'defaults.clientId=organization.3f0c1a52-7d4e-4b8a-9c61-2e5f8a7b9d10',
    '--set',
    'defaults.clientSecret=vault://secret/x#y',
  ];
  assert.match(
    runnerRefuses([...ids, '--set-json', 'instances={"x":{"schedule":"H * * * *"}}'], 'x'),
    /instance x\.directory .*required: a directory block \(type: ldap, entra, google, okta or onelogin/,
  );
});

test('a missing clientSecret: the runner names it, exit 2', () => {
  const args = [
    '--set',
    'defaults.clientId=organization.3f0c1a52-7d4e-4b8a-9c61-2e5f8a7b9d10',
    '--set-json',
    'instances={"x":{"dataJson":{"directoryType":0,"directoryLdap":{"hostname":"h","port":389}}}}',
  ];
  assert.match(runnerRefuses(args, 'x'), /clientSecret .*required: the organization API key client secret/);
});

test('every rendered manifest reads the same under a YAML 1.1 reader as under YAML 1.2 (no unquoted off, yes, on...)', () => {
  for (const f of [undefined, ...readdirSync(ciDir)]) {
    const out = execFileSync(helm, ['template', 'rel', chart, ...(f ? ['-f', join(ciDir, f)] : [])], {
      encoding: 'utf8',
    });
    const v12 = parseAllDocuments(out).map((d) => d.toJS());
    const v11 = parseAllDocuments(out, { version: '1.1' }).map((d) => d.toJS());
    assert.deepEqual(v11, v12, `${f ?? 'defaults'}: a YAML 1.1 tool reads other values`);
  }
});
