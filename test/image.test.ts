// The container image: the real Dockerfile built with podman from a throwaway context holding the REAL bwdc
// release (BWDC_RELEASE_ZIP) on the stand-in of its default base, then run as users run it (--read-only,
// --cap-drop=ALL, the non-root uid) against Debian's slapd and the Bitwarden test server on the host.
import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import {
  CANARY_CLIENT_SECRET,
  CANARY_DIRECTORY_SECRET,
  CLIENT_ID,
  parseLogs,
  waitFor,
  root,
} from './helpers/fixture.js';
import {
  baseBuildArgs,
  buildTestImage,
  bwdcVersion,
  defaultBase,
  podman,
  podmanAsync,
  throwawayContext,
} from './helpers/podman.js';
import { realBwdcSkip, releaseZip } from './helpers/real-bwdc.js';
import { zipSync } from 'fflate';
import { startSlapd, type Slapd } from './helpers/slapd.js';

const skip = realBwdcSkip();
let image: string;
let zipSha: string;
let dir: string;
let slapd: Slapd | undefined;
const started: string[] = [];

// The Bitwarden server the runner in the container logs in at: a process of its own (podman runs
// synchronously here, which would block a server in this process), reached over the host network.
let bitwardenUrl: string;
let bitwardenProc: ChildProcess | undefined;

before(
  async () => {
    if (skip) return;
    bitwardenProc = spawn(
      process.execPath,
      ['--import', 'tsx', join(root, 'test', 'bitwarden-server', 'serve.ts'), `${CLIENT_ID}=${CANARY_CLIENT_SECRET}`],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    bitwardenUrl = await new Promise<string>((resolve) =>
      bitwardenProc!.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim())),
    );
    slapd = await startSlapd({ bindPassword: CANARY_DIRECTORY_SECRET });
    // Pinned, as docs/image.md's block builds it: podman's layer cache does not tell apart two builds that
    // differ only in the LABEL's build argument, so every build of the real zip here uses the same pin.
    zipSha = createHash('sha256').update(readFileSync(releaseZip()!)).digest('hex');
    image = buildTestImage(releaseZip()!, undefined, ['--build-arg', `BWDC_SHA256=${zipSha}`]);
    // A folder the container's bwdc user (uid 10001) can read: the configuration and the secret files.
    dir = mkdtempSync(join(tmpdir(), 'bwdc-runner-image-'));
    chmodSync(dir, 0o755);
    writeFileSync(join(dir, 'client_secret'), `${CANARY_CLIENT_SECRET}\n`, { mode: 0o644 });
    writeFileSync(join(dir, 'ldap_password'), `${CANARY_DIRECTORY_SECRET}\n`, { mode: 0o644 });
    writeFileSync(join(dir, 'wrong_password'), 'not-the-bind-password\n', { mode: 0o644 });
    for (const [file, secret] of [
      ['config.yaml', 'ldap_password'],
      ['badbind.yaml', 'wrong_password'],
    ] as const)
      writeFileSync(join(dir, file), JSON.stringify(configFor(secret)), { mode: 0o644 });
  },
  { timeout: 30 * 60_000 },
);

