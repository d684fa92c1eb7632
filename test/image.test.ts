// The container image: the real Dockerfile built with podman (local bases, the bwdc double as the
// bundle), then run as users run it.
import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CANARY_CLIENT_SECRET, CLIENT_ID, ldapTemplate, parseLogs, waitFor, root } from './helpers/fixture.js';
import { baseBuildArgs, buildTestImage, bwdcVersion, defaultBase, podman, podmanAsync } from './helpers/podman.js';

let image: string;
let dir: string;
const started: string[] = [];

// The Bitwarden server the runner in the container logs in at: a process of its own (podman runs
// synchronously here, which would block a server in this process), reached over the host network.
let bitwardenUrl: string;
let bitwardenProc: ChildProcess | undefined;

before(
  async () => {
    bitwardenProc = spawn(
      process.execPath,
      ['--import', 'tsx', join(root, 'test', 'bitwarden-server', 'serve.ts'), `${CLIENT_ID}=${CANARY_CLIENT_SECRET}`],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    bitwardenUrl = await new Promise<string>((resolve) =>
      bitwardenProc!.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim())),
    );
    image = buildTestImage();
    // A folder the container's bwdc user (uid 10001) can read, and a record folder it can write.
    dir = mkdtempSync(join(tmpdir(), 'bwdc-runner-image-'));
    chmodSync(dir, 0o755);
    writeFileSync(join(dir, 'data.json'), JSON.stringify(ldapTemplate));
    writeFileSync(join(dir, 'client_secret'), `${CANARY_CLIENT_SECRET}\n`);
    mkdirSync(join(dir, 'rec'), { mode: 0o777 });
    chmodSync(join(dir, 'rec'), 0o777);
  },
  { timeout: 30 * 60_000 },
);

after(() => {
  bitwardenProc?.kill();
  for (const name of started) podman(['rm', '-f', name]);
});

function control(name: string, c: Record<string, unknown>): string {
  const p = join(dir, `${name}.json`);
  writeFileSync(p, JSON.stringify({ record: `/config/rec/${name}.jsonl`, clientSecret: CANARY_CLIENT_SECRET, ...c }));
  return `/config/${name}.json`;
}

/** One instance from the mounted /config folder, logging in at the Bitwarden test server on the host. */
function instanceArgs(): string[] {
  return [
    '-v',
    `${dir}:/config:ro`,
    '-v',
    `${join(dir, 'rec')}:/config/rec`,
    '-e',
    'BWDC_DATA_JSON=/config/data.json',
    '-e',
    `BW_CLIENTID=${CLIENT_ID}`,
    '-e',
    'BW_CLIENTSECRET_FILE=/config/client_secret',
    '-e',
    'BWDC_PASS_ENV=BWDC_DOUBLE_*',
    '--network=host',
    '-e',
    `BW_SERVER=${bitwardenUrl}`,
  ];
}

function runArgs(extra: string[] = []): string[] {
  return ['run', '--rm', '--health-cmd=none', ...instanceArgs(), '-e', 'BWDC_RETRY_ATTEMPTS=0', ...extra];
}

function records(name: string): Array<{ uid: number; command: string; argv: string[] }> {
  return readFileSync(join(dir, 'rec', `${name}.jsonl`), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
}

test('--version reports the runner and the bundled bwdc (from its VERSION file)', () => {
  const r = podman(['run', '--rm', '--health-cmd=none', image, '--version']);
  assert.equal(r.status, 0, r.stderr);
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  assert.equal(r.stdout, `bwdc-runner ${pkg.version}\nbwdc ${bwdcVersion}\n`);
});

test('check passes with a mounted configuration', () => {
  const r = podman([...runArgs(), image, 'check']);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /bwdc: \/opt\/bwdc\/bwdc \(version 2026\.6\.1\)/);
  assert.match(r.stdout, /clientSecret: file:\/\/\/config\/client_secret {2}ok/);
});

test('run syncs with the client secret from a mounted file (exit 0), as the bwdc user, with --read-only', () => {
  const ctl = control('ok', {});
  const r = podman([...runArgs(['--read-only', '-e', `BWDC_DOUBLE_CONTROL=${ctl}`]), image, 'run']);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const done = parseLogs(r.stdout).find((l) => l.outcome);
  assert.equal(done?.outcome, 'success');
  const recs = records('ok');
  assert.deepEqual(
    recs.map((c) => c.command),
    ['sync'],
    'one bwdc start: the runner logged in itself (undici in the image)',
  );
  for (const c of recs) assert.equal(c.uid, 10001, 'bwdc runs as the image user, not root');
  assert.ok(!r.stdout.includes(CANARY_CLIENT_SECRET) && !r.stderr.includes(CANARY_CLIENT_SECRET));
});

test('run exits 1 when bwdc fails', () => {
  const ctl = control('fail', { faults: { sync: 'error' } });
  const r = podman([...runArgs(['-e', `BWDC_DOUBLE_CONTROL=${ctl}`]), image, 'run']);
  assert.equal(r.status, 1, r.stdout + r.stderr);
});

