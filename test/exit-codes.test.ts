// One mapping from a failure to the exit code (src/errors.ts exitCodeOf, docs/design.md "Commands and exit
// codes"): the same failure exits the same code wherever it is raised. Before, each throw chose its code,
// and a wrong server URL (BitwardenError class config) exited 2 from the token step but 1 from the guard
// step, where a sync's import gate reads the Public API.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { BitwardenError } from '../src/bitwarden/request-error.js';
import {
  BwdcUnusableError,
  ConfigError,
  ExitCode,
  LockedError,
  SecretError,
  exitCodeOf,
  failureClassOf,
  failureClasses,
} from '../src/errors.js';
import { RunFailure, endingOf } from '../src/runner/steps/failure.js';
import { bitwarden, ldapTemplate, makeFixture, runCli } from './helpers/fixture.js';

test('exitCodeOf: config exits 2, secret 3, every other class 1; an unusable bwdc 4, a held lock 75', () => {
  const expected: Record<string, number> = { config: 2, secret: 3 };
  for (const cls of failureClasses) assert.equal(exitCodeOf(cls), expected[cls] ?? 1, cls);
  assert.equal(exitCodeOf(new ConfigError('x')), ExitCode.config);
  assert.equal(exitCodeOf(new SecretError('x')), ExitCode.secret);
  assert.equal(exitCodeOf(new BwdcUnusableError('x')), ExitCode.bwdcUnusable);
  assert.equal(exitCodeOf(new LockedError('x')), ExitCode.locked);
  assert.equal(exitCodeOf(new Error('a bug')), ExitCode.syncFailed);
  assert.equal(exitCodeOf(Object.assign(new Error('disk full'), { code: 'ENOSPC' })), ExitCode.config);
});

test('an error carries its class into the exit code, whichever step raised it', () => {
  for (const cls of ['config', 'auth', 'network', 'server'] as const) {
    const err = new BitwardenError('x', cls);
    assert.equal(failureClassOf(err), cls);
    assert.equal(exitCodeOf(err), exitCodeOf(cls));
    // What a step throws (the token step wraps it, the guard step wraps it) ends the run with the same code.
    const ending = endingOf(new RunFailure(err.message, err.failureClass), { name: 'one' } as never);
    assert.equal(ending.outcome, 'failure');
    assert.equal(ending.outcome === 'failure' && ending.exitCode, exitCodeOf(cls), cls);
  }
});

test('SecretError keeps its cause where Error does (the standard `cause`), and says whether it is transient', () => {
  const cause = new Error('ECONNREFUSED');
  const err = new SecretError('vault://kv/x#y: cannot reach Vault', { transient: true, cause });
  assert.equal(err.cause, cause);
  assert.equal(err.transient, true);
  assert.equal(new SecretError('x').transient, false);
  assert.equal(new SecretError('x').cause, undefined);
  assert.equal('options' in err, false, 'no second place for the cause');
});

test('a wrong server URL exits 2 from the token step and from the guard step alike', async () => {
  // The token step: the identity endpoint is not Bitwarden's.
  const fx = makeFixture();
  writeFileSync(
    fx.templatePath,
    JSON.stringify({ ...ldapTemplate, environmentUrls: { base: bitwarden.url, identity: `${bitwarden.url}/nope` } }),
  );
  const token = await runCli(['run'], fx.env({ BW_SERVER: undefined }));
  assert.equal(token.code, 2, token.stdout + token.stderr);
  const tokenDone = token.logs.find((l) => typeof l.msg === 'string' && l.msg.startsWith('run failed'))!;
  assert.equal(tokenDone.failureClass, 'config');
  assert.match(String(tokenDone.msg), /not a Bitwarden identity endpoint/);

  // The guard step: the token comes, but the Public API the import gate reads is not there.
  const gx = makeFixture();
  gx.control({ apiHttp: true }); // bwdc's sync sends its import over HTTP, through the gate
  writeFileSync(
    gx.templatePath,
    JSON.stringify({ ...ldapTemplate, environmentUrls: { base: bitwarden.url, api: `${bitwarden.url}/not-the-api` } }),
  );
  const guard = await runCli(['run'], gx.env({ BW_SERVER: undefined }));
  const guardDone = guard.logs.find((l) => typeof l.msg === 'string' && l.msg.startsWith('run failed'))!;
  assert.ok(guardDone, guard.stdout + guard.stderr);
  assert.equal(guardDone.failureClass, 'config');
  assert.match(String(guardDone.msg), /not the Bitwarden Public API/);
  assert.equal(guard.code, 2, 'the same class, the same exit code as the token step (was 1)');
});
