// One rule for instance names (docs/kubernetes.md "Instance names"): the runner and the chart accept
// and refuse the same names, over a table of the cases that matter and a sample of random names, each
// with a message naming the instance. And the length budget: a 30-character instance name fits a CronJob
// name (52) with a release full name of up to 21 characters; beyond that the chart says which instance.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { ldapTemplate } from './helpers/fixture.js';
import { chart, ensureHelm, helm, render, schedulerConfigFiles } from './helpers/helm.js';
import { validateModel } from './helpers/k8s-schema.js';
import { loadConfig } from '../src/config/load.js';
import { ConfigError } from '../src/errors.js';

const CLIENT_ID = 'organization.3f0c1a52-7d4e-4b8a-9c61-2e5f8a7b9d10';
before(ensureHelm);

const dir = mkdtempSync(join(tmpdir(), 'bwdc-naming-'));
const template = join(dir, 'data.json');
writeFileSync(template, JSON.stringify(ldapTemplate));

/** The runner: undefined when it accepts the name, else its message. */
function runnerSays(name: string): string | undefined {
  try {
    loadConfig({
      BWDC_INSTANCE: name,
      BWDC_DATA_JSON: template,
      BW_CLIENTID: CLIENT_ID,
      BW_CLIENTSECRET: 'env://X',
      BWDC_STATE_DIR: dir,
    });
    return undefined;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return err.issues.join('\n');
  }
}

/** The chart (cronjob mode, the documented release name `bwdc`): undefined when it renders, else helm's error. */
function chartSays(name: string, extra: string[] = []): string | undefined {
  const r = spawnSync(
    helm,
    [
      'template',
      'bwdc',
      chart,
      '--set-json',
      `instances=${JSON.stringify({ [name]: { dataJson: { directoryType: 0 } } })}`,
      '--set',
      `defaults.clientId=${CLIENT_ID}`,
      '--set',
      'defaults.clientSecret=env://X',
      ...extra,
    ],
    { encoding: 'utf8' },
  );
  return r.status === 0 ? undefined : r.stderr;
}

const table = [
  'corp-ad',
  'a',
  '0',
  'okta2',
  '1-2-3',
  'x'.repeat(30),
  'x'.repeat(31),
  'CorpAD',
  'corp_ad',
  'corp.ad',
  '-corp',
  'corp-',
  'corp ad',
  'ünicode',
  `a${'-'.repeat(28)}b`,
];

function agree(name: string): void {
  const runner = runnerSays(name);
  const chartError = chartSays(name);
  assert.equal(
    runner === undefined,
    chartError === undefined,
    `"${name}": runner ${runner ?? 'ok'}; chart ${chartError ?? 'ok'}`,
  );
  if (runner === undefined) return;
  // One message, naming the instance, in both.
  const message = `"${name}" is not a valid instance name; expected lowercase letters, digits and "-"`;
  assert.ok(runner.includes(message), runner);
  assert.ok(chartError!.includes(`instances.${name}: ${message}`), chartError);
}

test('the runner and the chart accept and refuse the same instance names (a table of cases)', () => {
  for (const name of table) agree(name);
  assert.equal(runnerSays('corp-ad'), undefined);
  assert.notEqual(runnerSays('CorpAD'), undefined, 'the rule is not vacuous');
});

test('the runner and the chart agree on random names too', () => {
  const chars = [...'abz09-_.A'];
  fc.assert(
    fc.property(
      fc.array(fc.constantFrom(...chars), { minLength: 1, maxLength: 34 }).map((a) => a.join('')),
      (name) => agree(name),
    ),
    { numRuns: 40, seed: 27 },
  );
});

test('length budget: a 30-character name fits with a 21-character full name; a longer full name is refused naming the instance', () => {
  const name = 'x'.repeat(30);
  const full21 = 'r'.repeat(21);
  assert.equal(chartSays(name, ['--set', `fullnameOverride=${full21}`]), undefined);
  const refused = chartSays(name, ['--set', `fullnameOverride=${full21}r`]);
  assert.match(
    refused ?? '',
    new RegExp(`instances\\.${name}: the CronJob name "${full21}r-${name}" has 53 characters; Kubernetes allows 52`),
  );
  // Scheduler mode makes no per-instance resource name: no budget there.
  assert.equal(chartSays(name, ['--set', `fullnameOverride=${full21}r`, '--set', 'mode=scheduler']), undefined);
});

test('names YAML would read as another type (123, true, null, 1e3, 0x1f) stay strings: in labels and in the scheduler config', async () => {
  for (const name of ['123', 'true', 'null', '1e3', '0x1f']) {
    assert.equal(runnerSays(name), undefined, `the runner accepts ${name}`);
    const instances = {
      [name]: { directory: { type: 'ldap', hostname: 'ldap.example', port: 389, rootPath: 'dc=x' } },
    };
    const extra = ['--set-json', `instances=${JSON.stringify(instances)}`];
    const ids = ['--set', `defaults.clientId=${CLIENT_ID}`, '--set', 'defaults.clientSecret=env://X'];
    for (const mode of ['cronjob', 'scheduler']) {
      const objs = render(undefined, [...ids, ...extra, '--set', `mode=${mode}`], 'bwdc');
      for (const obj of objs) {
        for (const labels of [obj.metadata.labels, obj.spec?.jobTemplate?.metadata?.labels]) {
          for (const [k, v] of Object.entries(labels ?? {}))
            assert.equal(
              typeof v,
              'string',
              `${mode} ${obj.kind}/${obj.metadata.name}: label ${k} is ${JSON.stringify(v)}`,
            );
        }
        await assert.doesNotReject(validateModel(obj), `${mode} ${obj.kind}/${obj.metadata.name}`);
        if (obj.kind === 'ConfigMap' && obj.metadata.name.endsWith('-config')) {
          // As the pod reads it: config.yaml and the blocks of instances beside it (helpers/helm.ts).
          const file = schedulerConfigFiles(objs, join(dir, `${name}-${mode}`));
          const config = loadConfig({ BWDC_RUNNER_CONFIG: file, X: 'x' });
          assert.deepEqual(
            config.instances.map((i) => i.name),
            [name],
          );
        }
      }
    }
  }
});