test('the default user is the fixed non-root bwdc uid', () => {
  const r = podman(['run', '--rm', '--health-cmd=none', '--entrypoint', 'id', image]);
  assert.match(r.stdout, /^uid=10001\(bwdc\) gid=10001\(bwdc\)/);
});

test("Bitwarden's SDK (bws://) is in the image and its native module loads there", () => {
  const script = [
    "const sdk = require('/app/node_modules/@bitwarden/sdk-napi-linux-x64-gnu');",
    "const c = new sdk.BitwardenClient(JSON.stringify({ apiUrl: 'http://127.0.0.1:9/api', identityUrl: 'http://127.0.0.1:9/identity' }), 4);",
    "process.stdout.write(typeof c.runCommand + ' ' + require('/app/node_modules/@bitwarden/sdk-napi-linux-x64-gnu/package.json').version);",
  ].join(' ');
  const r = podman(['run', '--rm', '--health-cmd=none', '--read-only', '--entrypoint', 'node', image, '-e', script]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^function \d+\.\d+\.\d+$/);
});

test('--read-only with a tmpfs as the state folder works', () => {
  const ctl = control('tmpfs', {});
  const r = podman([
    ...runArgs(['--read-only', '--tmpfs', '/var/lib/bwdc-runner:rw,U', '-e', `BWDC_DOUBLE_CONTROL=${ctl}`]),
    image,
    'run',
  ]);
  assert.equal(r.status, 0, r.stdout + r.stderr);
});

test('a read-only state folder: exit 2 with a message that says so, nothing else broken', () => {
  const ro = join(dir, 'ro-state');
  mkdirSync(ro, { mode: 0o777 });
  const r = podman([
    ...runArgs(['-v', `${ro}:/var/lib/bwdc-runner:ro`, '-e', `BWDC_DOUBLE_CONTROL=${control('ro', {})}`]),
    image,
    'run',
  ]);
  assert.equal(r.status, 2, r.stdout + r.stderr);
  const done = parseLogs(r.stdout).find((l) => l.outcome)!;
  assert.equal(done.failureClass, 'config');
  assert.match(String(done.msg), /state folder \/var\/lib\/bwdc-runner\/default is not usable: EROFS/);
});

test('the disk full while writing state: the run fails clearly, data.json is left as it was, the next run works', () => {
  const ctl = control('full', {});
  // One container, a 256 KiB tmpfs as the state folder: sync, fill the disk, sync (fails), free it, sync.
  const script = [
    'node /app/bin/bwdc-runner.js run >/dev/null; echo first=$?',
    'sha256sum /var/lib/bwdc-runner/default/data.json | cut -c1-64 > /tmp/before',
    'dd if=/dev/zero of=/var/lib/bwdc-runner/fill bs=4k 2>/dev/null; true',
    'node /app/bin/bwdc-runner.js run > /tmp/second.log; echo second=$?',
    'grep -o \'"msg":"[^"]*"\' /tmp/second.log | tail -2',
    'sha256sum /var/lib/bwdc-runner/default/data.json | cut -c1-64 | cmp -s - /tmp/before && echo data.json=intact',
    'rm /var/lib/bwdc-runner/fill; node /app/bin/bwdc-runner.js run >/dev/null; echo third=$?',
  ].join('; ');
  const r = podman([
    ...runArgs([
      '--tmpfs',
      '/var/lib/bwdc-runner:rw,size=256k,U',
      '-e',
      `BWDC_DOUBLE_CONTROL=${ctl}`,
      '--entrypoint',
      'sh',
    ]),
    image,
    '-c',
    script,
  ]);
  assert.match(r.stdout, /first=0/, r.stdout + r.stderr);
  assert.match(r.stdout, /second=1/, r.stdout);
  assert.match(r.stdout, /ENOSPC/, r.stdout);
  assert.match(r.stdout, /data\.json=intact/, r.stdout);
  assert.match(r.stdout, /third=0/, r.stdout);
});

test('schedule (the default command) stops cleanly within its grace period on podman stop; nothing secret in logs or inspect', async () => {
  const name = `bwdc-runner-test-${process.pid}`;
  started.push(name);
  const ctl = control('sched', { faults: { sync: 'slow' }, slowMs: 1500 });
  const r = podman([
    'run',
    '-d',
    '--name',
    name,
    '--health-cmd=none',
    '--read-only',
    ...instanceArgs(),
    '-e',
    `BWDC_DOUBLE_CONTROL=${ctl}`,
    '-e',
    'BWDC_SCHEDULE=* * * * * *',
    '-e',
    'BWDC_SHUTDOWN_GRACE=5s',
    image,
  ]);
  assert.equal(r.status, 0, r.stderr);
  await waitFor(() => parseLogs(podman(['logs', name]).stdout).some((l) => l.outcome === 'success'), 60_000, 250);
  const t0 = Date.now();
  const stop = await podmanAsync(['stop', '-t', '20', name]);
  const took = Date.now() - t0;
  assert.equal(stop.code, 0, stop.stderr);
  assert.ok(took < 5000 + 3000, `podman stop took ${took} ms`);
  const state = JSON.parse(podman(['inspect', name]).stdout)[0].State;
  assert.equal(state.ExitCode, 0, 'a clean shutdown exits 0');
  const logs = podman(['logs', name]);
  assert.ok(parseLogs(logs.stdout).some((l) => l.msg === 'stopped'));
  const inspect =
    podman(['inspect', name]).stdout +
    podman(['image', 'inspect', image]).stdout +
    podman(['history', '--no-trunc', image]).stdout;
  for (const text of [logs.stdout, logs.stderr, inspect])
    assert.ok(!text.includes(CANARY_CLIENT_SECRET), 'no secret in podman logs or inspect');
});

