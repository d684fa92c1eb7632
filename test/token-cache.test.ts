// The organization token cache against the Bitwarden test server (test/bitwarden-server, real HTTP):
// one request's outcome, success or failure, is shared by everyone waiting on it, and each waiter
// waits within its own bound (docs/scheduler.md "Failure paths").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TokenCache } from '../src/bitwarden/token-cache.js';
import { BitwardenError } from '../src/bitwarden/request-error.js';
import { BitwardenTestServer } from './bitwarden-server/server.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { redactor } from '../src/observability/redact.js';
import { obtainToken } from '../src/runner/steps/token.js';
import type { RunContext } from '../src/runner/types.js';
import { InstanceState } from '../src/state/instance-state.js';

const server = await new BitwardenTestServer().start();
const clientId = 'organization.0b6c7e0e-1111-4a4a-9c9c-000000000001';
server.addClient(clientId, 'the-right-secret');

const ask = (cache: TokenCache, url: string, clientSecret: string, timeoutMs = 10_000, signal?: AbortSignal) =>
  cache.get({
    identityUrl: `${url}/identity`,
    clientId,
    clientSecret,
    deviceIdentifier: 'dev',
    clientVersion: 'test',
    timeoutMs,
    signal,
  });

test('50 instances on one refused key make one identity request, and all 50 fail with class auth', async () => {
  const cache = new TokenCache();
  const before = server.tokenRequests.length;
  const outcomes = await Promise.allSettled(
    Array.from({ length: 50 }, () => ask(cache, server.url, 'a-refused-secret')),
  );
  assert.equal(server.tokenRequests.length - before, 1);
  assert.equal(cache.requests, 1);
  for (const o of outcomes) {
    assert.equal(o.status, 'rejected');
    assert.ok(o.reason instanceof BitwardenError);
    assert.equal(o.reason.failureClass, 'auth');
  }
  // The failure is not kept: the next run asks again (the key may have been fixed meanwhile).
  await assert.rejects(ask(cache, server.url, 'a-refused-secret'));
  assert.equal(server.tokenRequests.length - before, 2);
});

test('a success is shared too: 20 waiters, one request, one token', async () => {
  const cache = new TokenCache();
  const before = server.tokenRequests.length;
  const tokens = await Promise.all(Array.from({ length: 20 }, () => ask(cache, server.url, 'the-right-secret')));
  assert.equal(server.tokenRequests.length - before, 1);
  assert.equal(new Set(tokens.map((t) => t.accessToken)).size, 1);
});

test('identity hanging: each waiter fails within its own timeout, not after the first asker', async () => {
  const hanging = await new BitwardenTestServer().start();
  hanging.delayMs = 60_000;
  const cache = new TokenCache();
  const stop = new AbortController();
  let firstSettled = false;
  const first = ask(cache, hanging.url, 's3cret-value', 30_000, stop.signal).finally(() => (firstSettled = true));
  first.catch(() => undefined);
  const later = await ask(cache, hanging.url, 's3cret-value', 200).then(
    () => assert.fail('no token can come from a hanging server'),
    (err: unknown) => err,
  );
  assert.ok(later instanceof BitwardenError);
  assert.equal(later.failureClass, 'network');
  assert.match(later.message, /timed out/);
  assert.equal(firstSettled, false, 'the later, shorter waiter gave up while the first still waits');
  assert.equal(cache.requests, 1, 'the later waiter shared the request in flight');
  // The first asker's own signal (a shutdown) ends its wait too, and the abandoned request with it.
  stop.abort();
  await assert.rejects(first, /aborted/);
  await hanging.stop();
});

test('a request abandoned by its last waiter is not joined by the next asker: it gets a request of its own', async () => {
  let calls = 0;
  // The first request ends a while after it is abandoned (a socket being torn down); the next one answers.
  const cache = new TokenCache(async (req) => {
    calls++;
    if (calls > 1) return { accessToken: 'eyJ.fresh-token.sig', expiresAt: Date.now() + 3_600_000 };
    return new Promise((_resolve, reject) =>
      req.signal!.addEventListener('abort', () =>
        setTimeout(() => reject(new BitwardenError('aborted', 'network')), 200),
      ),
    );
  });
  await assert.rejects(ask(cache, 'http://identity.invalid', 's3cret-value', 50), /timed out/);
  const token = await ask(cache, 'http://identity.invalid', 's3cret-value', 10_000);
  assert.equal(token.accessToken, 'eyJ.fresh-token.sig');
  assert.equal(calls, 2);
});

test('a token that expired by our clock (a server clock behind ours) stays masked while the run that got it uses it', async () => {
  const root = mkdtempSync(join(tmpdir(), 'token-step-'));
  const state = await InstanceState.open(root, 'skewed');
  await state.writeDataJson({ environmentUrls: { base: 'https://vault.example.test' } });
  const canary = 'eyJ.canary-skewed-token-4e1d.sig';
  // The JWT's exp, read by our clock: ten minutes ago. The run still gets it and hands it to bwdc.
  const tokens = new TokenCache(async () => ({ accessToken: canary, expiresAt: Date.now() - 600_000 }));
  const run = {
    instance: { name: 'skewed', clientId, timeoutMs: 15 * 60_000 },
    deps: { tokens, config: { bwdcPath: '/nonexistent/bwdc' }, env: {} },
  } as unknown as RunContext;
  const got = await obtainToken(run, state, 'the-right-secret');
  assert.equal(got.accessToken, canary);
  assert.equal(redactor.scrub(`bwdc: ${canary}`), 'bwdc: [REDACTED]');
});
