// `check` against real parts: the real bwdc release (BWDC_RELEASE_ZIP), a seeded slapd, and the
// Bitwarden test server. A refused API key is class auth, an unreachable directory class directory,
// and a right configuration prints the directory's user and group counts. No secret in the output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CANARY_DIRECTORY_SECRET, assertNoCanary, makeFixture, runCli } from './helpers/fixture.js';
import { realBwdc, realBwdcSkip } from './helpers/real-bwdc.js';
import { startSlapd, type Slapd } from './helpers/slapd.js';
import { freePort } from './helpers/prometheus.js';

const skip = realBwdcSkip();
let slapd: Slapd | undefined;
const directory = async () => (slapd ??= await startSlapd({ bindPassword: CANARY_DIRECTORY_SECRET }));

/** A config file with one instance reading the seeded slapd (or `port` instead of its own). */
async function setup(opts: { port?: number; login?: 'bwdc' } = {}) {
  const fx = makeFixture();
  const d = await directory();
  const block = { ...d.directory, ...(opts.port ? { port: opts.port } : {}) };
  const config = fx.writeConfig([
    {
      name: 'corp-ld',
      dataJson: undefined,
      directory: block,
      sync: d.sync,
      ...(opts.login ? { login: opts.login } : {}),
    },
  ]);
  const env = fx.fileEnv({ BWDC_PATH: realBwdc()!, BWDC_RUNNER_CONFIG: config, BWDC_PASS_ENV: undefined });
  return { fx, env };
}

test(
  'check with the real bwdc and slapd, both right: every step ok, and the user and group counts',
  { skip },
  async () => {
    const { env } = await setup();
    const r = await runCli(['check'], env);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /ok {3}secrets \(\d+m?s\): clientSecret \(file:\/\/.*\) resolved/);
    assert.match(r.stdout, /ok {3}token \(\d+m?s\): organization token from http:\/\/127\.0\.0\.1:\d+\/identity/);
    assert.match(r.stdout, /ok {3}directory \([\d.]+m?s\): bwdc test: 3 user\(s\) and 2 group\(s\) would be synced/);
    assert.match(r.stdout, /ok {3}public-api \(\d+m?s\): http:\/\/127\.0\.0\.1:\d+\/api: 0 member\(s\), 0 group\(s\)/);
    assertNoCanary('check output', r.stdout, r.stderr);
    const json = await runCli(['check', '--json'], env);
    assert.equal(json.code, 0, json.stdout + json.stderr);
    const inst = JSON.parse(json.stdout).instances[0];
    const dir = inst.steps.find((s: { step: string }) => s.step === 'directory');
    assert.deepEqual([dir.status, dir.users, dir.groups], ['ok', 3, 2]);
    assert.ok(inst.steps.every((s: { durationMs: number }) => Number.isInteger(s.durationMs)));
    assertNoCanary('check --json output', json.stdout, json.stderr);
  },
);

test(
  'check with a wrong API key: non-zero, class auth, the token step says the fix; no bwdc start',
  { skip },
  async () => {
    const { fx, env } = await setup();
    writeFileSync(fx.secretPath, 'a-wrong-client-secret\n');
    const r = await runCli(['check', '--json'], env);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const report = JSON.parse(r.stdout);
    assert.equal(report.ok, false);
    const inst = report.instances[0];
    assert.equal(inst.failureClass, 'auth');
    const token = inst.steps.find((s: { step: string }) => s.step === 'token');
    assert.equal(token.status, 'failed');
    assert.match(token.detail, /the organization API key was refused \(invalid_client\)/);
    assert.match(token.fix, /Admin Console/);
    assert.equal(inst.steps.find((s: { step: string }) => s.step === 'directory').status, 'skipped');
    assert.ok(!r.stdout.includes('a-wrong-client-secret'));
  },
);

test(
  'check with a wrong API key and login: bwdc: class auth in the directory step, whose fix is the API key',
  { skip },
  async () => {
    const { fx, env } = await setup({ login: 'bwdc' });
    writeFileSync(fx.secretPath, 'a-wrong-client-secret\n');
    const r = await runCli(['check', '--json'], env);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const inst = JSON.parse(r.stdout).instances[0];
    assert.equal(inst.failureClass, 'auth');
    const dir = inst.steps.find((s: { step: string }) => s.step === 'directory');
    assert.equal(dir.status, 'failed');
    assert.match(dir.detail, /invalid_client/);
    // bwdc's own login was refused: the fix is the key, not the Public API (which was never asked).
    assert.match(dir.fix, /Bitwarden refused the organization API key/);
    assert.ok(!r.stdout.includes('a-wrong-client-secret'));
  },
);

test(
  'check with login: bwdc: the Public API its syncs read through the import gate is tried too (not skipped)',
  { skip },
  async () => {
    const { env } = await setup({ login: 'bwdc' });
    const r = await runCli(['check'], env);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /ok {3}directory \([\d.]+m?s\): bwdc test: 3 user\(s\) and 2 group\(s\) would be synced/);
    assert.match(r.stdout, /ok {3}public-api \(\d+m?s\): http:\/\/127\.0\.0\.1:\d+\/api: 0 member\(s\), 0 group\(s\)/);
  },
);

test('check with an unreachable directory: non-zero, class directory, with the fix', { skip }, async () => {
  const { env } = await setup({ port: await freePort() });
  const r = await runCli(['check'], env);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /instance corp-ld .* FAILED \(directory\)/);
  assert.match(r.stdout, /FAIL directory \([\d.]+m?s\) \[class directory, exit 1\]: /);
  assert.match(r.stdout, /fix: bwdc could not read the directory/);
  assert.match(r.stdout, /ok {3}token/);
  assertNoCanary('check output', r.stdout, r.stderr);
});

test(
  'check --offline never starts bwdc test: the directory step is skipped, the rest still runs',
  { skip },
  async () => {
    const { env } = await setup({ port: await freePort() });
    const r = await runCli(['check', '--offline'], env);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /skip directory: --offline/);
    assert.match(r.stdout, /ok {3}token/);
  },
);

test('check --json with an invalid configuration prints the report as JSON, exit 2', async () => {
  const fx = makeFixture();
  const config = join(fx.dir, 'bad.yaml');
  writeFileSync(config, 'instances:\n  - name: Corp_AD\n    dataJson: ./nope.json\n');
  const r = await runCli(['check', '--json'], fx.fileEnv({ BWDC_RUNNER_CONFIG: config }));
  assert.equal(r.code, 2, r.stdout + r.stderr);
  const report = JSON.parse(r.stdout);
  assert.equal(report.ok, false);
  assert.equal(report.exitCode, 2);
  assert.ok(
    report.config.issues.some((i: string) => i.includes('Corp_AD')),
    report.config.issues.join('\n'),
  );
});