test('the image carries OCI labels, the bwdc version and its digest state, a healthcheck and tini as PID 1', () => {
  const inspected = JSON.parse(podman(['image', 'inspect', image]).stdout)[0];
  const cfg = inspected.Config;
  assert.equal(cfg.Labels['io.bwdc-runner.bwdc.version'], bwdcVersion);
  assert.equal(cfg.Labels['io.bwdc-runner.bwdc.sha256'], 'unverified');
  assert.equal(
    cfg.Labels['org.opencontainers.image.version'],
    JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version,
  );
  assert.deepEqual(cfg.Entrypoint, [
    'tini',
    '--',
    'node',
    '--max-semi-space-size=1',
    '--optimize-for-size',
    '/app/bin/bwdc-runner.js',
  ]);
  assert.deepEqual(cfg.Cmd, ['schedule']);
  assert.ok(cfg.Env.includes('MALLOC_ARENA_MAX=2'), "the runner's memory setting (bench/README.md)");
  assert.deepEqual((cfg.Healthcheck ?? inspected.Healthcheck).Test, ['CMD', 'node', '/app/bin/healthcheck.js']);
  assert.equal(cfg.User, '10001:10001');
  // The digest the build computed is in the image, for pinning.
  const sha = podman([
    'run',
    '--rm',
    '--health-cmd=none',
    '--entrypoint',
    'cat',
    image,
    '/opt/bwdc/SHA256',
  ]).stdout.trim();
  assert.match(sha, /^[0-9a-f]{64}$/);
});

test('the image is built on the default base: official Node 22 at /usr/local, only tini added, no build-time CA setting left', () => {
  const inspected = JSON.parse(podman(['image', 'inspect', image]).stdout)[0];
  assert.equal(inspected.Config.Labels['org.opencontainers.image.base.name'], defaultBase);
  assert.ok(
    !inspected.Config.Env.some((e: string) => e.startsWith('NODE_EXTRA_CA_CERTS=')),
    'the build-only CA argument is not in the image',
  );
  const probe = podman([
    'run',
    '--rm',
    '--health-cmd=none',
    '--entrypoint',
    'sh',
    image,
    '-c',
    'command -v node; node --version; . /etc/os-release; echo "$VERSION_CODENAME"; command -v tini; for t in unzip curl; do command -v $t || echo "no $t"; done; ldconfig -p | grep -c libatomic.so.1 || true',
  ]);
  assert.equal(probe.status, 0, probe.stderr);
  const [nodePath, nodeVersion, codename, tini, unzip, curl, libatomic] = probe.stdout.trim().split('\n');
  assert.equal(nodePath, '/usr/local/bin/node', 'the official images keep node in /usr/local');
  assert.match(nodeVersion!, /^v22\./);
  assert.equal(codename, 'trixie');
  assert.equal(tini, '/usr/bin/tini');
  assert.equal(unzip, 'no unzip');
  assert.equal(curl, 'no curl');
  assert.equal(libatomic, '0', 'nothing beyond tini is installed');
  // The stand-in base really is bare: what the Dockerfile must not rely on is absent there too.
  const base = podman([
    'run',
    '--rm',
    '--entrypoint',
    'sh',
    defaultBase,
    '-c',
    'for t in unzip tini curl; do command -v $t || echo "no $t"; done',
  ]);
  assert.equal(base.stdout, 'no unzip\nno tini\nno curl\n');
});

test('a wrong BWDC_SHA256 fails the build', () => {
  const r = podman([
    'build',
    '--format',
    'docker',
    '--target',
    'bwdc',
    ...baseBuildArgs(),
    '--build-arg',
    `BWDC_SHA256=${'0'.repeat(64)}`,
    root,
  ]);
  assert.notEqual(r.status, 0);
  assert.match(r.stdout + r.stderr, /expected BWDC_SHA256=0{64}: refusing it/);
});

test('dockerfilelint reports nothing on the Dockerfile', async () => {
  const { spawnSync } = await import('node:child_process');
  const r = spawnSync(
    process.execPath,
    [join(root, 'node_modules', 'dockerfilelint', 'bin', 'dockerfilelint'), join(root, 'Dockerfile')],
    { encoding: 'utf8', cwd: root },
  );
  assert.equal(r.status, 0, r.stdout);
  assert.match(r.stdout, /Issues: None found/);
});
