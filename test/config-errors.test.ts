// One problem, one message (docs/configuration.md "Errors"): a bad value is named once, with the
// variable or file:line, what was found and what is expected, and never brings "required" errors about
// settings that are set; every problem of a file is reported in one pass; no validator wording leaks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config/load.js';
import { ConfigError } from '../src/errors.js';
import { CLIENT_ID } from './helpers/fixture.js';

const root = join(import.meta.dirname, '..');

function problems(env: Record<string, string>, configPath?: string): string[] {
  try {
    loadConfig(env, { configPath });
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return [...err.issues];
  }
  return [];
}

function folder(): string {
  const d = mkdtempSync(join(tmpdir(), 'bwdc-config-errors-'));
  writeFileSync(join(d, 'client_secret'), 'a-client-secret\n');
  writeFileSync(join(d, 'ldap_password'), 'a-bind-password\n');
  return d;
}

// The issue's set-up: the API key, its secret as a file, the directory secret, an LDAP block.
const envOnly = (d: string): Record<string, string> => ({
  BW_CLIENTID: CLIENT_ID,
  BW_CLIENTSECRET_FILE: join(d, 'client_secret'),
  BWDC_DIRECTORY_SECRET_FILE: join(d, 'ldap_password'),
  BWDC_STATE_DIR: join(d, 'state'),
  BWDC_DIRECTORY_TYPE: 'ldap',
  BWDC_LDAP_HOSTNAME: 'ldap.example.com',
  BWDC_LDAP_PORT: '389',
  BWDC_LDAP_USERNAME: 'cn=bwdc,dc=example,dc=com',
  BWDC_SYNC_USERS: 'true',
});

const rawZod = /Invalid input|Invalid option|Too small|Too big|received|expected (number|string|boolean)\b/;

const cases: Array<[string, string, RegExp]> = [
  ['BWDC_TIMEOUT', 'abc', /^timeout \(BWDC_TIMEOUT\): "abc" is not valid; expected a duration such as 90s, 15m/],
  [
    'BWDC_RETRY_ATTEMPTS',
    'x',
    /^retry\.attempts \(BWDC_RETRY_ATTEMPTS\): "x" is not valid; expected a whole number from 0 to 10, e\.g\. 2$/,
  ],
  [
    'BWDC_GUARD_MAX_REMOVALS',
    'lots',
    /^guard\.maxRemovals \(BWDC_GUARD_MAX_REMOVALS\): "lots" is not valid; expected a count such as 10/,
  ],
  [
    'BWDC_NOTIFY_FORMAT',
    'discord',
    /^notify\[0\]\.format \(BWDC_NOTIFY_FORMAT\): "discord" is not valid; expected json, slack or teams$/,
  ],
  [
    'BWDC_NOTIFY_ON',
    'sometimes',
    /^notify\[0\]\.on\[0\] \(BWDC_NOTIFY_ON\): "sometimes" is not valid; expected failure, recovery or always$/,
  ],
  [
    'BWDC_NOTIFY_AFTER',
    '0',
    /^notify\[0\]\.after \(BWDC_NOTIFY_AFTER\): 0 is not valid; expected a whole number from 1 to 1000, e\.g\. 3$/,
  ],
  ['BWDC_LOGIN', 'bwcd', /^login \(BWDC_LOGIN\): "bwcd" is not valid; expected one of runner, bwdc$/],
  [
    'BWDC_LDAP_PORT',
    'ldaps',
    /^directory\.port \(BWDC_LDAP_PORT\): "ldaps" is not valid; expected a whole number from 1 to 65535, e\.g\. 636$/,
  ],
  ['BWDC_SYNC_USERS', 'yes', /^sync\.users \(BWDC_SYNC_USERS\): "yes" is not valid; expected true or false$/],
  [
    'BWDC_DIRECTORY_TYPE',
    'ad',
    /^directory\.type \(BWDC_DIRECTORY_TYPE\): "ad" is not valid; expected type: ldap, entra, google, okta or onelogin$/,
  ],
];

