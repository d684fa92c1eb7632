// The bwdc layer on its own: process-group timeouts, bounded capture, --response parsing and the
// failure classes of the table in docs/upstream/bwdc.md "Output and exit codes".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execBwdc } from '../src/bwdc/exec.js';
import { classifyFailure, failureHint } from '../src/bwdc/classify.js';
import { parseResponse, parseSyncCounts, parseTestReport } from '../src/bwdc/response.js';
import { childBaseEnv } from '../src/bwdc/client.js';
import { BwdcUnusableError } from '../src/errors.js';
import { pidAlive, waitFor } from './helpers/fixture.js';

test('a timeout stops the whole process group: the child and the grandchild it spawned', async () => {
  const started = Date.now();
  const r = await execBwdc({
    path: '/bin/sh',
    args: ['-c', 'sleep 1000 & echo $! ; trap "" TERM; while :; do sleep 0.1; done'],
    env: { PATH: process.env.PATH! },
    timeoutMs: 300,
    killGraceMs: 300,
  });
  assert.equal(r.timedOut, true);
  assert.equal(r.signal, 'SIGKILL', 'TERM was ignored, so KILL followed after the grace');
  assert.ok(Date.now() - started < 3000);
  const grandchild = Number(r.stdout.trim());
  await waitFor(() => !pidAlive(grandchild), 2000);
});

test('an abort signal stops the child like a timeout does', async () => {
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 100);
  const r = await execBwdc({
    path: '/bin/sleep',
    args: ['30'],
    env: {},
    timeoutMs: 60_000,
    killGraceMs: 1000,
    signal: ac.signal,
  });
  assert.equal(r.aborted, true);
  assert.equal(r.timedOut, false);
  assert.equal(r.signal, 'SIGTERM');
});

/** A child printing 5 MB between START and END, its head and tail captured 1 KB each. */
const bigOutput = (extra: Partial<Parameters<typeof execBwdc>[0]> = {}) =>
  execBwdc({
    path: process.execPath,
    args: ['-e', 'process.stdout.write("START" + "x".repeat(5e6) + "END")'],
    env: {},
    timeoutMs: 10_000,
    killGraceMs: 1000,
    captureBytes: 1024,
    ...extra,
  });

test('output is captured head and tail, bounded, whatever the child prints', async () => {
  const r = await bigOutput();
  assert.ok(r.stdout.startsWith('START'));
  assert.ok(r.stdout.endsWith('END'));
  assert.ok(r.stdout.length < 3000);
  assert.ok(r.droppedBytes > 4_000_000);
});

test('stdoutFile keeps the whole output (for bwdc test); beyond its bound the child is stopped as a flood', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bwdc-runner-'));
  const whole = join(dir, 'out');
  const r = await bigOutput({ stdoutFile: { path: whole, maxBytes: 10e6 } });
  assert.equal(r.stdoutFlooded, false);
  assert.equal(readFileSync(whole, 'utf8').length, 5e6 + 8);
  assert.ok(r.stdout.length < 3000, 'the capture stays bounded');
  const flood = await execBwdc({
    path: process.execPath,
    args: ['-e', 'setInterval(() => process.stdout.write("x".repeat(1e6)), 1)'],
    env: {},
    timeoutMs: 10_000,
    killGraceMs: 1000,
    stdoutFile: { path: join(dir, 'flood'), maxBytes: 2e6 },
  });
  assert.equal(flood.stdoutFlooded, true);
  assert.equal(flood.timedOut, false, 'stopped at the bound, not by the timeout');
});

test('a missing or non-executable bwdc is a BwdcUnusableError', async () => {
  await assert.rejects(
    execBwdc({ path: '/nonexistent/bwdc', args: [], env: {}, timeoutMs: 1000, killGraceMs: 100 }),
    BwdcUnusableError,
  );
  const notExec = join(mkdtempSync(join(tmpdir(), 'bwdc-runner-')), 'bwdc');
  writeFileSync(notExec, '#!/bin/sh\n', { mode: 0o644 });
  await assert.rejects(
    execBwdc({ path: notExec, args: [], env: {}, timeoutMs: 1000, killGraceMs: 100 }),
    /not executable/,
  );
});

test('--response output parses, with or without debug lines before it', () => {
  const ok =
    '{"success":true,"data":{"object":"message","title":"Syncing complete.","message":"Synced 2 group(s) and 3 user(s).","noColor":false}}';
  assert.deepEqual(parseSyncCounts(parseResponse(ok)?.message), { groups: 2, users: 3 });
  assert.equal(parseResponse(`debug: x\n{"not":"it"}\n${ok}\n`)?.success, true);
  assert.equal(
    parseResponse('{"success":false,"message":"You are not logged in."}')?.message,
    'You are not logged in.',
  );
  assert.equal(parseResponse('TypeError: boom\n  at x'), undefined);
  assert.equal(parseResponse(''), undefined);
  const report = parseTestReport({
    object: 'test',
    groups: [1, 2],
    enabledUsers: [1],
    disabledUsers: [],
    deletedUsers: [],
  });
  assert.equal(report?.groups.length, 2);
});

