// Peak memory of the bwdc processes one `bwdc-runner run` starts, for sizing the scheduler pod
// (runner + concurrency x this). Polls /proc for the runner's children every 2 ms and keeps their
// VmHWM (peak RSS). With the test double the figure is the double's; point BWDC_PATH at a real bwdc
// and pass --slapd to sync a seeded slapd (test/helpers/slapd.ts) through it: the real figures the chart's
// sizing comes from (docs/kubernetes.md "Sizing").
//   npm run bench:bwdc-rss [-- --runs 5] [-- --slapd]
//   BWDC_PATH=<unzipped release>/bwdc npm run bench:bwdc-rss -- --runs 5 --slapd
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bin, benchDir, bitwarden, CLIENT_ID, double, median, runnerEnv } from './lib.mjs';

const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 5;
const bwdc = process.env.BWDC_PATH || double;
const slapd = process.argv.includes('--slapd')
  ? await (await import('../test/helpers/slapd.ts')).startSlapd()
  : undefined;

/** With --slapd: one instance with a directory block reading the seeded slapd. */
function directoryConfig(dir) {
  const config = join(dir, 'config.yaml');
  writeFileSync(join(dir, 'bind_password'), `${slapd.bindPassword}\n`);
  const instance = {
    name: 'rss',
    directory: slapd.directory,
    sync: slapd.sync,
    directorySecret: `file://${join(dir, 'bind_password')}`,
  };
  writeFileSync(
    config,
    JSON.stringify({
      defaults: { clientId: CLIENT_ID, clientSecret: `file://${join(dir, 'client_secret')}` },
      instances: [instance],
    }),
  );
  return { BWDC_RUNNER_CONFIG: config };
}

function childrenOf(pid) {
  const out = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(Number(p));
    } catch {
      /* gone */
    }
  }
  return out;
}

function hwmKb(pid) {
  try {
    return Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
  } catch {
    return 0;
  }
}

async function once() {
  const dir = benchDir();
  const env = runnerEnv(dir, {
    HOME: process.env.HOME,
    BWDC_PATH: bwdc,
    ...(slapd
      ? directoryConfig(dir)
      : {
          BWDC_DATA_JSON: join(dir, 'data.json'),
          BW_CLIENTID: CLIENT_ID,
          BW_CLIENTSECRET_FILE: join(dir, 'client_secret'),
        }),
    LOG_LEVEL: 'warn',
  });
  const runner = spawn(process.execPath, [bin, 'run'], { env, stdio: 'ignore' });
  const peaks = new Map();
  let runnerPeak = 0;
  const timer = setInterval(() => {
    runnerPeak = Math.max(runnerPeak, hwmKb(runner.pid));
    for (const c of childrenOf(runner.pid)) peaks.set(c, Math.max(peaks.get(c) ?? 0, hwmKb(c)));
  }, 2);
  const code = await new Promise((r) => runner.on('close', r));
  clearInterval(timer);
  if (code !== 0) throw new Error(`run exited ${code}`);
  return { bwdcKb: Math.max(...peaks.values()), runnerKb: runnerPeak, processes: peaks.size };
}

const results = [];
for (let i = 0; i < runs; i++) results.push(await once());
const mb = (kb) => (kb / 1024).toFixed(1);
console.log(
  JSON.stringify(
    {
      bwdc,
      directory: slapd ? `slapd ${slapd.url}` : 'the double',
      runs,
      bwdcPeakRssMbMedian: mb(median(results.map((r) => r.bwdcKb))),
      bwdcPeakRssMbMax: mb(Math.max(...results.map((r) => r.bwdcKb))),
      runnerPeakRssMbMedian: mb(median(results.map((r) => r.runnerKb))),
      bwdcProcessesPerRun: median(results.map((r) => r.processes)),
      importsReceived: bitwarden.imports.length,
    },
    null,
    2,
  ),
);