const good: Record<string, string> = {
  BWDC_TIMEOUT: '15m',
  BWDC_RETRY_ATTEMPTS: '2',
  BWDC_GUARD_MAX_REMOVALS: '5%',
  BWDC_NOTIFY_FORMAT: 'slack',
  BWDC_NOTIFY_ON: 'failure,recovery',
  BWDC_NOTIFY_AFTER: '3',
  BWDC_LOGIN: 'bwdc',
  BWDC_LDAP_PORT: '636',
  BWDC_SYNC_USERS: 'false',
  BWDC_DIRECTORY_TYPE: 'ldap',
};

for (const [name, value, expected] of cases) {
  test(`${name}=${value}: exactly one message, naming the variable, with no "required" errors`, () => {
    const d = folder();
    const env = { ...envOnly(d), [name]: value };
    if (name.startsWith('BWDC_NOTIFY_') && name !== 'BWDC_NOTIFY_URL') env.BWDC_NOTIFY_URL = 'env://HOOK';
    const found = problems(env);
    assert.equal(found.length, 1, found.join('\n'));
    assert.match(found[0]!, expected);
    assert.doesNotMatch(found[0]!, rawZod);
    // The same variables with the value fixed: no problem at all.
    assert.deepEqual(problems({ ...env, [name]: good[name]! }), []);
  });
}

test('BWDC_NOTIFY_FORMAT, _ON or _AFTER without BWDC_NOTIFY_URL: one message, not silence', () => {
  const d = folder();
  for (const [name, value] of [
    ['BWDC_NOTIFY_FORMAT', 'discord'],
    ['BWDC_NOTIFY_FORMAT', 'slack'],
    ['BWDC_NOTIFY_ON', 'sometimes'],
    ['BWDC_NOTIFY_AFTER', '0'],
  ] as const) {
    const found = problems({ ...envOnly(d), [name]: value });
    assert.equal(found.length, 1, `${name}=${value}: ${found.join('\n')}`);
    assert.match(found[0]!, new RegExp(`^notify \\(${name}\\): set without BWDC_NOTIFY_URL`));
    assert.match(found[0]!, /expected BWDC_NOTIFY_URL as well/);
  }
  // Two of them: still one line, naming both.
  const both = problems({ ...envOnly(d), BWDC_NOTIFY_FORMAT: 'slack', BWDC_NOTIFY_ON: 'always' });
  assert.equal(both.length, 1, both.join('\n'));
  assert.match(both[0]!, /^notify \(BWDC_NOTIFY_FORMAT, BWDC_NOTIFY_ON\)/);
});

