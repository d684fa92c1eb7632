// One sync run: `bwdc-runner run` against the script of Bitwarden's docs (bench/bwdc-sync.sh) and
// against one bare `bwdc sync` start (already logged in), all driving the same bwdc double set to
// cost what a real bwdc start costs (a start-up delay per call), alternated in one process so all
// see the same machine. Reports medians, the ratios, the bwdc starts each makes and the CPU each
// costs (the process and its children, from /proc/self/stat's cutime + cstime). The runner logs in
// at the Bitwarden test server (spawned asynchronously: that server answers from this process).
//   npm run bench:sync -- --runs 9 --delay 500
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  arg,
  benchDir,
  bin,
  calls,
  CLIENT_ID,
  double,
  makeCodeCache,
  median,
  root,
  bitwarden,
  runnerEnv,
  runnerNodeFlags,
} from './lib.mjs';

const runs = Number(arg('runs', 9));
const delay = Number(arg('delay', 500));
// --login bwdc: the fallback path (bwdc login + config before the sync), for a before/after.
const login = arg('login', 'runner');

const dir = benchDir({ delayMs: delay });
const scriptApp = join(dir, 'script-app');
cpSync(join(dir, 'data.json'), join(scriptApp, 'data.json'));

const oneInstanceEnv = runnerEnv(dir, {
  BWDC_DATA_JSON: join(dir, 'data.json'),
  BW_CLIENTID: CLIENT_ID,
  BW_CLIENTSECRET_FILE: join(dir, 'client_secret'),
  BWDC_LOG_FILE: 'true',
  LOG_LEVEL: 'warn',
  BWDC_LOGIN: login,
  // As in the image (docs/image.md "Compile cache"): the bundle's code cache, made under the flags of
  // bin/bwdc-runner.js's shebang, which this benchmark starts. --compile-cache off: without.
  ...(arg('compile-cache', 'on') === 'on'
    ? { NODE_COMPILE_CACHE: makeCodeCache(join(dir, 'compile-cache'), runnerNodeFlags()) }
    : {}),
});
const scriptEnv = {
  PATH: process.env.PATH,
  HOME: dir,
  BWDC: double,
  APPDATA: scriptApp,
  SECRET_FILE: join(dir, 'client_secret'),
  CLIENT_ID,
  BWDC_DOUBLE_CONTROL: join(dir, 'control.json'),
};

// A bare `bwdc sync`: a data.json that is already logged in, as a warm cron script would leave it.
const bareApp = join(dir, 'bare-app');
mkdirSync(bareApp, { recursive: true });
const now = Math.floor(Date.now() / 1000);
const template = JSON.parse(readFileSync(join(dir, 'data.json'), 'utf8'));
const orgId = CLIENT_ID.replace('organization.', '');
writeFileSync(
  join(bareApp, 'data.json'),
  JSON.stringify({ ...template, organizationId: orgId, accessToken: bitwarden.jwt({ sub: orgId, exp: now + 86400 }) }),
);
const bareEnv = {
  PATH: process.env.PATH,
  HOME: dir,
  BITWARDENCLI_CONNECTOR_APPDATA_DIR: bareApp,
  BITWARDENCLI_CONNECTOR_PLAINTEXT_SECRETS: 'true',
  BWDC_DOUBLE_CONTROL: join(dir, 'control.json'),
};

/** CPU of this process's waited-for children (and theirs), in ms. */
function childCpuMs() {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[13]) + Number(f[14])) * 10; // cutime + cstime, in 100 Hz ticks
}

async function time(cmd, args, env) {
  const before = calls(dir).length;
  const cpu0 = childCpuMs();
  const t0 = performance.now();
  const r = await new Promise((resolve) => {
    const c = spawn(cmd, args, { env });
    let stderr = '';
    c.stderr.on('data', (d) => (stderr += d));
    c.on('close', (status) => resolve({ status, stderr }));
  });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${cmd} exited ${r.status}: ${r.stderr}`);
  return { ms, cpuMs: childCpuMs() - cpu0, invocations: calls(dir).length - before };
}

// The floor for any Node program that starts bwdc: start Node, spawn the same bare `bwdc sync`, wait
// for it, exit. No configuration, no secrets, no login: what is left is Node's own start-up.
const floorProgram =
  "const c=require('node:child_process').spawn(process.argv[1],['sync','--response'],{stdio:'ignore'});" +
  'c.on("exit",(s)=>process.exit(s??1));';

const runner = [];
const script = [];
const bare = [];
const floor = [];
for (let i = 0; i < runs; i++) {
  runner.push(await time(bin, ['run'], oneInstanceEnv));
  script.push(await time('bash', [join(root, 'bench', 'bwdc-sync.sh')], scriptEnv));
  bare.push(await time(double, ['sync', '--response'], bareEnv));
  floor.push(await time(process.execPath, ['-e', floorProgram, double], bareEnv));
}
const r = median(runner.map((x) => x.ms));
const s = median(script.map((x) => x.ms));
const b = median(bare.map((x) => x.ms));
const f = median(floor.map((x) => x.ms));
const cpu = (xs) => median(xs.map((x) => x.cpuMs));
console.log(
  JSON.stringify(
    {
      runs,
      delayPerCallMs: delay,
      login,
      runner: { medianMs: Math.round(r), cpuMs: cpu(runner), bwdcInvocations: runner[0].invocations },
      script: { medianMs: Math.round(s), cpuMs: cpu(script), bwdcInvocations: script[0].invocations },
      bareSync: { medianMs: Math.round(b), cpuMs: cpu(bare), bwdcInvocations: bare[0].invocations },
      nodeFloor: { medianMs: Math.round(f), cpuMs: cpu(floor), ratioToBareSync: Number((f / b).toFixed(3)) },
      ratio: Number((r / s).toFixed(3)),
      ratioToBareSync: Number((r / b).toFixed(3)),
      identityRequests: bitwarden.tokenRequests.length,
      target: 'ratio <= 0.40 (the docs script), ratioToBareSync <= 1.15',
      met: r / s <= 0.4 && r / b <= 1.15,
    },
    null,
    2,
  ),
);