const cases: Array<[string, string, string, ReturnType<typeof classifyFailure>]> = [
  ['wrong secret', '{"response":{"error":"invalid_client"},"captchaRequired":false,"statusCode":400}', '', 'auth'],
  ['401/403 crash', '', "TypeError: Cannot read properties of null (reading 'message')\n    at x", 'auth'],
  ['logged out', 'You are not logged in.', '', 'auth'],
  ['no client id', 'Client ID is required.', '', 'auth'],
  ['v2026.4 org bug', 'Organization not set.', '', 'auth'],
  [
    'identity unreachable',
    'request to https://identity.bitwarden.com/connect/token failed, reason: connect ECONNREFUSED 127.0.0.1:443',
    '',
    'network',
  ],
  [
    'api unreachable',
    'request to https://api.bitwarden.com/public/organization/import failed, reason: getaddrinfo ENOTFOUND api.bitwarden.com',
    '',
    'network',
  ],
  ['server error', '{"response":{"message":"An error has occurred."},"statusCode":500}', '', 'server'],
  ['ldap down', 'connect ECONNREFUSED 10.0.0.5:389', '', 'directory'],
  ['ldap bind', ' Code: 0x31', '', 'directory'],
  ['unknown setting', 'Unknown setting.', '', 'config'],
  ['bad directory type', 'Invalid directory type value.', '', 'config'],
  ['locked', 'ELOCKED: Lock file is already being held', '', 'config'],
  ['no plaintext', 'Cannot autolaunch D-Bus without X11 $DISPLAY', '', 'config'],
  ['something else', 'An error has occurred.', '', 'internal'],
  // Passing network trouble, whichever side: retried (network).
  ['ldap dns try again', 'getaddrinfo EAI_AGAIN ldap.corp.example', '', 'network'],
  ['ldap connect timeout', 'connect ETIMEDOUT 10.0.0.5:636', '', 'network'],
  ['ldap reset', 'read ECONNRESET', '', 'network'],
  [
    'api dns try again',
    'request to https://api.bitwarden.com/public/organization/import failed, reason: getaddrinfo EAI_AGAIN api.bitwarden.com',
    '',
    'network',
  ],
  [
    'api reset',
    'request to https://vault.example.com/identity/connect/token failed, reason: socket hang up',
    '',
    'network',
  ],
  ['ldap host unknown', 'getaddrinfo ENOTFOUND ldap.typo.example', '', 'directory'],
  // A certificate the machine does not trust, or that names another host: a setting (config), not retried.
  [
    'self-signed server',
    'request to https://vault.example.com/identity/connect/token failed, reason: self-signed certificate',
    '',
    'config',
  ],
  [
    'private CA server',
    'request to https://vault.example.com/api/public/organization/import failed, reason: unable to verify the first certificate',
    '',
    'config',
  ],
  ['ldaps private CA', 'unable to get local issuer certificate', '', 'config'],
  ['ldaps self-signed chain', 'self-signed certificate in certificate chain', '', 'config'],
  [
    'wrong host',
    "request to https://10.0.0.9/identity/connect/token failed, reason: Hostname/IP does not match certificate's altnames: IP: 10.0.0.9 is not in the cert's list: ",
    '',
    'config',
  ],
  ['expired', 'certificate has expired', '', 'config'],
];
for (const [name, message, stderr, cls] of cases) {
  test(`classify: ${name} -> ${cls}`, () => {
    assert.equal(classifyFailure({ message, stderr, timedOut: false, signal: null }), cls);
  });
}

test('a TLS failure says which setting fixes it; other failures get no hint', () => {
  assert.match(
    failureHint({
      message: 'request to https://x/identity/connect/token failed, reason: self-signed certificate',
      stderr: '',
    })!,
    /NODE_EXTRA_CA_CERTS.*caBundle/,
  );
  assert.match(failureHint({ message: 'unable to get local issuer certificate', stderr: '' })!, /NODE_EXTRA_CA_CERTS/);
  assert.match(
    failureHint({ message: "Hostname/IP does not match certificate's altnames", stderr: '' })!,
    /host name it was issued for/,
  );
  assert.equal(failureHint({ message: ' Code: 0x31', stderr: '' }), undefined);
});

test('classify: a timeout wins over whatever was printed', () => {
  assert.equal(
    classifyFailure({ message: 'Unknown setting.', stderr: '', timedOut: true, signal: 'SIGTERM' }),
    'timeout',
  );
});

test("the child's environment is an allowlist plus bwdc's own variables", () => {
  const env = childBaseEnv(
    {
      PATH: '/bin',
      VAULT_TOKEN: 'hvs.x',
      AWS_SECRET_ACCESS_KEY: 'k',
      HTTPS_PROXY: 'http://p:3128',
      BW_CLIENTSECRET: 's',
      EXTRA_ONE: '1',
      EXTRA_TWO: '2',
      OTHER: 'o',
    },
    '/state/i',
    ['EXTRA_*'],
  );
  assert.deepEqual(Object.keys(env).sort(), [
    'BITWARDENCLI_CONNECTOR_APPDATA_DIR',
    'BITWARDENCLI_CONNECTOR_PLAINTEXT_SECRETS',
    'BW_NOINTERACTION',
    'BW_RESPONSE',
    'EXTRA_ONE',
    'EXTRA_TWO',
    'HOME',
    'HTTPS_PROXY',
    'NODE_USE_ENV_PROXY',
    'PATH',
  ]);
  assert.equal(env.BITWARDENCLI_CONNECTOR_PLAINTEXT_SECRETS, 'true');
  assert.equal(env.NODE_USE_ENV_PROXY, '1', 'a proxy is configured: bwdc 2026.6+ needs this to use it');
});
