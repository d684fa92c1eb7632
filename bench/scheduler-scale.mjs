// The scheduler at scale: N instances in one `schedule` process, all due on the same second, the
// bwdc double at --delay ms per call, --concurrency runs at once. From the runner's own logs and
// /proc: makespan against the ideal (total bwdc time / concurrency), start delay of each run from
// its due time (p50, p99), peak RSS of the runner (VmHWM), CPU used while idle after the wave.
//   npm run bench:scale -- --instances 1000 --delay 50 --concurrency 8
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { arg, benchDir, bin, onLogLines, percentile, runnerEnv, writeManyInstances } from './lib.mjs';

const n = Number(arg('instances', 1000));
const delay = Number(arg('delay', 50));
const concurrency = Number(arg('concurrency', 8));
// Idle CPU over 60 s by default: croner re-checks its jobs every 30 s, so a shorter window can miss a check.
const idleSeconds = Number(arg('idle', 60));

const dir = benchDir({ delayMs: delay, record: undefined });
const due = new Date(Date.now() + 8000 + (n > 100 ? 4000 : 0));
due.setMilliseconds(0);
const cron = `${due.getUTCSeconds()} ${due.getUTCMinutes()} ${due.getUTCHours()} * * *`;
const config = writeManyInstances(dir, n, { concurrency, defaults: [`schedule: "${cron}"`, 'retry: { attempts: 0 }'] });
const env = runnerEnv(dir, { TZ: 'UTC', BWDC_RUNNER_CONFIG: config, LOG_LEVEL: 'debug' });
// --node-options: V8 flags for the runner process, e.g. "--max-semi-space-size=2" (see bench/README.md).
// Without it, the bin is executed as users run it (its shebang sets the runner's own V8 flags).
const nodeOptions = (arg('node-options', '') || '').split(' ').filter(Boolean);
// --nice: BWDC_NICE for the runner (default: the runner's own default, 10).
if (arg('nice', undefined) !== undefined) env.BWDC_NICE = String(arg('nice'));
const child = nodeOptions.length
  ? spawn(process.execPath, [...nodeOptions, bin, 'schedule'], { env, stdio: ['ignore', 'pipe', 'inherit'] })
  : spawn(bin, ['schedule'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
const events = [];
onLogLines(child.stdout, (e) => events.push(e));

const procStat = () => {
  const f = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(f[11]) + Number(f[12]); // utime + stime, in clock ticks
};
const hwmKb = () => Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))[1]);

// A runner that dies (a bad configuration, a missing build) ends the benchmark, instead of a wait for a
// wave that never comes.
let exited;
child.on('exit', (code, signal) => (exited = { code, signal }));
const cpuAtStart = procStat();
const ended = () => events.filter((e) => e.outcome !== undefined && e.runId).length;
while (ended() < n) {
  await new Promise((r) => setTimeout(r, 200));
  if (exited) throw new Error(`the runner exited (${exited.code ?? exited.signal}) before the wave finished`);
  if (Date.now() - due.getTime() > 30 * 60_000) throw new Error('wave did not finish');
}
const peakKb = hwmKb();
const waveTicks = procStat() - cpuAtStart;
// Idle: nothing due for a day. Let V8 finish tidying up after the wave, then measure CPU over idleSeconds.
await new Promise((r) => setTimeout(r, Number(arg('settle', 30)) * 1000));
const t0 = procStat();
await new Promise((r) => setTimeout(r, idleSeconds * 1000));
const idleTicks = procStat() - t0;
child.kill('SIGTERM');
await new Promise((r) => child.on('exit', r));

const starts = events.filter((e) => e.msg === 'run started').map((e) => Date.parse(e.time) - due.getTime());
const ends = events.filter((e) => e.outcome !== undefined && e.runId).map((e) => Date.parse(e.time));
const bwdcMs = events.filter((e) => e.msg === 'bwdc call').reduce((a, e) => a + e.durationMs, 0);
const makespan = Math.max(...ends) - due.getTime();
const ideal = bwdcMs / concurrency;
const ticksPerSecond = 100;
const firstWave = starts.sort((a, b) => a - b).slice(0, concurrency);
console.log(
  JSON.stringify(
    {
      instances: n,
      delayPerCallMs: delay,
      concurrency,
      succeeded: events.filter((e) => e.outcome === 'success').length,
      makespanMs: makespan,
      idealMs: Math.round(ideal),
      efficiency: Number((ideal / makespan).toFixed(3)),
      startDelayFirstWaveMs: { p50: percentile(firstWave, 50), p99: percentile(firstWave, 99) },
      startDelayAllMs: { p50: percentile(starts, 50), p99: percentile(starts, 99) },
      runnerCpuMsPerRun: Number(((waveTicks * 10) / n).toFixed(1)),
      peakRssMB: Number((peakKb / 1024).toFixed(1)),
      idleCpuPercentOfCore: Number(((idleTicks / ticksPerSecond / idleSeconds) * 100).toFixed(2)),
      targets: { efficiency: '>= 0.95', peakRssMB: '<= 100 (1,000 instances)', idleCpu: '< 1%' },
    },
    null,
    2,
  ),
);
