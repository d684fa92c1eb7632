// One sync run: `bwdc-runner run` against the script of Bitwarden's docs (bench/bwdc-sync.sh), both
// driving the same bwdc double set to cost what a real bwdc call costs (a start-up delay per call),
// alternated in one process so both see the same machine. Reports medians, the ratio and the
// number of bwdc invocations each makes.
//   npm run bench:sync -- --runs 9 --delay 500
import { spawnSync } from 'node:child_process';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { arg, benchDir, bin, calls, CLIENT_ID, double, median, root } from './lib.mjs';

const runs = Number(arg('runs', 9));
const delay = Number(arg('delay', 500));

const dir = benchDir({ delayMs: delay });
const scriptApp = join(dir, 'script-app');
cpSync(join(dir, 'data.json'), join(scriptApp, 'data.json'));

const runnerEnv = {
  PATH: process.env.PATH,
  HOME: dir,
  BWDC_PATH: double,
  BWDC_STATE_DIR: join(dir, 'state'),
  BWDC_DATA_JSON: join(dir, 'data.json'),
  BW_CLIENTID: CLIENT_ID,
  BW_CLIENTSECRET_FILE: join(dir, 'client_secret'),
  BWDC_DOUBLE_CONTROL: join(dir, 'control.json'),
  BWDC_PASS_ENV: 'BWDC_DOUBLE_*',
  BWDC_LOG_FILE: 'true',
  LOG_LEVEL: 'warn',
};
const scriptEnv = {
  PATH: process.env.PATH,
  HOME: dir,
  BWDC: double,
  APPDATA: scriptApp,
  SECRET_FILE: join(dir, 'client_secret'),
  CLIENT_ID,
  BWDC_DOUBLE_CONTROL: join(dir, 'control.json'),
};

function time(cmd, args, env) {
  const before = calls(dir).length;
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { env, encoding: 'utf8' });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${cmd} exited ${r.status}: ${r.stderr}`);
  return { ms, invocations: calls(dir).length - before };
}

const runner = [];
const script = [];
for (let i = 0; i < runs; i++) {
  runner.push(time(bin, ['run'], runnerEnv));
  script.push(time('bash', [join(root, 'bench', 'bwdc-sync.sh')], scriptEnv));
}
const r = median(runner.map((x) => x.ms));
const s = median(script.map((x) => x.ms));
console.log(
  JSON.stringify(
    {
      runs,
      delayPerCallMs: delay,
      runner: { medianMs: Math.round(r), bwdcInvocations: runner[0].invocations },
      script: { medianMs: Math.round(s), bwdcInvocations: script[0].invocations },
      ratio: Number((r / s).toFixed(3)),
      target: 'ratio <= 1.0',
      met: r / s <= 1.0,
    },
    null,
    2,
  ),
);
