// The Public API reads of the plan and the gate (bitwarden/public-api.ts): the groups' member ids a few
// at a time, a 429's Retry-After obeyed instead of the backoff, and a run's token with life enough for the
// whole run (token-cache.ts), docs/guard-rails.md "Cost" and "Tokens".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PublicApi, retryAfterMs } from '../src/bitwarden/public-api.js';
import { TokenCache, tokenLifeNeededMs } from '../src/bitwarden/token-cache.js';

test('member ids are read 8 groups at a time; a 429 is retried after its Retry-After, not the backoff', async () => {
  let inFlight = 0;
  let most = 0;
  let throttled = 0;
  const server = createServer((req, res) => {
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    if (req.url === '/public/members') {
      if (throttled++ === 0) return json(429, { message: 'Too many requests' }, { 'retry-after': '0' });
      return json(200, {
        data: [{ id: 'm1', userId: null, email: 'a@x.example', status: 0, type: 2, externalId: 'a' }],
      });
    }
    if (req.url === '/public/groups')
      return json(200, {
        data: Array.from({ length: 30 }, (_, i) => ({ id: `g${i}`, name: `G${i}`, externalId: `e${i}` })),
      });
    if (req.url === '/public/organization/subscription')
      return json(200, { passwordManager: { seats: 5, maxAutoScaleSeats: null } });
    inFlight++;
    most = Math.max(most, inFlight);
    setTimeout(() => {
      inFlight--;
      json(200, ['m1']);
    }, 20);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    // A backoff of 10 minutes: the test finishes only because the server's Retry-After: 0 is obeyed.
    const api = new PublicApi({
      apiUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      accessToken: 't',
      backoffMs: 600_000,
    });
    const org = await api.organization();
    assert.equal(org.groups.length, 30);
    assert.deepEqual(org.groups[0]!.memberIds, ['m1']);
    assert.equal(org.members[0]!.userId, null, 'no account yet: the overwrite refusal depends on it');
    assert.ok(most > 1 && most <= 8, `at most 8 member-id reads at once (saw ${most})`);
    assert.equal(throttled, 2, 'the 429 was retried once');
  } finally {
    server.close();
  }
});

test('Retry-After in seconds or as an HTTP date, capped at two minutes', () => {
  assert.equal(retryAfterMs('3'), 3000);
  assert.equal(retryAfterMs(new Date(10_000 + 5_000).toUTCString(), 10_000), 5000);
  assert.equal(retryAfterMs('86400'), 120_000);
  assert.equal(retryAfterMs(undefined), undefined);
  assert.equal(retryAfterMs('soon'), undefined);
});

test('a cached token without life enough for the run is not handed out: a fresh one is fetched', async () => {
  let issued = 0;
  const cache = new TokenCache(() => {
    issued++;
    // The first token has 20 minutes left, the next a full hour.
    return Promise.resolve({ accessToken: `t${issued}`, expiresAt: Date.now() + (issued === 1 ? 20 : 60) * 60_000 });
  });
  const req = {
    identityUrl: 'i',
    clientId: 'c',
    clientSecret: 's',
    deviceIdentifier: 'd',
    clientVersion: 'v',
    timeoutMs: 1000,
  };
  assert.equal((await cache.get(req)).accessToken, 't1');
  assert.equal((await cache.get(req)).accessToken, 't1', "enough for bwdc's own 5-minute margin");
  // A run whose timeout is 30 minutes needs 35: the 20-minute token is not enough.
  assert.equal((await cache.get(req, tokenLifeNeededMs(30 * 60_000))).accessToken, 't2');
  assert.equal(issued, 2);
});
