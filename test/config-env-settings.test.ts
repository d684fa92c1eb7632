// The variables of the process are declared settings (src/shared/process-settings.ts, src/config/schema.ts):
// a bad value is a configuration error, exit 2, naming the variable and what is expected, before anything
// runs. Before, eight of them fell back to their default in silence (issue 36).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config/load.js';
import { CLIENT_ID } from './helpers/fixture.js';

const bin = join(import.meta.dirname, '..', 'bin', 'bwdc-runner.js');

function envOnly(): Record<string, string> {
  const d = mkdtempSync(join(tmpdir(), 'bwdc-env-settings-'));
  writeFileSync(join(d, 'client_secret'), 'a-client-secret\n');
  return {
    BW_CLIENTID: CLIENT_ID,
    BW_CLIENTSECRET_FILE: join(d, 'client_secret'),
    BWDC_DIRECTORY_SECRET: 'a-bind-password',
    BWDC_STATE_DIR: join(d, 'state'),
    BWDC_DIRECTORY_TYPE: 'ldap',
    BWDC_LDAP_HOSTNAME: 'ldap.example.com',
    BWDC_LDAP_PORT: '389',
    BWDC_SYNC_USERS: 'true',
  };
}

const cases: Array<[string, string, RegExp]> = [
  ['BWDC_SECRET_TIMEOUT', 'soon', /expected a duration above zero such as 10s/],
  ['BWDC_SECRET_TIMEOUT', '0', /expected a duration above zero such as 10s/],
  ['BWDC_SECRET_RETRIES', 'many', /expected a whole number from 0 to 20/],
  ['BWDC_SECRET_BACKOFF', 'quick', /expected a duration such as 250ms/],
  ['BWDC_SECRET_CACHE_TTL', '30 seconds', /expected a duration such as 30s/],
  ['BWDC_HISTORY_MAX_SIZE', '1k', /expected a size of at least 4k/],
  ['BWDC_HISTORY_MAX_AGE', 'forever', /expected a duration such as 90d/],
  ['BWDC_NOTIFY_TIMEOUT', '0s', /expected a duration such as 5s/],
  ['BWDC_WATCH_CONFIG', 'no', /expected true or false/],
  ['BWDC_APPROVE_PLAN', 'yes', /is not a plan id; expected the 10 hex digits a refusal names/],
  ['BWDC_ALLOW_REMOVALS', 'some', /is not a count; expected a whole number/],
  ['PUSHGATEWAY_URL', 'pushgateway:9091', /expected an http\(s\) URL/],
  ['BWDC_CONCURRENCY', 'lots', /expected a whole number from 1 to 1000/],
  ['BWDC_SHUTDOWN_GRACE', 'soon', /expected a duration such as 90s/],
  ['BWDC_PASS_ENV', 'HTTPS_PROXY NO_PROXY', /expected variable names or PREFIX\*, comma-separated/],
];

for (const command of ['check', 'run']) {
  for (const [name, value, expected] of cases) {
    test(`${name}=${value} bwdc-runner ${command}: exit 2, one line naming the variable and what is expected`, () => {
      const r = spawnSync(process.execPath, [bin, command], {
        env: { PATH: process.env.PATH, ...envOnly(), [name]: value },
        encoding: 'utf8',
        timeout: 30_000,
      });
      assert.equal(r.status, 2, r.stderr);
      const lines = r.stderr.trim().split('\n');
      assert.deepEqual(lines[0], 'bwdc-runner: invalid configuration:');
      assert.equal(lines.length, 2, r.stderr);
      // A URL that may carry credentials is never quoted (PUSHGATEWAY_URL: http://user:password@host).
      const found = name === 'PUSHGATEWAY_URL' ? 'the value' : `"${value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"`;
      assert.match(lines[1]!, new RegExp(`^\\s*${name}: ${found} is not `));
      assert.match(lines[1]!, expected);
    });
  }
}

test('PUSHGATEWAY_URL invalid with credentials in it: exit 2, the credentials in no output', () => {
  const r = spawnSync(process.execPath, [bin, 'check'], {
    env: { PATH: process.env.PATH, ...envOnly(), PUSHGATEWAY_URL: 'http//push:CANARY-pw@pushgateway:9091' },
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /PUSHGATEWAY_URL: the value is not valid; expected an http\(s\) URL/);
  assert.doesNotMatch(r.stdout + r.stderr, /CANARY/);
});

test('guard.always (deprecated) still loads, with a warning that it does nothing, and is in no instance', () => {
  const env = envOnly();
  const d = mkdtempSync(join(tmpdir(), 'bwdc-env-settings-'));
  const p = join(d, 'config.yaml');
  writeFileSync(
    p,
    [
      'defaults:',
      '  guard: { always: true }',
      'instances:',
      '  - name: a',
      '    directory: { type: okta, orgUrl: "https://x.okta.com" }',
      '    directorySecret: env://X',
      '',
    ].join('\n'),
  );
  const config = loadConfig(
    { ...env, BWDC_DIRECTORY_TYPE: '', BWDC_LDAP_HOSTNAME: '', BWDC_LDAP_PORT: '' },
    {
      configPath: p,
    },
  );
  assert.deepEqual(config.warnings, [
    `defaults.guard.always (${p}:2): does nothing any more (every import is judged by the gate, docs/guard-rails.md); remove it`,
  ]);
  assert.equal('always' in config.instances[0]!.guard, false);
  const fromEnv = loadConfig({ ...env, BWDC_GUARD_ALWAYS: 'true' });
  assert.match(fromEnv.warnings.join('\n'), /^guard\.always \(BWDC_GUARD_ALWAYS\): does nothing any more/);
});
