// The runner's identity request against a wrong or moved server URL: 307/308 are followed with the
// form (as bwdc's fetch does), other redirects and 404 are a configuration problem (class config),
// never a refused key (auth). The Bitwarden test server (test/bitwarden-server) answers at the end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { requestOrgToken } from '../src/bitwarden/identity.js';
import { BitwardenError } from '../src/bitwarden/request-error.js';
import { BitwardenTestServer } from './bitwarden-server/server.js';
import { makeFixture, runCli } from './helpers/fixture.js';

const bitwarden = await new BitwardenTestServer().start();
const clientId = 'organization.0b6c7e0e-2222-4a4a-9c9c-000000000002';
bitwarden.addClient(clientId, 'moved-server-secret');

/** A server that answers every request with `status` and a Location to `to` (or nothing). */
async function answering(status: number, to?: string): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    req.resume();
    res.writeHead(status, to ? { location: to } : {}).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  server.unref();
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

const ask = (identityUrl: string) =>
  requestOrgToken({
    identityUrl,
    clientId,
    clientSecret: 'moved-server-secret',
    deviceIdentifier: 'dev',
    clientVersion: 'test',
    timeoutMs: 5000,
  });

for (const status of [307, 308]) {
  test(`identity answering ${status}: followed with the form, the token comes from where it points`, async () => {
    const moved = await answering(status, `${bitwarden.url}/identity/connect/token`);
    const before = bitwarden.tokenRequests.length;
    const token = await ask(`${moved.url}/identity`);
    assert.equal(token.accessToken.split('.').length, 3);
    assert.equal(bitwarden.tokenRequests.length - before, 1);
    assert.equal(new Map(bitwarden.tokenRequests.at(-1)!.fields).get('client_id'), clientId, 'the form came along');
    moved.server.close();
  });
}

for (const status of [301, 302, 303, 404]) {
  test(`identity answering ${status}: class config (a wrong server URL), not auth`, async () => {
    const wrong = await answering(status, status === 404 ? undefined : 'https://vault.example.com/');
    const err = await ask(`${wrong.url}/identity`).then(
      () => assert.fail('no token'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof BitwardenError);
    assert.equal(err.failureClass, 'config');
    assert.match(err.message, new RegExp(`HTTP ${status}.*not a Bitwarden identity endpoint; check the server URL`));
    wrong.server.close();
  });
}

test('a run whose server URL is not a Bitwarden server exits 2, class config, bwdc never started', async () => {
  const wrong = await answering(404);
  const fx = makeFixture();
  const r = await runCli(['run'], fx.env({ BW_SERVER: wrong.url, BWDC_RETRY_ATTEMPTS: '2' }));
  assert.equal(r.code, 2, r.stdout);
  const done = r.logs.find((l) => typeof l.msg === 'string' && l.msg.startsWith('run failed'))!;
  assert.equal(done.failureClass, 'config');
  assert.equal(done.attempts, 1);
  assert.equal(fx.records().length, 0);
  wrong.server.close();
});