test('BWDC_TIMEOUT=abc bwdc-runner check: the header and one line, exit 2', () => {
  const d = folder();
  const r = spawnSync(process.execPath, [join(root, 'bin', 'bwdc-runner.js'), 'check'], {
    env: { PATH: process.env.PATH, ...envOnly(d), BWDC_TIMEOUT: 'abc' },
    encoding: 'utf8',
  });
  assert.equal(r.status, 2, r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.deepEqual(lines.slice(0, 1), ['bwdc-runner: invalid configuration:']);
  assert.equal(lines.length, 2, r.stderr);
  assert.match(lines[1]!, /BWDC_TIMEOUT.*"abc".*expected a duration such as 90s, 15m or 1h/);
});

test('a file with a bad name, a typo in a key, no client id and a bad schedule: all four in one pass', () => {
  const d = folder();
  const p = join(d, 'config.yaml');
  writeFileSync(
    p,
    [
      'defaults:',
      `  clientSecret: file://${join(d, 'client_secret')}`,
      'instances:',
      '  - name: "bad name!"',
      '    schedul: "0 * * * *"',
      '    schedule: "61 * * * *"',
      '    directory: { type: okta, orgUrl: "https://x.okta.com" }',
      `    directorySecret: file://${join(d, 'ldap_password')}`,
      '',
    ].join('\n'),
  );
  const found = problems({ BWDC_STATE_DIR: join(d, 'state') }, p);
  assert.equal(found.length, 4, found.join('\n'));
  assert.match(
    found.join('\n'),
    new RegExp(`instances\\[0\\]\\.name \\(${p}:4\\): "bad name!" is not a valid instance name; expected lowercase`),
  );
  assert.match(found.join('\n'), /instances\[0\]\.schedul \(.*:5\): unknown key "schedul"; did you mean "schedule"\?/);
  assert.match(found.join('\n'), /instances\[0\]\.clientId \(BW_CLIENTID or clientId\): required/);
  assert.match(found.join('\n'), /instances\[0\]\.schedule \(.*:6\): "61 \* \* \* \*" is not a valid cron expression/);
  for (const f of found) assert.doesNotMatch(f, rawZod);
});

test('a bad value in the file names file:line, what was found and what is expected; the rest is still checked', () => {
  const d = folder();
  const p = join(d, 'config.yaml');
  writeFileSync(
    p,
    [
      `concurrency: lots`,
      'defaults:',
      `  clientId: ${CLIENT_ID}`,
      `  clientSecret: file://${join(d, 'client_secret')}`,
      '  retry: { attempts: 99 }',
      'instances:',
      '  - name: a',
      '    directory: { type: okta, orgUrl: "https://x.okta.com" }',
      `    directorySecret: file://${join(d, 'ldap_password')}`,
      '    login: bwcd',
      '',
    ].join('\n'),
  );
  const found = problems({ BWDC_STATE_DIR: join(d, 'state') }, p);
  assert.deepEqual(found, [
    `concurrency (${p}:1): "lots" is not valid; expected a whole number from 1 to 1000, e.g. 1`,
    `defaults.retry.attempts (${p}:5): 99 is not valid; expected a whole number from 0 to 10, e.g. 2`,
    `instances[0].login (${p}:10): "bwcd" is not valid; expected one of runner, bwdc`,
  ]);
});

test('a secret is never quoted in a message, even when its type is wrong', () => {
  const d = folder();
  const p = join(d, 'config.yaml');
  writeFileSync(
    p,
    `defaults:\n  clientId: ${CLIENT_ID}\n  clientSecret: 123456789\ninstances:\n  - name: a\n    directory: { type: okta, orgUrl: "https://x.okta.com" }\n    directorySecret: env://X\n`,
  );
  const found = problems({ BWDC_STATE_DIR: join(d, 'state') }, p);
  assert.equal(found.length, 1, found.join('\n'));
  assert.match(found[0]!, /^defaults\.clientSecret \(.*:3\): the value is not valid; expected/);
  assert.doesNotMatch(found[0]!, /123456789/);
});

test('a state folder on a pseudo-filesystem is refused at once', () => {
  for (const stateDir of ['/proc/nope', '/sys/fs/x', '/dev/shm-not/here']) {
    const d = folder();
    const found = problems({ ...envOnly(d), BWDC_STATE_DIR: stateDir });
    assert.equal(found.length, 1, found.join('\n'));
    assert.match(found[0]!, /^BWDC_STATE_DIR: ".*" is on a pseudo-filesystem/);
  }
});

test('a name used twice is reported in the same pass as the other problems of those instances', () => {
  const d = folder();
  const p = join(d, 'config.yaml');
  writeFileSync(
    p,
    ['instances:', '  - name: a', '    timeout: soon', '  - name: a', '    timeout: later', ''].join('\n'),
  );
  const found = problems({ BWDC_STATE_DIR: join(d, 'state') }, p);
  assert.match(
    found.join('\n'),
    /instances\[1\] \(.*:4\): duplicate instance name "a" \(also defined at instances\[0\]/,
  );
  assert.match(found.join('\n'), /instances\[0\]\.timeout \(.*:3\): "soon" is not valid/);
  assert.match(found.join('\n'), /instances\[1\]\.timeout \(.*:5\): "later" is not valid/);
});

test('a key named like a built-in property of objects (valueOf, constructor) is an unknown key, not a crash', () => {
  const d = folder();
  const p = join(d, 'config.yaml');
  writeFileSync(p, ['defaults:', '  valueOf: false', '  constructor: 1', 'instances: []', ''].join('\n'));
  const found = problems({ BWDC_STATE_DIR: join(d, 'state') }, p);
  assert.match(found.join('\n'), /defaults\.valueOf \(.*:2\): unknown key "valueOf"/);
  assert.match(found.join('\n'), /defaults\.constructor \(.*:3\): unknown key "constructor"/);
});
