// The Public API read before a guarded sync (docs/scheduler.md "Failure paths"): an address that is not
// the Public API (404) is a wrong server URL, class config like the identity request's, not a refused token.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PublicApi } from '../src/bitwarden/public-api.js';
import { BitwardenError } from '../src/bitwarden/request-error.js';
import { BitwardenTestServer } from './bitwarden-server/server.js';

test('a Public API URL that answers 404 fails as config (a wrong environmentUrls.api), not auth', async () => {
  const server = await new BitwardenTestServer().start();
  try {
    const api = new PublicApi({ apiUrl: `${server.url}/not-the-api`, accessToken: 'eyJ.x.y', retries: 0 });
    const err = await api.organization().then(
      () => assert.fail('no organization from a wrong URL'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof BitwardenError);
    assert.match(err.message, /HTTP 404/);
    assert.equal(err.failureClass, 'config');
  } finally {
    await server.stop();
  }
});

test('a 404 is not retried: one request per address, however many retries are allowed', async () => {
  const server = await new BitwardenTestServer().start();
  try {
    const api = new PublicApi({
      apiUrl: `${server.url}/not-the-api`,
      accessToken: 'eyJ.x.y',
      retries: 2,
      backoffMs: 1,
    });
    await assert.rejects(api.organization(), /HTTP 404/);
    // organization() reads members, groups and the subscription at once: each answered 404 once, none retried.
    assert.equal(api.requests, 3);
  } finally {
    await server.stop();
  }
});
