// `bwdc-runner check`: validates, resolves every reference without showing a value, checks bwdc.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CANARY_CLIENT_SECRET,
  CLIENT_ID,
  assertNoCanary,
  bitwarden,
  doublePath,
  makeFixture,
  runCli,
} from './helpers/fixture.js';

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
  // The directory step is one `bwdc test` with the session the runner wrote: never login, config or sync.
  assert.deepEqual(
    fx
      .records()
      .map((c) => c.command)
      .filter((c) => c !== undefined && c !== '--version'),
    ['test'],
    'check never logs in or syncs',
  );
  assert.match(r.stdout, /ok {3}directory \(\d+m?s\): bwdc test: 3 user\(s\) and 2 group\(s\) would be synced/);
});

test('check --json: a machine-readable report', async () => {
  const fx = makeFixture();
  const r = await runCli(
    ['check', '--json'],
    fx.env({ BW_CLIENTSECRET_FILE: undefined, BW_CLIENTSECRET: CANARY_CLIENT_SECRET }),
  );
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const report = JSON.parse(r.stdout);
  assert.equal(report.ok, true);
  assert.deepEqual(report.instances[0].secrets.map((s: { reference: string }) => s.reference)[0], 'literal value');
  assertNoCanary('check --json', r.stdout, r.stderr);
  assert.deepEqual(
    report.instances[0].steps.map((s: { step: string; status: string }) => `${s.step} ${s.status}`),
    // Every sync reads the Public API through the import gate, so check tries it for every instance.
    ['secrets ok', 'token ok', 'directory ok', 'public-api ok'],
  );
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
  // The directory is not tried, and the report says why (not "--offline", which nobody passed).
  assert.match(r.stdout, /skip directory: bwdc is not usable/);
  assert.doesNotMatch(r.stdout, /--offline/);
});

test('check: an invalid configuration exits 2 before anything else', async () => {
  const fx = makeFixture();
  const r = await runCli(['check'], fx.env({ BW_CLIENTID: 'nope' }));
  assert.equal(r.code, 2);
  assert.match(r.stderr, /clientId \(BW_CLIENTID\): "nope" is not a valid client id/);
});

test("with no time zone configured, check names the zone the schedule really runs in (the process's local zone), not UTC", async () => {
  const fx = makeFixture();
  const r = await runCli(['check', '--json'], fx.env({ BWDC_SCHEDULE: '0 3 * * *', TZ: ':Asia/Tokyo' }));
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const inst = JSON.parse(r.stdout).instances[0];
  assert.equal(inst.timezone, 'Asia/Tokyo');
  assert.match(inst.nextRuns[0], /T18:00:00\.000Z$/, '03:00 in Tokyo');
});

test('--version and check start bwdc in a throwaway app-data folder: nothing left in HOME, the state root or TMPDIR, and an unwritable HOME does not matter', async () => {
  const fx = makeFixture();
  const home = mkdtempSync(join(tmpdir(), 'bwdc-runner-home-'));
  const scratch = mkdtempSync(join(tmpdir(), 'bwdc-runner-tmpdir-'));
  const v = await runCli(['--version'], fx.env({ HOME: home, TMPDIR: scratch }));
  assert.equal(v.code, 0);
  assert.match(v.stdout, /\nbwdc 2026\.6\.1\n$/);
  assert.deepEqual(readdirSync(home), [], 'bwdc wrote no data.json into HOME');
  assert.deepEqual(readdirSync(scratch), [], 'the throwaway folder is removed');
  const c = await runCli(['check'], fx.env({ HOME: home, TMPDIR: scratch }));
  assert.equal(c.code, 0, c.stdout + c.stderr);
  assert.ok(!existsSync(join(fx.stateDir, 'data.json')), 'check left no data.json in the state root');
  assert.deepEqual(readdirSync(home), []);
  assert.deepEqual(readdirSync(scratch), []);
  // A HOME bwdc cannot write (here a file): real bwdc crashes there; the runner never lets it try.
  const unwritable = await runCli(['--version'], fx.env({ HOME: '/etc/hostname' }));
  assert.equal(unwritable.code, 0);
  assert.match(unwritable.stdout, /\nbwdc 2026\.6\.1\n$/, 'not "unusable"');
});

test('the bwdc double, like bwdc, writes data.json on every start, --version included, and crashes with an unwritable HOME', () => {
  const home = mkdtempSync(join(tmpdir(), 'bwdc-runner-home-'));
  const ok = spawnSync(doublePath, ['--version'], { env: { PATH: process.env.PATH!, HOME: home }, encoding: 'utf8' });
  assert.equal(ok.stdout, '2026.6.1\n');
  const data = JSON.parse(readFileSync(join(home, '.config', 'Bitwarden Directory Connector', 'data.json'), 'utf8'));
  assert.deepEqual(data, { stateVersion: 6, installedVersion: '2026.6.1' });
  const bad = spawnSync(doublePath, ['--version'], {
    env: { PATH: process.env.PATH!, HOME: '/etc/hostname' },
    encoding: 'utf8',
  });
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /ENOTDIR/);
});

test('check names the server a directory block without one goes to: the US cloud, not "as in data.json"', async () => {
  const fx = makeFixture();
  // The client secret unresolved: no step contacts a server.
  const env = {
    PATH: process.env.PATH!,
    BWDC_STATE_DIR: join(fx.dir, 'state-block'),
    BWDC_PATH: '/nonexistent/bwdc',
    BW_CLIENTID: CLIENT_ID,
    BW_CLIENTSECRET: 'env://NOT_SET_ANYWHERE',
    BWDC_DIRECTORY_TYPE: 'ldap',
    BWDC_LDAP_HOSTNAME: 'ldap.example.com',
    BWDC_LDAP_PORT: '389',
    BWDC_LDAP_USERNAME: 'cn=bwdc,dc=example,dc=com',
    BWDC_DIRECTORY_SECRET: 'env://NOT_SET_EITHER',
    BWDC_SYNC_USERS: 'true',
  };
  const r = await runCli(['check', '--json'], env);
  const report = JSON.parse(r.stdout) as { instances: Array<{ server: string }> };
  assert.equal(report.instances[0]!.server, 'US cloud', r.stdout);
});

test("check's token request is a run's: with bwdc found on PATH (the image's default), both send bwdc's version, not 'unknown'", async () => {
  const fx = makeFixture();
  // A bwdc on PATH with the VERSION file the image writes beside it (bwdc/locate.ts), no BWDC_PATH.
  const bin = mkdtempSync(join(tmpdir(), 'bwdc-runner-bin-'));
  symlinkSync(doublePath, join(bin, 'bwdc'));
  writeFileSync(join(bin, 'VERSION'), '2026.6.1\n');
  const env = fx.env({ BWDC_PATH: undefined, PATH: `${bin}:${process.env.PATH}` });
  const versionsSent = async (args: string[]) => {
    const before = bitwarden.tokenRequests.length;
    const r = await runCli(args, env);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const sent = bitwarden.tokenRequests.slice(before);
    assert.ok(sent.length > 0, `${args[0]} asked for a token`);
    return sent.map((t) => t.headers['bitwarden-client-version']);
  };
  const fromRun = await versionsSent(['test']);
  const fromCheck = await versionsSent(['check', '--offline']);
  assert.deepEqual(fromRun, ['2026.6.1']);
  assert.deepEqual(fromCheck, fromRun, 'check sends what a run sends');
});
