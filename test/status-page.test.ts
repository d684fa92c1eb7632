// The status page `schedule` serves at / (docs/operations.md "The status page"), in a real browser:
// Debian's chromium, headless (scripts/ci/install-chromium.sh), renders it with a paused instance, a
// failing one and one that synced; what the browser built from it is checked (states, the pause's
// reason escaped, the changes, no secret), and a screenshot is kept in .cache/test-artifacts/.
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { randomUUID } from 'node:crypto';
import {
  assertNoCanary,
  CANARY_CLIENT_SECRET,
  makeFixture,
  root,
  runCli,
  startCli,
  waitFor,
  type CliRun,
} from './helpers/fixture.js';

const run = promisify(execFile);
const chromium = '/usr/bin/chromium';

function chromiumSkip(): string | false {
  try {
    statSync(chromium);
    return false;
  } catch {
    if (process.env.CI === 'true')
      throw new Error('chromium is missing and CI=true: run scripts/ci/install-chromium.sh');
    console.warn('!!! status page browser test skipped: no /usr/bin/chromium (scripts/ci/install-chromium.sh)');
    return 'no chromium (scripts/ci/install-chromium.sh)';
  }
}

/** Headless chromium with a fresh profile and nothing that phones home. */
async function browse(args: string[]): Promise<string> {
  const profile = mkdtempSync(join(tmpdir(), 'chromium-'));
  try {
    const { stdout } = await run(
      chromium,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        `--user-data-dir=${profile}`,
        ...args,
      ],
      { timeout: 60_000, maxBuffer: 16 * 1024 * 1024 },
    );
    return stdout;
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

const live: CliRun[] = [];
afterEach(() => {
  for (const r of live.splice(0)) r.kill('SIGKILL');
});

test(
  'the status page in headless Chromium: a paused, a failing and a synced instance; escaped; no secret; screenshot kept',
  { skip: chromiumSkip() },
  async () => {
    const fx = makeFixture();
    const badClient = `organization.${randomUUID()}`; // unknown to the server: its runs fail, class auth
    const cfg = fx.writeConfig([
      { name: 'synced', schedule: '0 0 1 1 *' },
      { name: 'failing', schedule: '0 0 1 1 *', clientId: badClient, retry: { attempts: 0 } },
      { name: 'held', schedule: '0 0 1 1 *' },
    ]);
    const env = fx.fileEnv({ BWDC_HTTP_PORT: '0', BWDC_HTTP_HOST: '127.0.0.1', BWDC_RUN_ON_START: 'true' });
    const reason = '<script>alert("x")</script> & AD migration';
    assert.equal((await runCli(['pause', 'held', '--reason', reason, '-c', cfg], { ...env, USER: 'dana' })).code, 0);
    const sched = startCli(['schedule', '--config', cfg], env);
    live.push(sched);
    await waitFor(() => sched.logs().some((l) => l.port !== undefined), 60_000);
    const port = sched.logs().find((l) => l.port !== undefined)!.port as number;
    await waitFor(
      () => ['synced', 'failing', 'held'].every((n) => sched.logs().some((l) => l.instance === n && l.outcome)),
      60_000,
    );
    const url = `http://127.0.0.1:${port}/`;

    const dom = await browse(['--dump-dom', url]);
    assert.match(dom, /<title>bwdc-runner on /);
    const section = (name: string) =>
      dom.slice(dom.indexOf(`id="i-${name}"`), dom.indexOf('</section>', dom.indexOf(`id="i-${name}"`)));
    assert.match(section('held'), /class="state warn">paused</);
    assert.match(section('held'), /by dana@/);
    assert.match(section('held'), /<dt>next run<\/dt><dd>none while paused/, 'a paused instance has no next run');
    assert.match(section('synced'), /<dt>next run<\/dt><dd>\d{4}-\d\d-\d\dT/, 'a running one has');
    assert.ok(section('held').includes('&lt;script&gt;alert("x")&lt;/script&gt; &amp; AD migration'), section('held'));
    assert.ok(!/<script/i.test(dom), 'the reason stayed text: no script element');
    assert.match(section('failing'), /class="state bad">failing</);
    assert.match(section('failing'), /failure \(auth\)/);
    assert.match(section('synced'), /class="state ok">idle</);
    assert.match(section('synced'), /success/);
    assert.match(dom, /<meta http-equiv="refresh" content="30">/);
    assertNoCanary('status page', dom);
    assert.ok(!dom.includes(CANARY_CLIENT_SECRET));

    const artifacts = join(root, '.cache', 'test-artifacts');
    mkdirSync(artifacts, { recursive: true });
    const shot = join(artifacts, 'status-page.png');
    rmSync(shot, { force: true });
    await browse([`--screenshot=${shot}`, '--window-size=1280,1400', url]);
    const png = readFileSync(shot);
    assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG');
    assert.ok(png.length > 10_000, `a rendered page, not a blank one (${png.length} bytes)`);
  },
);
