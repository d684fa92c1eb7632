// The import gate fails closed (docs/guard-rails.md "The import gate"): when the organization cannot be
// read, nothing is held, and no later request of the same sync is either (bwdc awaits each batch:
// bitwarden/directory-connector v2026.6.1 libs/services/sync.service.ts sync). Only the path made for
// the run, on loopback, with the token bwdc was given, reaches it; it never forwards anything itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ImportGate } from '../src/gate/gate.js';
import { inProcessPlanner } from '../src/gate/planner.js';

const body = JSON.stringify({
  groups: [],
  members: [{ email: 'a@corp.example', externalId: 'a', deleted: true }],
  overwriteExisting: false,
  largeImport: false,
});

test('the organization cannot be read: the import is not forwarded, nor a retry of it', async () => {
  let forwarded = 0;
  const upstream = createServer((_req, res) => {
    forwarded++;
    res.end();
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  const apiUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  const gate = await new ImportGate({
    apiUrl,
    organizationId: 'org',
    lastHash: undefined,
    planner: inProcessPlanner(() => Promise.reject(new Error('GET /public/members answered 500'))),
    isBwdcToken: (t) => Promise.resolve(t === 't'),
  }).start();
  try {
    assert.match(gate.url, /^http:\/\/127\.0\.0\.1:\d+\/gate-[0-9a-f]{32}$/);
    const post = (url: string, headers: Record<string, string> = { authorization: 'Bearer t' }) =>
      fetch(`${url}/public/organization/import`, { method: 'POST', headers, body });
    assert.equal((await post(`http://127.0.0.1:${new URL(gate.url).port}/gate-0`)).status, 404, 'another path');
    assert.equal((await post(gate.url, {})).status, 401, 'no bearer token');
    assert.equal(
      (await post(gate.url, { authorization: 'Bearer forged' })).status,
      401,
      'not the token bwdc was given',
    );
    const first = await post(gate.url);
    assert.equal(first.status, 503);
    assert.match(((await first.json()) as { message: string }).message, /could not judge.*answered 500/);
    assert.equal((await post(gate.url)).status, 503, 'a retry is refused too');
    assert.equal(forwarded, 0, 'nothing reached the API');
    assert.equal(gate.failure?.message, 'GET /public/members answered 500');
    assert.equal(gate.held.length, 0, 'nothing held to forward');
  } finally {
    await gate.stop();
    upstream.close();
  }
});
