// `bwdc-runner check`: validates, resolves every reference without showing a value, checks bwdc.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { assertNoCanary, makeFixture, runCli } from './helpers/fixture.js';

test('check: all good exits 0, lists next runs, and prints no secret value', async () => {
  const fx = makeFixture();
  const r = await runCli(['check'], fx.env({ BWDC_SCHEDULE: '0 */6 * * *', TZ: 'Europe/Berlin' }));
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /instance one/);
  assert.match(r.stdout, /clientSecret: file:\/\/.*client_secret {2}ok/);
  assert.match(r.stdout, /directorySecret: file:\/\/.*ldap_password {2}ok/);
  assert.match(r.stdout, /bwdc: .*bwdc \(version 2026\.6\.1\)/);
  assert.match(r.stdout, /schedule: 0 \*\/6 \* \* \* \(Europe\/Berlin\); next: \d{4}-/);
  assertNoCanary('check output', r.stdout, r.stderr);
  assert.equal(fx.records().filter((c) => c.command !== undefined && c.command !== '--version').length, 0, 'check never logs in or syncs');
});

test('check --json: a machine-readable report', async () => {
  const fx = makeFixture();
  const r = await runCli(['check', '--json'], fx.env({ BW_CLIENTSECRET_FILE: undefined, BW_CLIENTSECRET: 'literal-canary-abc123' }));
  assert.equal(r.code, 0);
  const report = JSON.parse(r.stdout);
  assert.equal(report.ok, true);
  assert.deepEqual(report.instances[0].secrets.map((s: { reference: string }) => s.reference)[0], 'literal value');
  assert.ok(!r.stdout.includes('literal-canary-abc123'));
});

test('check: an unresolvable secret exits 3 with the reference and the reason', async () => {
  const fx = makeFixture();
  const r = await runCli(['check'], fx.env({ BW_CLIENTSECRET_FILE: join(fx.dir, 'gone') }));
  assert.equal(r.code, 3);
  assert.match(r.stdout, /clientSecret: file:\/\/.*gone {2}ERROR .*no such file/);
});

test('check: a missing bwdc exits 4', async () => {
  const fx = makeFixture();
  const r = await runCli(['check'], fx.env({ BWDC_PATH: '/nonexistent/bwdc' }));
  assert.equal(r.code, 4);
  assert.match(r.stdout, /bwdc: ERROR/);
});

test('check: an invalid configuration exits 2 before anything else', async () => {
  const fx = makeFixture();
  const r = await runCli(['check'], fx.env({ BW_CLIENTID: 'nope' }));
  assert.equal(r.code, 2);
  assert.match(r.stderr, /clientId \(BW_CLIENTID\): "nope" is not a valid client id/);
});

test('with no time zone configured, check names the zone the schedule really runs in (the process\'s local zone), not UTC', async () => {
  const fx = makeFixture();
  const r = await runCli(['check', '--json'], fx.env({ BWDC_SCHEDULE: '0 3 * * *', TZ: ':Asia/Tokyo' }));
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const inst = JSON.parse(r.stdout).instances[0];
  assert.equal(inst.timezone, 'Asia/Tokyo');
  assert.match(inst.nextRuns[0], /T18:00:00\.000Z$/, '03:00 in Tokyo');
});
