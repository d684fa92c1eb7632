// An instance's first run after it moves to another scheduler replica (docs/scheduler.md "Shards"): its
// bwdc state (data.json: the payload hash, delta tokens) stays on the old replica's volume, so the new one
// starts from an empty state folder, as a first run. Measured with a real bwdc (BWDC_PATH) syncing a slapd
// seeded with --users users: per round, a run in an empty state folder (the move) and then a run in the
// state it left (what the old replica would have done), each timed (wall, and CPU of the runner and bwdc)
// and whether it sent an import to the Bitwarden server.
//   BWDC_PATH=<unzipped release>/bwdc npm run bench:moved -- --rounds 3 --users 500
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { arg, benchDir, bitwarden, CLIENT_ID, bin, median, runnerEnv } from './lib.mjs';

const rounds = Number(arg('rounds', 3));
const users = Number(arg('users', 500));
const bwdc = process.env.BWDC_PATH;
if (!bwdc) throw new Error('set BWDC_PATH to a real bwdc (an unzipped release): the double has no payload hash');
const slapd = await (await import('../test/helpers/slapd.ts')).startSlapd();
for (let i = 0; i < users; i++) await slapd.addUser({ uid: `user${i}`, cn: `User ${i}`, mail: `user${i}@example.com` });
await slapd.addGroup(
  'everyone',
  Array.from({ length: users }, (_, i) => `user${i}`),
);

function configIn(dir) {
  writeFileSync(join(dir, 'bind_password'), `${slapd.bindPassword}\n`);
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    JSON.stringify({
      defaults: { clientId: CLIENT_ID, clientSecret: `file://${join(dir, 'client_secret')}` },
      instances: [
        {
          name: 'moved',
          directory: slapd.directory,
          sync: slapd.sync,
          directorySecret: `file://${join(dir, 'bind_password')}`,
        },
      ],
    }),
  );
  return config;
}

/** One `bwdc-runner run` in state folder `state`: wall ms, CPU ms (runner and children), import sent. */
async function run(dir, state) {
  const env = runnerEnv(dir, {
    HOME: process.env.HOME,
    BWDC_PATH: bwdc,
    BWDC_RUNNER_CONFIG: configIn(dir),
    BWDC_STATE_DIR: state,
    LOG_LEVEL: 'warn',
  });
  const imports = bitwarden.imports.length;
  const t0 = performance.now();
  const child = spawn(process.execPath, [bin, 'run'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (c) => (out += c));
  child.stderr.on('data', (c) => (out += c));
  const code = await new Promise((r) => child.on('close', r));
  const wallMs = performance.now() - t0;
  if (code !== 0) throw new Error(`run exited ${code}: ${out.slice(-2000)}`);
  return {
    wallMs,
    imported: bitwarden.imports.length > imports,
    importBytes: JSON.stringify(bitwarden.imports.at(-1)?.body ?? {}).length,
  };
}

const moved = [];
const stayed = [];
for (let i = 0; i < rounds; i++) {
  const dir = benchDir();
  const state = join(dir, `state-${i}`);
  const before = childCpuMs();
  moved.push({ ...(await run(dir, state)), cpuMs: childCpuMs() - before });
  const mid = childCpuMs();
  stayed.push({ ...(await run(dir, state)), cpuMs: childCpuMs() - mid });
}
slapd.stop();

/** CPU of this process's reaped children (the runner, and the bwdc it waited for): cutime + cstime, 10 ms ticks. */
function childCpuMs() {
  const f = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
  return (Number(f[13]) + Number(f[14])) * 10;
}

const summary = (xs) => ({
  wallMsMedian: Math.round(median(xs.map((x) => x.wallMs))),
  cpuMsMedian: Math.round(median(xs.map((x) => x.cpuMs))),
  importsSent: xs.filter((x) => x.imported).length,
  importBytes: Math.max(...xs.map((x) => (x.imported ? x.importBytes : 0))),
});
console.log(
  JSON.stringify(
    { bwdc, users, rounds, firstRunAfterMove: summary(moved), nextRunInItsState: summary(stayed) },
    null,
    2,
  ),
);
