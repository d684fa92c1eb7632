// Shards on one machine (docs/scheduler.md "Shards"): R `schedule` processes sharing one configuration of N
// instances (`--shard I/R`), each with its own state folder like a StatefulSet's pods, all N due on the same
// second, the bwdc double at --delay ms per call, --concurrency runs at once per replica. Reports whether every
// instance ran exactly once in the tick (from the double's own record of bwdc calls), the makespan against the
// ideal (total bwdc time / (R x concurrency)), and each replica's share and peak RSS (VmHWM).
//   npm run bench:shards -- --instances 5000 --replicas 4
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { arg, benchDir, bin, calls, onLogLines, runnerEnv, writeManyInstances } from './lib.mjs';

const n = Number(arg('instances', 5000));
const replicas = Number(arg('replicas', 4));
const delay = Number(arg('delay', 50));
const concurrency = Number(arg('concurrency', 4));

// The double records every call in calls.jsonl (its environment: the instance's state folder says which).
const dir = benchDir({ delayMs: delay });
/** The configuration with every instance due at `at` (to the second, UTC); the path is the same each time. */
const configDue = (at) =>
  writeManyInstances(dir, n, {
    concurrency,
    defaults: [
      `schedule: "${at.getUTCSeconds()} ${at.getUTCMinutes()} ${at.getUTCHours()} * * *"`,
      'retry: { attempts: 0 }',
    ],
  });
// First due an hour away: the tick is set once every replica is up (below), since one that started after it
// (a loaded machine) would wait a day for it.
const config = configDue(new Date(Date.now() + 60 * 60_000));

const procs = Array.from({ length: replicas }, (_, i) => {
  const env = runnerEnv(dir, {
    TZ: 'UTC',
    BWDC_RUNNER_CONFIG: config,
    BWDC_STATE_DIR: join(dir, `state-${i}`),
    BWDC_WATCH_CONFIG: 'false', // the tick is moved by SIGHUP alone: one reload each, logged
    LOG_LEVEL: 'debug', // one line per bwdc call, with its duration
  });
  const child = spawn(bin, ['schedule', '--shard', `${i}/${replicas}`], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  const p = { i, child, events: [], held: undefined, reloaded: false, peakKb: 0, bwdcMs: 0, exited: undefined };
  onLogLines(child.stdout, (e) => {
    if (e.msg === 'scheduler started') p.held = e.instances.length;
    if (e.msg === 'SIGHUP: configuration reloaded') p.reloaded = true;
    if (e.msg === 'bwdc call') p.bwdcMs += e.durationMs;
    else if (e.outcome !== undefined && e.runId) p.events.push({ outcome: e.outcome, time: e.time });
  });
  child.on('exit', (code, signal) => (p.exited = { code, signal }));
  return p;
});

/** Waits until every replica is `ready`, failing when one exits or `what` takes longer than two minutes. */
async function untilAll(ready, what) {
  const give = Date.now() + 120_000;
  while (!procs.every(ready)) {
    const gone = procs.find((p) => p.exited);
    if (gone) throw new Error(`replica ${gone.i} exited (${gone.exited.code ?? gone.exited.signal}) before ${what}`);
    if (Date.now() > give) throw new Error(`not every replica ${what} within two minutes`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
await untilAll((p) => p.held !== undefined, 'started');
const due = new Date(Date.now() + 5_000 + Math.min(20_000, n * 3));
due.setMilliseconds(0);
configDue(due);
for (const p of procs) p.child.kill('SIGHUP');
await untilAll((p) => p.reloaded, 'reloaded the configuration');
if (Date.now() >= due.getTime()) throw new Error('the replicas reloaded the configuration after the tick it sets');

const hwm = (pid) => Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);

const ended = () => procs.reduce((a, p) => a + p.events.length, 0);
while (ended() < n) {
  await new Promise((r) => setTimeout(r, 500));
  for (const p of procs) {
    if (p.exited) throw new Error(`replica ${p.i} exited (${p.exited.code ?? p.exited.signal}) before the tick ended`);
    p.peakKb = Math.max(p.peakKb, hwm(p.child.pid));
  }
  if (Date.now() - due.getTime() > 60 * 60_000) throw new Error('the tick did not finish within an hour');
}
// A second run of any instance would show within the next seconds; nothing else is due today.
await new Promise((r) => setTimeout(r, 3000));
for (const p of procs) p.peakKb = Math.max(p.peakKb, hwm(p.child.pid));
for (const p of procs) p.child.kill('SIGTERM');
await Promise.all(procs.map((p) => (p.exited ? undefined : new Promise((r) => p.child.on('exit', r)))));

// Every sync call, by instance (its state folder) and replica.
const syncs = calls(dir).filter((c) => c.command === 'sync');
const byInstance = new Map();
for (const c of syncs) {
  const [replica, name] = c.env.BITWARDENCLI_CONNECTOR_APPDATA_DIR.slice(dir.length + 1).split('/');
  byInstance.set(name, [...(byInstance.get(name) ?? []), replica]);
}
const counts = [...byInstance.values()].map((r) => r.length);
const ends = procs.flatMap((p) => p.events.map((e) => Date.parse(e.time)));
const makespan = Math.max(...ends) - due.getTime();
// The ideal: every bwdc slot of every replica busy from the due second, each call as long as it took here.
const ideal = procs.reduce((a, p) => a + p.bwdcMs, 0) / (replicas * concurrency);
const perReplica = procs.map((p) => ({
  shard: `${p.i}/${replicas}`,
  held: p.held,
  ran: p.events.length,
  succeeded: p.events.filter((e) => e.outcome === 'success').length,
  lastEndS: Number(((Math.max(...p.events.map((e) => Date.parse(e.time))) - due.getTime()) / 1000).toFixed(1)),
  bwdcS: Number((p.bwdcMs / 1000).toFixed(1)),
  peakRssMB: Number((p.peakKb / 1024).toFixed(1)),
}));
const largest = Math.max(...perReplica.map((r) => r.held));
console.log(
  JSON.stringify(
    {
      instances: n,
      replicas,
      concurrencyPerReplica: concurrency,
      delayPerCallMs: delay,
      exactlyOnce: byInstance.size === n && counts.every((c) => c === 1),
      instancesSynced: byInstance.size,
      syncCalls: syncs.length,
      makespanS: Number((makespan / 1000).toFixed(1)),
      // Balanced shares would end together; the largest share bounds the makespan.
      shareBalance: Number((n / replicas / largest).toFixed(3)),
      idealS: Number((ideal / 1000).toFixed(1)),
      efficiency: Number((ideal / makespan).toFixed(3)),
      perReplica,
    },
    null,
    2,
  ),
);
