// npm run bench:gate -- [--runs 5] [--base <checkout of an older runner>]: the cost per guarded run of
// the two designs, with the REAL bwdc (BWDC_RELEASE_ZIP, default ../shared/bwdc/bwdc-linux-2026.6.1.zip)
// reading a real slapd and importing into the test server: this runner's `run` (one bwdc start, its
// import judged by the gate) against a runner that plans with `bwdc test` first (`--base`: a built
// checkout of commit 683fa5d, run with guard.always). Steady state: the directory is unchanged between
// runs. Wall, CPU (user + system of the whole process tree) and peak RSS (the largest process: bwdc),
// from GNU time. Numbers in bench/README.md ("The import gate").
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { arg, bin, bitwarden, median, root, BENCH_CLIENT_SECRET } from './lib.mjs';

process.env.BWDC_RELEASE_ZIP ??= resolve(root, '../shared/bwdc/bwdc-linux-2026.6.1.zip');
const { realBwdc } = await import('../test/helpers/real-bwdc.ts');
const { startSlapd } = await import('../test/helpers/slapd.ts');

const runs = Number(arg('runs', '5'));
const base = arg('base', undefined);
const bwdc = realBwdc();
const slapd = await startSlapd({ bindPassword: 'bench-ldap-password' });

function setupInstance(always) {
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
    sync: { ...slapd.sync, overwriteExisting: true },
    ...(always ? { guard: { always: true } } : {}),
  };
  writeFileSync(join(dir, 'config.yaml'), `instances:\n  - ${JSON.stringify(instance)}\n`);
  return dir;
}

async function measure(label, binPath, always) {
  const dir = setupInstance(always);
  const env = {
    PATH: process.env.PATH,
    BWDC_PATH: bwdc,
    BW_SERVER: bitwarden.url,
    BWDC_STATE_DIR: join(dir, 'state'),
    LOG_LEVEL: 'warn',
  };
  // Asynchronous: the test server answering the runner lives in this process.
  const one = async () => {
    const r = await promisify(execFile)(
      '/usr/bin/time',
      ['-f', '%e %U %S %M', process.execPath, binPath, 'run', '-c', join(dir, 'config.yaml')],
      { env, encoding: 'utf8' },
    );
    const [wall, user, sys, rss] = r.stderr.trim().split('\n').pop().split(' ').map(Number);
    return { wall, cpu: user + sys, rss: rss / 1024 };
  };
  await one(); // the first run invites the directory; the runs measured find it unchanged
  const rows = [];
  for (let i = 0; i < runs; i++) rows.push(await one());
  return {
    label,
    wall: median(rows.map((r) => r.wall)),
    cpu: median(rows.map((r) => r.cpu)),
    rss: median(rows.map((r) => r.rss)),
  };
}

const results = [await measure('import gate (this runner): bwdc sync', bin, false)];
if (base)
  results.push(
    await measure('bwdc test, then bwdc sync (683fa5d, guard.always)', join(base, 'bin', 'bwdc-runner.js'), true),
  );
console.log(`runs: ${runs} (median), real bwdc ${bwdc}`);
console.log('design                                                wall s   CPU s   peak RSS MB');
for (const r of results)
  console.log(
    `${r.label.padEnd(52)} ${r.wall.toFixed(2).padStart(6)}  ${r.cpu.toFixed(2).padStart(6)}  ${r.rss.toFixed(0).padStart(11)}`,
  );
slapd.stop();
await bitwarden.stop();