after(() => {
  bitwardenProc?.kill();
  slapd?.stop();
  for (const name of started) podman(['rm', '-f', name]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** One instance, `default`, reading the host's slapd with the bind password in /config/<secretFile>. */
function configFor(secretFile: string): Record<string, unknown> {
  return {
    instances: [
      {
        name: 'default',
        clientId: CLIENT_ID,
        clientSecret: 'file:///config/client_secret',
        directorySecret: `file:///config/${secretFile}`,
        directory: slapd!.directory,
        sync: slapd!.sync,
      },
    ],
  };
}

/** The mounted configuration, the host's network (slapd and the test server listen on its loopback). */
function instanceArgs(config = 'config.yaml'): string[] {
  return [
    '-v',
    `${dir}:/config:ro`,
    '-e',
    `BWDC_RUNNER_CONFIG=/config/${config}`,
    '--network=host',
    '-e',
    `BW_SERVER=${bitwardenUrl}`,
  ];
}

function runArgs(extra: string[] = [], config?: string): string[] {
  return [
    'run',
    '--rm',
    '--health-cmd=none',
    '--cap-drop=ALL',
    ...instanceArgs(config),
    '-e',
    'BWDC_RETRY_ATTEMPTS=0',
    ...extra,
  ];
}

/** The organization's members as the test server's Public API lists them. */
async function memberEmails(): Promise<string[]> {
  const form = new URLSearchParams({
    grant_type: 'client_credentials',
    scope: 'api.organization',
    client_id: CLIENT_ID,
    client_secret: CANARY_CLIENT_SECRET,
  });
  const token = (await (
    await fetch(`${bitwardenUrl}/identity/connect/token`, { method: 'POST', body: form })
  ).json()) as {
    access_token: string;
  };
  const list = (await (
    await fetch(`${bitwardenUrl}/api/public/members`, { headers: { authorization: `Bearer ${token.access_token}` } })
  ).json()) as { data: Array<{ email: string }> };
  return list.data.map((m) => m.email).sort();
}

test('--version reports the runner and the bundled bwdc (from its VERSION file)', { skip }, () => {
  const r = podman(['run', '--rm', '--health-cmd=none', image, '--version']);
  assert.equal(r.status, 0, r.stderr);
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  assert.equal(r.stdout, `bwdc-runner ${pkg.version}\nbwdc ${bwdcVersion}\n`, 'the real bwdc: no TEST DOUBLE note');
});

test(
  'check passes with a mounted configuration: the real bwdc reads slapd (--read-only, --cap-drop=ALL)',
  { skip },
  () => {
    const r = podman([...runArgs(['--read-only']), image, 'check']);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /bwdc: \/opt\/bwdc\/bwdc \(version 2026\.6\.1\)/);
    assert.match(r.stdout, /clientSecret: file:\/\/\/config\/client_secret {2}ok/);
  },
);

test(
  "run syncs slapd's 3 users and 2 groups with the real bwdc, as the bwdc user, --read-only, --cap-drop=ALL",
  { skip },
  async () => {
    const r = podman([...runArgs(['--read-only']), image, 'run']);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const done = parseLogs(r.stdout).find((l) => l.outcome);
    assert.equal(done?.outcome, 'success');
    assert.equal(done?.users, 3);
    assert.equal(done?.groups, 2);
    assert.equal(done?.bwdcCalls, 1, 'one bwdc start: the runner logged in itself');
    assert.deepEqual(await memberEmails(), ['alice@example.com', 'bob@example.com', 'carol@example.com']);
    assert.ok(!r.stdout.includes(CANARY_CLIENT_SECRET) && !r.stderr.includes(CANARY_CLIENT_SECRET));
    assert.ok(!r.stdout.includes(CANARY_DIRECTORY_SECRET) && !r.stderr.includes(CANARY_DIRECTORY_SECRET));
  },
);

test('run exits 1 when bwdc fails (a wrong bind password: class directory)', { skip }, () => {
  const r = podman([...runArgs([], 'badbind.yaml'), image, 'run']);
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.equal(parseLogs(r.stdout).find((l) => l.outcome)?.failureClass, 'directory');
});

test(
  'the image adds nothing the runtime does not read: no apt cache, package lists or logs, no type declarations, sources or maps',
  { skip },
  () => {
    // Every path the image adds to or changes in its base (the base carries none of these: the stand-in is
    // cleaned as the official slim images are), so a Dockerfile relying on a base's apt hook fails here.
    const r = podman(['image', 'diff', image, defaultBase]);
    assert.equal(r.status, 0, r.stderr);
    const paths = r.stdout
      .split('\n')
      .filter((l) => /^[AC] /.test(l)) // added or changed; D is a base's file the image removed
      .map((l) => l.slice(2).trim());
    assert.ok(paths.includes('/opt/bwdc/bwdc') && paths.includes('/app/dist/main.js'), r.stdout.slice(0, 2000));
    const unread = paths.filter(
      (p) =>
        /^\/var\/cache\/apt\/.+\.(bin|deb)$/.test(p) ||
        /^\/var\/lib\/apt\/lists\/.+/.test(p) ||
        /^\/var\/log\/(apt\/.+|dpkg\.log)$/.test(p) ||
        /^\/app\/node_modules\/.+\.(d\.[mc]?ts|[mc]?ts|map)$/.test(p),
    );
    assert.deepEqual(unread, [], 'files the runtime never reads');
    // The bundle's code cache is there, readable by the runtime's user, and V8 takes it under the ENTRYPOINT's
    // flags (a cache made with other flags or another Node would be refused: the start compiles everything).
    const entrypoint = JSON.parse(
      podman(['image', 'inspect', image, '--format', '{{json .Config.Entrypoint}}']).stdout,
    ) as string[];
    const cache = podman([
      'run',
      '--rm',
      '--health-cmd=none',
      '--entrypoint',
      'node',
      image,
      ...entrypoint.filter((a) => a.startsWith('--') && a !== '--'),
      '-e',
      "process.stdout.write(require('/app/bin/code-cache.js').compile('/app/compile-cache').cache)",
    ]);
    assert.equal(cache.stdout, 'used', `code cache: ${cache.stdout}${cache.stderr}`);
  },
);

test('the default user is the fixed non-root bwdc uid', { skip }, () => {
  const r = podman(['run', '--rm', '--health-cmd=none', '--entrypoint', 'id', image]);
  assert.match(r.stdout, /^uid=10001\(bwdc\) gid=10001\(bwdc\)/);
});

test("Bitwarden's SDK (bws://) is in the image and its native module loads there", { skip }, () => {
  const script = [
    "const sdk = require('/app/node_modules/@bitwarden/sdk-napi-linux-x64-gnu');",
    "const c = new sdk.BitwardenClient(JSON.stringify({ apiUrl: 'http://127.0.0.1:9/api', identityUrl: 'http://127.0.0.1:9/identity' }), 4);",
    "process.stdout.write(typeof c.runCommand + ' ' + require('/app/node_modules/@bitwarden/sdk-napi-linux-x64-gnu/package.json').version);",
  ].join(' ');
  const r = podman(['run', '--rm', '--health-cmd=none', '--read-only', '--entrypoint', 'node', image, '-e', script]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^function \d+\.\d+\.\d+$/);
});

test('--read-only with a tmpfs as the state folder works', { skip }, () => {
  const r = podman([...runArgs(['--read-only', '--tmpfs', '/var/lib/bwdc-runner:rw,U']), image, 'run']);
  assert.equal(r.status, 0, r.stdout + r.stderr);
});

test('a read-only state folder: exit 2 with a message that says so, nothing else broken', { skip }, () => {
  const ro = join(dir, 'ro-state');
  mkdirSync(ro, { mode: 0o777 });
  const r = podman([...runArgs(['-v', `${ro}:/var/lib/bwdc-runner:ro`]), image, 'run']);
  assert.equal(r.status, 2, r.stdout + r.stderr);
  const done = parseLogs(r.stdout).find((l) => l.outcome)!;
  assert.equal(done.failureClass, 'config');
  assert.match(String(done.msg), /state folder \/var\/lib\/bwdc-runner\/default is not usable: EROFS/);
});

test(
  'the disk full while writing state: the run fails clearly, data.json is left as it was, the next run works',
  { skip },
  () => {
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
      ...runArgs(['--tmpfs', '/var/lib/bwdc-runner:rw,size=256k,U', '--entrypoint', 'sh']),
      image,
      '-c',
      script,
    ]);
    assert.match(r.stdout, /first=0/, r.stdout + r.stderr);
    // A state folder that refuses writes is class config, which exits 2 wherever it is found (errors.ts
    // exitCodeOf; 1 before issue 36).
    assert.match(r.stdout, /second=2/, r.stdout);
    assert.match(r.stdout, /ENOSPC/, r.stdout);
    assert.match(r.stdout, /data\.json=intact/, r.stdout);
    assert.match(r.stdout, /third=0/, r.stdout);
  },
);

