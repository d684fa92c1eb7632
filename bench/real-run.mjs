// One real sync: `bwdc-runner run` against one bare `bwdc sync`, both with the REAL bwdc (BWDC_RELEASE_ZIP,
// test/helpers/real-bwdc.ts) reading Debian's slapd (test/helpers/slapd.ts) and importing into the
// Bitwarden test server (test/bitwarden-server/, in this process). "Bare" is a folder bwdc itself logged
// in to (`bwdc config` + `bwdc login` once), then one `bwdc sync` start per run: the least any tool can do.
// Before each start a user and a group are added to slapd, so both sides import (neither is answered by bwdc's
// unchanged-check). Pairs alternate which side goes first, so load from elsewhere hits both alike.
// Reports medians of wall time and CPU (this process's waited-for children: the runner and its bwdc, or
// the bare bwdc; /proc/self/stat cutime + cstime), the runner's own CPU (less its bwdc's: bench/bwdc-cpu.sh),
// the ratios, and the Node running the runner (this one).
//   BWDC_RELEASE_ZIP=... npm run bench:real-run -- --pairs 9
//   ... -- --pairs 1 --cpu-prof DIR     (writes the runner's V8 CPU profiles into DIR)
//   ... -- --each on                    (prints each run's numbers)
//   ... -- --node-args "--max-semi-space-size=16"   (more Node flags for the runner, to compare)
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  arg,
  bin,
  bitwarden,
  BENCH_CLIENT_SECRET,
  CLIENT_ID,
  makeCodeCache,
  median,
  root,
  runnerNodeFlags,
} from './lib.mjs';
import { realBwdc } from '../test/helpers/real-bwdc.ts';
import { startSlapd } from '../test/helpers/slapd.ts';

const pairs = Number(arg('pairs', 9));
const cpuProf = arg('cpu-prof', '');
const bwdc = realBwdc();
if (!bwdc) throw new Error('BWDC_RELEASE_ZIP is not set: the path of a real bwdc-linux-*.zip');

const slapd = await startSlapd();
const dir = mkdtempSync(join(tmpdir(), 'bwdc-real-run-'));
writeFileSync(join(dir, 'client_secret'), `${BENCH_CLIENT_SECRET}\n`);
writeFileSync(join(dir, 'bind_password'), `${slapd.bindPassword}\n`);
const config = join(dir, 'config.json');
const bwdcCpuFile = join(dir, 'bwdc-cpu');
writeFileSync(
  config,
  JSON.stringify({
    instances: [
      {
        name: 'real',
        clientId: CLIENT_ID,
        clientSecret: `file://${join(dir, 'client_secret')}`,
        directorySecret: `file://${join(dir, 'bind_password')}`,
        directory: slapd.directory,
        sync: slapd.sync,
      },
    ],
  }),
);
// What the image runs: its entrypoint's Node flags (Dockerfile ENTRYPOINT), this process's Node;
// --node-args "...": more Node flags for the runner, to compare (the last of a repeated V8 flag wins).
const nodeFlags = [...runnerNodeFlags(), ...(arg('node-args', '') ? arg('node-args', '').split(' ') : [])];
const runnerArgs = [...nodeFlags, ...(cpuProf ? ['--cpu-prof', '--cpu-prof-dir', cpuProf] : []), bin, 'run'];
const runnerEnv = {
  PATH: process.env.PATH,
  HOME: dir,
  MALLOC_ARENA_MAX: '2',
  // bwdc through bench/bwdc-cpu.sh, which records its CPU: the runner's own is the rest (ownCpuMs).
  BWDC_PATH: join(root, 'bench', 'bwdc-cpu.sh'),
  REAL_BWDC: bwdc,
  BWDC_CPU_FILE: bwdcCpuFile,
  BWDC_PASS_ENV: 'REAL_BWDC,BWDC_CPU_FILE',
  // bwdc at the runner's own priority, as the bare one runs: by default the runner starts it at nice 10
  // (docs/scheduler.md), which on a loaded machine measures the load, not the runner.
  BWDC_NICE: '0',
  BW_SERVER: bitwarden.url,
  BWDC_STATE_DIR: join(dir, 'state'),
  // As in the image (Dockerfile, docs/image.md "Compile cache"): the bundle's code cache, made below as the
  // image build makes it, and Node's compile cache beside it.
  ...(arg('compile-cache', 'on') === 'on' ? { NODE_COMPILE_CACHE: join(dir, 'compile-cache') } : {}),
  BWDC_RUNNER_CONFIG: config,
  LOG_LEVEL: arg('log-level', 'info'),
};

if (runnerEnv.NODE_COMPILE_CACHE) makeCodeCache(runnerEnv.NODE_COMPILE_CACHE, nodeFlags);

// The bare side: the data.json the runner renders for this instance, configured and logged in by bwdc.
const bareApp = join(dir, 'bare-app');
const bareEnv = {
  PATH: process.env.PATH,
  HOME: dir,
  BITWARDENCLI_CONNECTOR_APPDATA_DIR: bareApp,
  BITWARDENCLI_CONNECTOR_PLAINTEXT_SECRETS: 'true',
};
// Spawned asynchronously: the test server answering bwdc lives in this process.
function bwdcOnce(args, extra = {}) {
  return new Promise((resolve, reject) => {
    const c = spawn(bwdc, args, { env: { ...bareEnv, ...extra } });
    let out = '';
    c.stdout.on('data', (d) => (out += d));
    c.stderr.on('data', (d) => (out += d));
    c.on('close', (status) => (status === 0 ? resolve() : reject(new Error(`bwdc ${args.join(' ')}: ${out}`))));
  });
}
const rendered = spawnSync(process.execPath, [bin, 'config', 'render'], { env: runnerEnv, encoding: 'utf8' });
if (rendered.status !== 0) throw new Error(`config render: ${rendered.stderr}`);
mkdirSync(bareApp, { recursive: true });
writeFileSync(join(bareApp, 'data.json'), rendered.stdout);
await bwdcOnce(['config', 'server', bitwarden.url]);
await bwdcOnce(['config', 'ldap.password', slapd.bindPassword]);
await bwdcOnce(['login'], { BW_CLIENTID: CLIENT_ID, BW_CLIENTSECRET: BENCH_CLIENT_SECRET });

