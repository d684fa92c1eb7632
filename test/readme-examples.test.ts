// The README's quick starts work as written: the `docker run` variables make a valid configuration, the
// config file example loads, and the Helm example renders with the real helm into a CronJob that runs
// the instance. (The `bwdc-runner` commands themselves: test/docs.test.ts.)
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config/load.js';
import { root } from './helpers/fixture.js';

const readme = readFileSync(join(root, 'README.md'), 'utf8');
const helm = join(root, '.cache', 'bin', 'helm');
const clientId = 'organization.3f0c1a52-7d4e-4b8a-9c61-2e5f8a7b9d10';

/** The code block that contains `marker`, as text. */
function block(marker: string): string {
  const found = [...readme.matchAll(/```\w*\n([\s\S]*?)```/g)].map((m) => m[1]!).find((b) => b.includes(marker));
  assert.ok(found, marker);
  return found;
}

before(() => {
  if (!existsSync(helm)) execFileSync('bash', [join(root, 'scripts', 'ci', 'install-helm.sh')], { stdio: 'inherit' });
});

test("the README's docker run variables make a valid configuration (one LDAP instance on a schedule)", () => {
  const command = block('docker run -d --name bwdc').replace(/\\\n/g, ' ');
  const env: Record<string, string> = {};
  for (const [, name, value] of command.matchAll(/-e ([A-Z_]+)=("[^"]*"|\S+)/g))
    env[name!] = value!.replace(/^"|"$/g, '');
  assert.ok(env.BWDC_SCHEDULE && env.BWDC_DIRECTORY_TYPE, JSON.stringify(env));
  // The mounted files, where the container would see them.
  const d = mkdtempSync(join(tmpdir(), 'bwdc-readme-'));
  for (const key of ['BW_CLIENTSECRET_FILE', 'BWDC_DIRECTORY_SECRET_FILE']) {
    const path = join(d, key);
    writeFileSync(path, 'x');
    env[key] = path;
  }
  const config = loadConfig({ ...env, BW_CLIENTID: clientId, BWDC_STATE_DIR: join(d, 'state') });
  const [instance] = config.instances;
  assert.equal(instance!.schedule, '*/30 * * * *');
  assert.equal(instance!.dataJson.directoryType, 0);
});

test("the README's config file loads", () => {
  const d = mkdtempSync(join(tmpdir(), 'bwdc-readme-'));
  const path = join(d, 'config.yaml');
  writeFileSync(path, block('# config.yaml'));
  const config = loadConfig({ BWDC_STATE_DIR: join(d, 'state') }, { configPath: path });
  assert.deepEqual(
    config.instances.map((i) => [i.name, i.schedule]),
    [['corp-ad', '0 */6 * * *']],
  );
});

test("the README's Helm example renders into a CronJob running the instance, its secret mounted", () => {
  const d = mkdtempSync(join(tmpdir(), 'bwdc-readme-'));
  writeFileSync(join(d, 'my-instances.yaml'), block('# my-instances.yaml'));
  const install = block('helm install bwdc').replace(/\\\n/g, ' ');
  const sets = [...install.matchAll(/--set (\S+)/g)].map((m) => m[1]!.replace('<uuid>', clientId.slice(13)));
  const out = execFileSync(
    helm,
    [
      'template',
      'bwdc',
      join(root, 'helm', 'bwdc-runner'),
      '-n',
      'bwdc',
      ...sets.flatMap((s) => ['--set', s]),
      '-f',
      join(d, 'my-instances.yaml'),
    ],
    { encoding: 'utf8' },
  );
  assert.match(out, /kind: CronJob/);
  assert.match(out, /args: \["run", ?"--instance", ?"corp-ad"\]/);
  assert.match(out, /registry\.example\.com\/platform\/bwdc-runner:0\.1\.0/);
  assert.match(out, /secretName: "?bwdc-credentials"?/);
});
