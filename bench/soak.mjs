// Soak: the scheduler runs --runs sync runs (default 20,000) with a fast bwdc double and
// --fault-rate (default 10%) random faults (error, network, 401 crash, emptied data.json, SIGKILL,
// LDAP bind). Checks that every due run is accounted for (finished, skipped as overlap, or dropped
// at shutdown), that no zombie or stray bwdc process is left, that open file descriptors do not
// grow, and that the runner's memory is flat after warm-up. --token-ttl SECONDS shortens the
// organization tokens' lifetime (the runner renews a token with less than 5 minutes left, so 301
// means a new token about every second): the redactor must forget expired tokens, so the heap
// (nodejs_heap_size_used_bytes from /metrics) stays flat while tokens keep coming.
//   npm run soak -- --runs 20000        (CI runs a short version: test/soak.test.ts)
//   npm run soak -- --runs 20000 --token-ttl 301
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { arg, benchDir, bin, bitwarden, median, onLogLines, runnerEnv, writeManyInstances } from './lib.mjs';

const target = Number(arg('runs', 20000));
const instances = Number(arg('instances', 20));
const faultRate = Number(arg('fault-rate', 0.1));
const concurrency = Number(arg('concurrency', 4));
bitwarden.tokenTtlSec = Number(arg('token-ttl', 3600));

const dir = benchDir({ faultRate, record: undefined });
const config = writeManyInstances(dir, instances, {
  prefix: 's',
  concurrency,
  defaults: ['schedule: "* * * * * *"', 'timeout: 20s', 'retry: { attempts: 1, backoff: 100ms, maxBackoff: 200ms }'],
});
const env = runnerEnv(dir, {
  BWDC_RUNNER_CONFIG: config,
  LOG_LEVEL: 'info',
  BWDC_SHUTDOWN_GRACE: '10s',
  BWDC_HTTP_PORT: '0',
  BWDC_HTTP_HOST: '127.0.0.1',
});

const child = spawn(bin, ['schedule'], { env, stdio: ['ignore', 'pipe', 'inherit'] }); // as users run it: the shebang's V8 flags apply
const counts = { success: 0, failure: 0, skipped: 0, restored: 0 };
const classes = {};
let stopped;
let port;
onLogLines(child.stdout, (e) => {
  if (e.port !== undefined) port = e.port;
  if (e.outcome && e.runId) {
    counts[e.outcome]++;
    if (e.failureClass) classes[e.failureClass] = (classes[e.failureClass] ?? 0) + 1;
    if (e.restoredDataJson) counts.restored++;
  }
  if (e.msg === 'stopped') stopped = e;
});

const status = () => readFileSync(`/proc/${child.pid}/status`, 'utf8');
const rssKb = () => Number(/VmRSS:\s+(\d+)/.exec(status())[1]);
const fds = () => readdirSync(`/proc/${child.pid}/fd`).length;
const zombies = () =>
  spawnSync('ps', ['-o', 'stat=', '--ppid', String(child.pid)], { encoding: 'utf8' })
    .stdout.split('\n')
    .filter((s) => s.startsWith('Z')).length;
/** The runner's own heap, as its /metrics reports it (prom-client's default metrics). */
async function heapMB() {
  if (!port) return undefined;
  const text = await fetch(`http://127.0.0.1:${port}/metrics`).then(
    (r) => r.text(),
    () => '',
  );
  const used = /^nodejs_heap_size_used_bytes (\S+)$/m.exec(text)?.[1];
  return used === undefined ? undefined : Number(used) / 1024 / 1024;
}
const samples = [];
const started = Date.now();
const finished = () => counts.success + counts.failure + counts.skipped;
let maxZombies = 0;
while (finished() < target) {
  await new Promise((r) => setTimeout(r, 2000));
  samples.push({
    t: Date.now() - started,
    runs: finished(),
    rssMB: rssKb() / 1024,
    fds: fds(),
    heapMB: await heapMB(),
  });
  maxZombies = Math.max(maxZombies, zombies());
}
child.kill('SIGTERM');
await new Promise((r) => child.on('exit', r));
// This soak's own bwdc processes only (a user's demo or another test may run the double meanwhile): those
// whose environment names this run's control file, left alive after the runner exited.
const ownBwdc = () => {
  const pids = spawnSync('pgrep', ['-f', 'double.mjs'], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
  const control = join(dir, 'control.json');
  return pids.filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(`BWDC_DOUBLE_CONTROL=${control}`);
    } catch {
      return false; // gone meanwhile, or not ours to read
    }
  });
};
const stray = ownBwdc().length;

const warm = samples.filter((s) => s.runs >= target * 0.2);
const q = Math.max(1, Math.floor(warm.length / 4));
const early = median(warm.slice(0, q).map((s) => s.rssMB));
const late = median(warm.slice(-q).map((s) => s.rssMB));
const heaps = warm.filter((s) => s.heapMB !== undefined);
const heapEarly = median(heaps.slice(0, q).map((s) => s.heapMB));
const heapLate = median(heaps.slice(-q).map((s) => s.heapMB));
const t = stopped?.totals ?? {};
const accounted = t.finished + t.overlaps + t.dropped + (t.removed ?? 0);
const report = {
  runs: finished(),
  minutes: Number(((Date.now() - started) / 60000).toFixed(1)),
  instances,
  concurrency,
  faultRate,
  outcomes: counts,
  failureClasses: classes,
  accounting: {
    due: t.due,
    finished: t.finished,
    overlaps: t.overlaps,
    dropped: t.dropped,
    balanced: t.due === accounted && finished() === t.finished,
  },
  processes: {
    maxZombiesSeen: maxZombies,
    leftoverBwdcProcesses: stray,
  },
  fds: { first: warm[0]?.fds, last: warm.at(-1)?.fds, max: Math.max(...samples.map((s) => s.fds)) },
  memoryMB: {
    afterWarmup: Number(early.toFixed(1)),
    atEnd: Number(late.toFixed(1)),
    growthPercent: Number((((late - early) / early) * 100).toFixed(1)),
    peak: Number(Math.max(...samples.map((s) => s.rssMB)).toFixed(1)),
    heapAfterWarmup: Number(heapEarly?.toFixed(1)),
    heapAtEnd: Number(heapLate?.toFixed(1)),
  },
  tokens: { ttlSeconds: bitwarden.tokenTtlSec, identityRequests: bitwarden.tokenRequests.length },
};
console.log(JSON.stringify(report, null, 2));
const ok =
  report.accounting.balanced &&
  report.processes.leftoverBwdcProcesses === 0 &&
  maxZombies <= concurrency &&
  report.fds.last <= report.fds.first + 5;
process.exit(ok ? 0 : 1);