/** CPU of this process's waited-for children (and theirs), in ms. */
function childCpuMs() {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[13]) + Number(f[14])) * 10; // cutime + cstime, in 100 Hz ticks
}

/** The CPU of the runner's last bwdc, in ms: `times` prints the shell's children's "0m0.830000s 0m0.330000s". */
function lastBwdcCpuMs() {
  const line = readFileSync(bwdcCpuFile, 'utf8').trim().split('\n').at(-1);
  return [...line.matchAll(/(\d+)m([\d.]+)s/g)].reduce(
    (ms, [, m, sec]) => ms + Number(m) * 60_000 + Number(sec) * 1000,
    0,
  );
}

let added = 0;
async function once(cmd, args, env) {
  added++;
  await slapd.addUser({ uid: `bench${added}`, cn: `Bench ${added}`, mail: `bench${added}@example.com` });
  // A group too: bwdc reads LDAP users by modifyTimestamp since its last sync (second-grained), groups whole.
  await slapd.addGroup(`bench${added}`, [`bench${added}`]);
  // And bwdc's LDAP delta markers go, on both sides: bwdc reads LDAP entries changed since lastUserSync
  // (revisionDateAttribute: modifyTimestamp), which misses entries added right after a sync and then sends
  // nothing. Without them both read the directory whole and import it.
  for (const file of [join(bareApp, 'data.json'), join(dir, 'state', 'real', 'data.json')]) {
    if (!existsSync(file)) continue;
    const data = JSON.parse(readFileSync(file, 'utf8'));
    delete data.lastUserSync;
    delete data.lastGroupSync;
    writeFileSync(file, JSON.stringify(data, null, 2), { mode: 0o600 });
  }
  const imports = bitwarden.imports.length;
  const cpu0 = childCpuMs();
  const t0 = performance.now();
  const r = await new Promise((resolve) => {
    const c = spawn(cmd, args, { env });
    let out = '';
    c.stdout.on('data', (d) => (out += d));
    c.stderr.on('data', (d) => (out += d));
    c.on('close', (status) => resolve({ status, out }));
  });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${cmd} ${args.at(-1)} exited ${r.status}: ${r.out}`);
  if (bitwarden.imports.length !== imports + 1) {
    if (process.env.BENCH_DEBUG) console.error(`run ${added} sent nothing:`, r.out);
    return undefined;
  }
  if (arg('log-level', 'info') === 'debug' && cmd === process.execPath) process.stderr.write(r.out);
  const cpuMs = childCpuMs() - cpu0;
  // The runner's own CPU: its total less what its bwdc used (the last line bench/bwdc-cpu.sh wrote).
  const ownCpuMs = cmd === process.execPath ? cpuMs - lastBwdcCpuMs() : undefined;
  if (arg('each', '') === 'on')
    console.error(JSON.stringify({ side: ownCpuMs === undefined ? 'bare' : 'runner', ms, cpuMs, ownCpuMs }));
  return { ms, cpuMs, ownCpuMs };
}

// bwdc's LDAP delta (revisionDateAttribute: modifyTimestamp, since lastUserSync) now and then misses an entry
// added within the second of the last sync, and sends nothing: such a run is not counted (and reported).
let missed = 0;
async function time(cmd, args, env) {
  for (let attempt = 0; attempt < 5; attempt++) {
    const r = await once(cmd, args, env);
    if (r) return r;
    missed++;
  }
  throw new Error(`${cmd} ${args.at(-1)}: no import in 5 attempts`);
}

// One run of each first (not counted): bwdc's first start on a fresh file system is slower.
await time(process.execPath, runnerArgs, runnerEnv);
await time(bwdc, ['sync'], bareEnv);
const runner = [];
const bare = [];
for (let i = 0; i < pairs; i++) {
  if (i % 2 === 0) {
    runner.push(await time(process.execPath, runnerArgs, runnerEnv));
    bare.push(await time(bwdc, ['sync'], bareEnv));
  } else {
    bare.push(await time(bwdc, ['sync'], bareEnv));
    runner.push(await time(process.execPath, runnerArgs, runnerEnv));
  }
}
slapd.stop();
const r = {
  wallMs: median(runner.map((x) => x.ms)),
  cpuMs: median(runner.map((x) => x.cpuMs)),
  ownCpuMs: Math.round(median(runner.map((x) => x.ownCpuMs))),
};
const b = { wallMs: median(bare.map((x) => x.ms)), cpuMs: median(bare.map((x) => x.cpuMs)) };
console.log(
  JSON.stringify(
    {
      node: process.version,
      pairs,
      notCounted: missed,
      runner: { wallMs: Math.round(r.wallMs), cpuMs: r.cpuMs, ownCpuMs: r.ownCpuMs },
      bareSync: { wallMs: Math.round(b.wallMs), cpuMs: b.cpuMs },
      wallRatio: Number((r.wallMs / b.wallMs).toFixed(3)),
      extraCpuMs: r.cpuMs - b.cpuMs,
      target: 'wallRatio <= 1.10, extraCpuMs <= 250',
      met: r.wallMs / b.wallMs <= 1.1 && r.cpuMs - b.cpuMs <= 250,
    },
    null,
    2,
  ),
);
process.exit(0);
