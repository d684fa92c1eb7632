// `npm run demo -- <command>` (scripts/demo.mjs): the README's way to try any command against the local
// stand-ins (the bwdc test double and the Bitwarden test server). Each command the README shows runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { root } from './helpers/fixture.js';

function demo(...args: string[]) {
  const state = mkdtempSync(join(tmpdir(), 'bwdc-demo-'));
  const r = spawnSync(process.execPath, [join(root, 'scripts', 'demo.mjs'), ...args], {
    cwd: root,
    env: { PATH: process.env.PATH, BWDC_STATE_DIR: state, LOG_FORMAT: 'json' },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { ...r, state };
}

test('npm run demo -- check: the demo instance is ready (secrets resolved, bwdc found), exit 0', () => {
  const r = demo('check');
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /instance demo/);
  assert.match(r.stdout, /clientSecret: file:\/\/.*client_secret {2}ok/);
  assert.match(r.stdout, /^ok$/m);
});

test('npm run demo -- plan: what the first sync would change in the stand-in organization', () => {
  const r = demo('plan');
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /invite \(3\)/);
});

test('npm run demo -- test --verbose: the dry run logs the users and groups it would sync', () => {
  const r = demo('test', '--verbose');
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /"msg":"test report"/);
  assert.match(r.stdout, /alice@example\.com/);
});

test('npm run demo (run) syncs, and -- config render shows the data.json without any secret set', () => {
  const r = demo();
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /Synced 2 group\(s\) and 3 user\(s\)\./);
  const rendered = demo('config', 'render');
  assert.equal(rendered.status, 0, rendered.stderr);
  assert.equal(
    (JSON.parse(rendered.stdout.slice(0, rendered.stdout.lastIndexOf('}') + 1)) as { directoryType: number })
      .directoryType,
    0,
  );
});

test('npm run demo -- schedule: runs the instance at start, serves its endpoints, stops cleanly on Ctrl-C', async () => {
  const state = mkdtempSync(join(tmpdir(), 'bwdc-demo-'));
  const child = spawn(process.execPath, [join(root, 'scripts', 'demo.mjs'), 'schedule'], {
    cwd: root,
    env: { PATH: process.env.PATH, BWDC_STATE_DIR: state, LOG_FORMAT: 'json', BWDC_HTTP_PORT: '0' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let port: number | undefined;
  for await (const line of createInterface({ input: child.stdout })) {
    const e = line.startsWith('{') ? (JSON.parse(line) as { port?: number; msg?: string }) : {};
    port ??= e.port;
    if (e.msg === 'Synced 2 group(s) and 3 user(s).') break;
  }
  const status = (await (await fetch(`http://127.0.0.1:${port}/status`)).json()) as {
    instances: Array<{ directory: string }>;
  };
  assert.equal(status.instances[0]!.directory, 'demo');
  child.kill('SIGINT');
  assert.equal(await exited, 0);
});
