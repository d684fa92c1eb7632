// npm run bench:gate -- [--runs 5] [--users 10000] [--base <checkout of an older runner>]: the cost per
// guarded run, with the REAL bwdc (BWDC_RELEASE_ZIP, default ../shared/bwdc/bwdc-linux-2026.6.1.zip)
// reading a real slapd and importing into the test server: this runner's `run` (one bwdc start, its
// import held by the gate, judged whole, then forwarded), in three cases: steady state (the directory
// unchanged, bwdc sends nothing), a single request sent every run (3 users; bwdc's sync markers cleared before
// each run so that it sends), and a largeImport of --users more LDAP users sent every run (6 requests at
// 10,000). `--base`: also a runner that plans with `bwdc test` first (a built checkout of commit 683fa5d,
// run with guard.always), steady state. Wall, CPU (user + system of the whole process tree) and peak RSS
// (the largest process: bwdc), from GNU time. Numbers in bench/README.md ("The import gate").
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { arg, bin, bitwarden, median, root, BENCH_CLIENT_SECRET } from './lib.mjs';

process.env.BWDC_RELEASE_ZIP ??= resolve(root, '../shared/bwdc/bwdc-linux-2026.6.1.zip');
const { realBwdc } = await import('../test/helpers/real-bwdc.ts');
const { startSlapd } = await import('../test/helpers/slapd.ts');

const runs = Number(arg('runs', '5'));
const base = arg('base', undefined);
const users = Number(arg('users', '10000'));
const bwdc = realBwdc();
let slapd = await startSlapd({ bindPassword: 'bench-ldap-password' });

function setupInstance(always, sync = { overwriteExisting: true }) {
  const dir = mkdtempSync(join(tmpdir(), 'bwdc-bench-gate-'));
  const clientId = `organization.${crypto.randomUUID()}`;
  bitwarden.addClient(clientId, BENCH_CLIENT_SECRET);
  writeFileSync(join(dir, 'client_secret'), BENCH_CLIENT_SECRET);
  writeFileSync(join(dir, 'ldap_secret'), slapd.bindPassword);
  const instance = {
    name: 'corp',
    clientId,
    clientSecret: `file://${join(dir, 'client_secret')}`,
    directorySecret: `file://${join(dir, 'ldap_secret')}`,
    directory: slapd.directory,
    sync: { ...slapd.sync, ...sync },
    timeout: '20m',
    ...(always ? { guard: { always: true } } : {}),
  };
  writeFileSync(join(dir, 'config.yaml'), `instances:\n  - ${JSON.stringify(instance)}\n`);
  return dir;
}

async function measure(label, binPath, always, { sync, send = false } = {}) {
  const dir = setupInstance(always, sync);
  const env = {
    PATH: process.env.PATH,
    BWDC_PATH: bwdc,
    BW_SERVER: bitwarden.url,
    BWDC_STATE_DIR: join(dir, 'state'),
    LOG_LEVEL: 'warn',
  };
  // Asynchronous: the test server answering the runner lives in this process.
  const one = async () => {
    if (send && existsSync(join(dir, 'state', 'corp', 'data.json'))) {
      // bwdc reads everything and sends the whole import when its sync markers are gone (as after
      // `bwdc clear-cache`); the gate then plans, holds and forwards it.
      const path = join(dir, 'state', 'corp', 'data.json');
      const data = JSON.parse(readFileSync(path, 'utf8'));
      for (const k of ['lastSyncHash', 'lastUserSync', 'lastGroupSync', 'userDeltaToken', 'groupDeltaToken'])
        delete data[k];
      writeFileSync(path, JSON.stringify(data));
    }
    const r = await promisify(execFile)(
      '/usr/bin/time',
      ['-f', '%e %U %S %M', process.execPath, binPath, 'run', '-c', join(dir, 'config.yaml')],
      { env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
    );
    const [wall, user, sys, rss] = r.stderr.trim().split('\n').pop().split(' ').map(Number);
    return { wall, cpu: user + sys, rss: rss / 1024 };
  };
  await one(); // the first run invites the directory; the runs measured find it unchanged
  const sentBefore = bitwarden.imports.length;
  const rows = [];
  for (let i = 0; i < runs; i++) rows.push(await one());
  return {
    label,
    // What reached the server per measured run: proves the case sends what it says.
    requests: (bitwarden.imports.length - sentBefore) / runs,
    wall: median(rows.map((r) => r.wall)),
    cpu: median(rows.map((r) => r.cpu)),
    rss: median(rows.map((r) => r.rss)),
  };
}

const results = [
  await measure('import gate: steady state (nothing sent)', bin, false),
  await measure('import gate: a single request, sent', bin, false, { send: true }),
];
slapd.stop();
slapd = await startSlapd({ bindPassword: 'bench-ldap-password', extraUsers: users });
results.push(
  await measure(`import gate: largeImport, ${users + 3} users, sent`, bin, false, {
    sync: { overwriteExisting: false, largeImport: true },
    send: true,
  }),
);
if (base)
  results.push(
    await measure('bwdc test, then bwdc sync (683fa5d, guard.always)', join(base, 'bin', 'bwdc-runner.js'), true),
  );
console.log(`runs: ${runs} (median), real bwdc ${bwdc}`);
console.log('case                                                  wall s   CPU s   peak RSS MB   requests/run');
for (const r of results)
  console.log(
    `${r.label.padEnd(52)} ${r.wall.toFixed(2).padStart(6)}  ${r.cpu.toFixed(2).padStart(6)}  ${r.rss.toFixed(0).padStart(11)}` +
      `   ${String(r.requests).padStart(12)}`,
  );
slapd.stop();
await bitwarden.stop();
