// A forward proxy (the npm `proxy` package, a real CONNECT proxy) between bwdc and the Bitwarden
// identity endpoint: the runner gives bwdc NODE_USE_ENV_PROXY=1 with the proxy variables, which is
// the only way bwdc 2026.6+ (Node's fetch) uses a proxy; the double honours a proxy under the same
// condition only.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createProxy, type ProxyServer } from 'proxy';
import { CANARY_CLIENT_SECRET, CLIENT_ID, doublePath, makeFixture, runCli } from './helpers/fixture.js';

let identity: Server;
let proxy: ProxyServer;
const tokenRequests: Array<{ url: string; body: string; headers: Record<string, unknown> }> = [];
const tunnels: string[] = [];
const portOf = (s: Server) => (s.address() as AddressInfo).port;

before(async () => {
  identity = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      tokenRequests.push({ url: req.url!, body, headers: req.headers });
      const ok = new URLSearchParams(body).get('client_secret') === CANARY_CLIENT_SECRET;
      res.writeHead(ok ? 200 : 400, { 'content-type': 'application/json' });
      const exp = Math.floor(Date.now() / 1000) + 3600;
      const jwt = `eyJhbGciOiJub25lIn0.${Buffer.from(JSON.stringify({ exp })).toString('base64url')}.sig`;
      res.end(
        JSON.stringify(
          ok ? { access_token: jwt, expires_in: 3600, token_type: 'Bearer' } : { error: 'invalid_client' },
        ),
      );
    });
  });
  await new Promise<void>((r) => identity.listen(0, '127.0.0.1', r));
  proxy = createProxy(createServer());
  proxy.on('connect', (req) => tunnels.push(req.url!));
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
});
after(() => {
  identity.close();
  proxy.close();
});

for (const login of ['runner', 'bwdc'] as const) {
  test(`login: ${login} — with HTTP_PROXY set, the identity request goes through the proxy and bwdc gets NODE_USE_ENV_PROXY=1; NO_PROXY exempts a host`, async () => {
    const fx = makeFixture();
    fx.control({ identityHttp: true });
    const server = `http://127.0.0.1:${portOf(identity)}`;
    const proxyUrl = `http://127.0.0.1:${portOf(proxy)}`;
    const before = { tunnels: tunnels.length, tokens: tokenRequests.length };
    const r = await runCli(['run'], fx.env({ BW_SERVER: server, HTTP_PROXY: proxyUrl, BWDC_LOGIN: login }));
    assert.equal(r.code, 0, r.stdout);
    // The runner's own request (login: runner) or bwdc's (login: bwdc): one tunnel either way.
    for (const c of fx.records()) {
      assert.equal(c.env.NODE_USE_ENV_PROXY, '1', `bwdc ${c.command}`);
      assert.equal(c.env.HTTP_PROXY, proxyUrl);
    }
    assert.deepEqual(
      tunnels.slice(before.tunnels),
      [`127.0.0.1:${portOf(identity)}`],
      'one CONNECT tunnel to the identity server',
    );
    assert.equal(tokenRequests.length, before.tokens + 1);
    const req = tokenRequests.at(-1)!;
    assert.equal(req.url, '/identity/connect/token');
    assert.equal(new URLSearchParams(req.body).get('grant_type'), 'client_credentials');

    const fx2 = makeFixture();
    fx2.control({ identityHttp: true });
    const direct = await runCli(
      ['run'],
      fx2.env({ BW_SERVER: server, HTTP_PROXY: proxyUrl, NO_PROXY: '127.0.0.1', BWDC_LOGIN: login }),
    );
    assert.equal(direct.code, 0, direct.stdout);
    assert.equal(tunnels.length, before.tunnels + 1, 'NO_PROXY: no tunnel');
    assert.equal(tokenRequests.length, before.tokens + 2, 'the request went straight to the server');
  });
}

test('the double, like bwdc 2026.6, ignores the proxy variables without NODE_USE_ENV_PROXY=1', async () => {
  const app = mkdtempSync(join(tmpdir(), 'bwdc-runner-proxy-'));
  writeFileSync(
    join(app, 'data.json'),
    JSON.stringify({ environmentUrls: { base: `http://127.0.0.1:${portOf(identity)}` } }),
  );
  const control = join(app, 'control.json');
  writeFileSync(control, JSON.stringify({ identityHttp: true }));
  const before = { tunnels: tunnels.length, tokens: tokenRequests.length };
  const env = {
    PATH: process.env.PATH!,
    BITWARDENCLI_CONNECTOR_APPDATA_DIR: app,
    BITWARDENCLI_CONNECTOR_PLAINTEXT_SECRETS: 'true',
    BWDC_DOUBLE_CONTROL: control,
    HTTP_PROXY: `http://127.0.0.1:${portOf(proxy)}`,
    BW_CLIENTID: CLIENT_ID,
    BW_CLIENTSECRET: CANARY_CLIENT_SECRET,
  };
  // Asynchronously: the identity server answers from this process's event loop.
  const r = await new Promise<{ status: number | null; out: string }>((resolve) => {
    const c = spawn(doublePath, ['login', '--response'], { env });
    let out = '';
    c.stdout.on('data', (d) => (out += d));
    c.stderr.on('data', (d) => (out += d));
    c.on('close', (status) => resolve({ status, out }));
  });
  assert.equal(r.status, 0, r.out);
  assert.equal(tunnels.length, before.tunnels, 'no tunnel without NODE_USE_ENV_PROXY');
  assert.equal(tokenRequests.length, before.tokens + 1);
});