test(
  'schedule (the default command) stops cleanly within its grace period on podman stop; nothing secret in logs or inspect',
  { skip },
  async () => {
    const name = `bwdc-runner-test-${process.pid}`;
    started.push(name);
    const cfg = configFor('ldap_password');
    (cfg.instances as Array<Record<string, unknown>>)[0]!.schedule = '*/5 * * * * *';
    writeFileSync(join(dir, 'schedule.yaml'), JSON.stringify(cfg), { mode: 0o644 });
    const r = podman([
      'run',
      '-d',
      '--name',
      name,
      '--health-cmd=none',
      '--read-only',
      '--cap-drop=ALL',
      ...instanceArgs('schedule.yaml'),
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
  },
);

test(
  'the image carries OCI labels, the bwdc version and its digest state, a healthcheck and tini as PID 1',
  { skip },
  () => {
    const inspected = JSON.parse(podman(['image', 'inspect', image]).stdout)[0];
    const cfg = inspected.Config;
    assert.equal(cfg.Labels['io.bwdc-runner.bwdc.version'], bwdcVersion);
    assert.equal(cfg.Labels['io.bwdc-runner.bwdc.sha256'], zipSha, 'the pinned digest');
    assert.ok(!cfg.Labels['io.bwdc-runner.bwdc.test-double'], 'a real bwdc: no test-double label');
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
      '--max-opt=1',
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
    assert.equal(sha, zipSha);
  },
);

test(
  'the image is built on the default base: official Node 24 at /usr/local, only tini and libatomic1 added, no build-time CA setting left',
  { skip },
  () => {
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
    assert.match(nodeVersion!, /^v24\./);
    assert.equal(codename, 'trixie');
    assert.equal(tini, '/usr/bin/tini');
    assert.equal(unzip, 'no unzip');
    assert.equal(curl, 'no curl');
    assert.equal(libatomic, '1', 'libatomic1, which bwdc links against, is installed');
    // The stand-in base really is bare: what the Dockerfile must not rely on is absent there too.
    const base = podman([
      'run',
      '--rm',
      '--entrypoint',
      'sh',
      defaultBase,
      '-c',
      'for t in unzip tini curl; do command -v $t || echo "no $t"; done; ldconfig -p | grep -c libatomic.so.1 || true',
    ]);
    assert.equal(base.stdout, 'no unzip\nno tini\nno curl\n0\n');
  },
);

test('a wrong BWDC_SHA256 fails the build', { skip }, () => {
  const ctx = throwawayContext(releaseZip()!);
  const r = podman([
    'build',
    '--format',
    'docker',
    '--target',
    'bwdc',
    ...baseBuildArgs(),
    '--build-arg',
    `BWDC_SHA256=${'0'.repeat(64)}`,
    ctx,
  ]);
  rmSync(ctx, { recursive: true, force: true });
  assert.notEqual(r.status, 0);
  assert.match(r.stdout + r.stderr, /expected BWDC_SHA256=0{64}: refusing it/);
});

/** A zip laid out like the release whose bwdc is a shell script: what the tests used to build with. */
function scriptZip(): string {
  const path = join(dir, 'script-bwdc.zip');
  const text = (t: string) => new TextEncoder().encode(t);
  writeFileSync(
    path,
    zipSync({ bwdc: text('#!/bin/sh\necho 2026.6.1\n'), 'dc_native.linux-x64-gnu.node': text('x\n') }),
  );
  return path;
}

test('a zip whose bwdc is a script fails the build, naming what it found', { skip }, () => {
  const ctx = throwawayContext(scriptZip());
  const r = podman(['build', '--format', 'docker', '--target', 'bwdc', ...baseBuildArgs(), ctx]);
  rmSync(ctx, { recursive: true, force: true });
  assert.notEqual(r.status, 0);
  assert.match(r.stdout + r.stderr, /its bwdc is not the real bwdc executable: found a script \(#!\/bin\/sh\)/);
});

test('BWDC_ALLOW_TEST_DOUBLE=1 builds it, and the image says it holds a test bwdc (label, --version)', { skip }, () => {
  const tag = buildTestImage(scriptZip(), 'localhost/bwdc-runner:test-double', [
    '--build-arg',
    'BWDC_ALLOW_TEST_DOUBLE=1',
  ]);
  try {
    const labels = JSON.parse(podman(['image', 'inspect', tag]).stdout)[0].Config.Labels;
    assert.equal(labels['io.bwdc-runner.bwdc.test-double'], 'allowed: not for use');
    assert.equal(labels['io.bwdc-runner.bwdc.sha256'], 'unverified', 'an unpinned build says so');
    const v = podman(['run', '--rm', '--health-cmd=none', tag, '--version']);
    assert.match(v.stdout, /^bwdc 2026\.6\.1 \(TEST DOUBLE, not the real bwdc: found a script/m);
  } finally {
    podman(['rmi', '-f', tag]);
  }
});

test("docs/image.md's offline build block works as written", { skip }, () => {
  const doc = readFileSync(join(root, 'docs/image.md'), 'utf8');
  const block = /## Building without a container registry[\s\S]*?```sh\n([\s\S]*?)```/.exec(doc)?.[1];
  assert.ok(block, 'the block is in docs/image.md');
  const tag = 'localhost/bwdc-runner:offline-doc';
  const script = block.replace(/^BWDC_ZIP=\S+/m, `BWDC_ZIP='${releaseZip()}'`).replace(/^TAG=\S+/m, `TAG=${tag}`);
  assert.notEqual(script, block, 'the block sets BWDC_ZIP and TAG as its first lines');
  const r = spawnSync('bash', ['-c', script], { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  podman(['rmi', '-f', tag]);
  assert.equal(r.status, 0, r.stdout.slice(-3000) + r.stderr.slice(-3000));
  assert.match(r.stdout, /^bwdc-runner \S+\nbwdc 2026\.6\.1$/m);
});

test('dockerfilelint reports nothing on the Dockerfile', () => {
  const r = spawnSync(
    process.execPath,
    [join(root, 'node_modules', 'dockerfilelint', 'bin', 'dockerfilelint'), join(root, 'Dockerfile')],
    { encoding: 'utf8', cwd: root },
  );
  assert.equal(r.status, 0, r.stdout);
  assert.match(r.stdout, /Issues: None found/);
});
