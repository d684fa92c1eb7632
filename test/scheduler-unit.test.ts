// The scheduler in-process with a fake run function: spreading, the concurrency limit, fairness.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Scheduler } from '../src/scheduler/scheduler.js';
import { retryWaitMs } from '../src/runner/retry-policy.js';
import { retry } from '../src/shared/retry.js';
import { cronZone, spreadOffsetMs, scheduleIntervalMs } from '../src/scheduler/timing.js';
import { Cron } from 'croner';
import { createLogger } from '../src/observability/logger.js';
import type { InstanceConfig } from '../src/config/model.js';
import type { RunResult } from '../src/runner/result.js';
import { waitFor } from './helpers/fixture.js';

const log = await createLogger({ level: 'silent' });

function instance(name: string, schedule = '0 0 1 1 *', extra: Partial<InstanceConfig> = {}): InstanceConfig {
  return {
    name,
    schedule,
    timezone: undefined,
    clientId: 'x',
    clientSecret: 'x',
    directorySecret: undefined,
    server: undefined,
    timeoutMs: 1000,
    login: 'runner',
    retry: { attempts: 0, backoffMs: 10, maxBackoffMs: 10 },
    guard: { maxRemovals: undefined, refuseEmptyDirectory: true, requireSeats: true },
    notify: [],
    heartbeat: undefined,
    logFile: undefined,
    spreadMs: 0,
    jitterMs: 0,
    staleAfter: 3,
    quarantineAfter: 0,
    origin: 'test',
    dataJson: { text: '{}', hash: 'h', origin: 'test', directoryType: undefined },
    ...extra,
  };
}

function result(name: string, outcome: RunResult['outcome'] = 'success'): RunResult {
  const now = new Date();
  return {
    instance: name,
    runId: 'r',
    mode: 'sync',
    outcome,
    failureClass: undefined,
    exitCode: 0,
    message: '',
    users: 0,
    groups: 0,
    test: undefined,
    startedAt: now,
    endedAt: now,
    durationMs: 1,
    attempts: 1,
    bwdcCalls: 2,
    seeded: undefined,
    restoredDataJson: false,
    interrupted: false,
    lastSuccessAt: outcome === 'success' ? now : undefined,
  };
}

test('the spread offset is deterministic, inside its window, and spreads many instances out', () => {
  assert.equal(spreadOffsetMs('instance-1', 3_600_000), spreadOffsetMs('instance-1', 3_600_000));
  assert.equal(spreadOffsetMs('x', 0), 0);
  const buckets = new Array(60).fill(0);
  for (let i = 0; i < 1000; i++) {
    const off = spreadOffsetMs(`instance-${i}`, 3_600_000);
    assert.ok(off >= 0 && off < 3_600_000);
    buckets[Math.floor(off / 60_000)]++;
  }
  // 1000 instances over 60 minutes: about 17 a minute; none of the minutes takes a crowd.
  assert.ok(Math.max(...buckets) < 45, `busiest minute: ${Math.max(...buckets)}`);
  assert.ok(buckets.filter((b) => b === 0).length < 5);
});

test('retry policy: transient classes only, up to `attempts` retries, exponential backoff with jitter under the cap', () => {
  const retry = { attempts: 2, backoffMs: 1000, maxBackoffMs: 3000 };
  assert.equal(retryWaitMs('auth', 1, retry), undefined);
  assert.equal(retryWaitMs(undefined, 1, retry), undefined);
  assert.equal(retryWaitMs('network', 3, retry), undefined, 'two retries, then stop');
  assert.equal(
    retryWaitMs('timeout', 1, retry, () => 0),
    500,
  );
  assert.equal(
    retryWaitMs('timeout', 1, retry, () => 1),
    1000,
  );
  assert.equal(
    retryWaitMs('server', 2, retry, () => 1),
    2000,
  );
  assert.equal(
    retryWaitMs('server', 2, { ...retry, attempts: 5 }, () => 1),
    2000,
  );
  assert.equal(
    retryWaitMs('server', 4, { ...retry, attempts: 5 }, () => 1),
    3000,
    'capped',
  );
});

test('UTC zones become a fixed offset for croner, with the same run times as the named zone', () => {
  assert.deepEqual(cronZone('UTC'), { utcOffset: 0 });
  assert.deepEqual(cronZone('Etc/UTC'), { utcOffset: 0 });
  assert.deepEqual(cronZone('Europe/Berlin'), { timezone: 'Europe/Berlin' });
  assert.deepEqual(cronZone(undefined), {});
  for (const pattern of ['0 3 * * *', '5 30 11 * * 1-5', '*/15 * * * *', '0 0 29 2 *']) {
    const named = new Cron(pattern, { timezone: 'UTC', paused: true }).nextRuns(5).map((d) => d.toISOString());
    const offset = new Cron(pattern, { ...cronZone('UTC'), paused: true }).nextRuns(5).map((d) => d.toISOString());
    assert.deepEqual(offset, named, pattern);
  }
});

test('the interval of a schedule', () => {
  assert.equal(scheduleIntervalMs('*/15 * * * *', 'UTC'), 900_000);
  assert.equal(scheduleIntervalMs('* * * * * *', undefined), 1000);
});

test('never more than `concurrency` runs in bwdc at once; the next ones prepare meanwhile; every due instance completes', async () => {
  let inBwdc = 0;
  let peakBwdc = 0;
  let inRun = 0;
  let peakRun = 0;
  const done: string[] = [];
  const s = new Scheduler({
    concurrency: 3,
    log,
    run: async (inst, { costly: costlySlot }) => {
      inRun++;
      peakRun = Math.max(peakRun, inRun);
      await new Promise((r) => setTimeout(r, 5)); // preparing
      await costlySlot(async () => {
        inBwdc++;
        peakBwdc = Math.max(peakBwdc, inBwdc);
        await new Promise((r) => setTimeout(r, 20));
        inBwdc--;
      });
      inRun--;
      done.push(inst.name);
      return result(inst.name);
    },
  });
  s.apply(Array.from({ length: 20 }, (_, i) => instance(`i${i}`)));
  s.start(true);
  await waitFor(() => done.length === 20);
  assert.equal(peakBwdc, 3, 'the concurrency limit holds for bwdc');
  assert.equal(peakRun, 6, 'as many runs again prepare or tidy up alongside');
  assert.deepEqual(
    done,
    Array.from({ length: 20 }, (_, i) => `i${i}`),
    'first in, first out',
  );
  await s.stop(100);
});

test('fair queue: with one slot and instances due every second, none starves', async () => {
  const counts = new Map<string, number>();
  const s = new Scheduler({
    concurrency: 1,
    log,
    run: async (inst) => {
      await new Promise((r) => setTimeout(r, 150));
      counts.set(inst.name, (counts.get(inst.name) ?? 0) + 1);
      return result(inst.name);
    },
  });
  s.apply(['a', 'b', 'c', 'd'].map((n) => instance(n, '* * * * * *')));
  s.start(false);
  await new Promise((r) => setTimeout(r, 3500));
  await s.stop(1000);
  for (const n of ['a', 'b', 'c', 'd'])
    assert.ok((counts.get(n) ?? 0) >= 1, `${n} ran ${counts.get(n) ?? 0} times: ${JSON.stringify([...counts])}`);
});

test('stop() drops queued runs and prepared runs still waiting for bwdc, waits for running ones within the grace, then aborts them', async () => {
  const aborted: string[] = [];
  const dropped: string[] = [];
  const s = new Scheduler({
    concurrency: 1,
    log,
    hooks: { onDropped: (name) => dropped.push(name) },
    run: (inst, { signal, costly: costlySlot }) =>
      costlySlot(
        () =>
          new Promise((resolve) => {
            signal.addEventListener('abort', () => {
              aborted.push(inst.name);
              resolve(result(inst.name, 'failure'));
            });
          }),
      ),
  });
  s.apply([instance('first'), instance('second'), instance('third')]);
  s.start(true);
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(
    s.status().map((x) => x.state),
    ['running', 'running', 'queued'],
    'second is admitted (preparing), third waits',
  );
  const t0 = Date.now();
  const { abortedRunning } = await s.stop(200);
  assert.equal(abortedRunning, true);
  assert.ok(Date.now() - t0 < 1000);
  assert.deepEqual(aborted, ['first'], 'only the run in bwdc was running');
  assert.deepEqual(dropped.sort(), ['second', 'third']);
  assert.deepEqual(s.totals, {
    due: 3,
    overlaps: 0,
    dropped: 2,
    removed: 0,
    finished: 1,
  });
});

test('instances sharing a schedule share one croner job; removing or changing one leaves the others ticking', async () => {
  const runs = new Map<string, number>();
  const s = new Scheduler({
    concurrency: 4,
    log,
    run: async (i) => {
      runs.set(i.name, (runs.get(i.name) ?? 0) + 1);
      return result(i.name);
    },
  });
  const every = '* * * * * *';
  const everyOther = '*/2 * * * * *';
  s.apply([
    instance('a', every),
    instance('b', every),
    instance('c', every),
    instance('d', everyOther),
    instance('e', every, { timezone: 'Europe/Berlin' }),
  ]);
  s.start(false);
  assert.equal(s.cronJobs, 3, 'a, b, c share one; d and e (another time zone) have their own');
  await waitFor(() => ['a', 'b', 'c', 'd', 'e'].every((n) => (runs.get(n) ?? 0) >= 1), 5000);

  s.apply([instance('a', every), instance('c', everyOther), instance('d', everyOther)]);
  assert.equal(s.cronJobs, 2, "b and e removed, c moved to d's schedule");
  runs.clear();
  await waitFor(() => ['a', 'c', 'd'].every((n) => (runs.get(n) ?? 0) >= 1), 5000);
  assert.equal(runs.get('b'), undefined);
  assert.equal(runs.get('e'), undefined);
  assert.ok(s.status().every((x) => x.nextRun !== null));

  s.apply([instance('d', everyOther)]);
  assert.equal(s.cronJobs, 1);
  await s.stop(100);
  assert.equal(s.cronJobs, 0, 'stop() stops every croner job');
});

test('apply() reports what was added, changed and removed', () => {
  const s = new Scheduler({ concurrency: 1, log, run: async (i) => result(i.name) });
  assert.deepEqual(s.apply([instance('a'), instance('b')]), { added: ['a', 'b'], changed: [], removed: [] });
  assert.deepEqual(s.apply([instance('a', '5 * * * *'), instance('c')]), {
    added: ['c'],
    changed: ['a'],
    removed: ['b'],
  });
  assert.deepEqual(
    s.status().map((x) => x.directory),
    ['a', 'c'],
  );
});

test('an instance removed by a reload while queued never runs, and one removed while in bwdc finishes unreported: no metrics come back', async () => {
  const started: string[] = [];
  const inBwdc: string[] = [];
  const reported: string[] = [];
  const dropped: string[] = [];
  let release!: () => void;
  const slotOpen = new Promise<void>((r) => (release = r));
  const s = new Scheduler({
    concurrency: 1,
    log,
    run: async (i, { costly }) => {
      started.push(i.name);
      await costly(async () => {
        inBwdc.push(i.name);
        if (i.name === 'busy') await slotOpen;
      });
      return result(i.name);
    },
    hooks: { onResult: (r) => reported.push(r.instance), onDropped: (n) => dropped.push(n) },
  });
  s.apply([instance('busy'), instance('waits'), instance('keep')]);
  s.start(true);
  await waitFor(() => started.includes('busy'));
  // busy is in bwdc (concurrency 1); waits and keep are queued behind it. Remove busy and waits.
  assert.deepEqual(s.apply([instance('keep')]).removed, ['busy', 'waits']);
  release();
  await waitFor(() => reported.includes('keep'));
  await s.stop(100);
  assert.deepEqual(inBwdc, ['busy', 'keep'], 'the removed queued instance never reaches bwdc');
  assert.deepEqual(reported, ['keep'], 'only the kept instance is reported');
  assert.deepEqual(dropped, [], 'a removal is not a drop');
  assert.equal(
    s.totals.due,
    s.totals.finished + s.totals.overlaps + s.totals.dropped + s.totals.removed,
    'every due run accounted for',
  );
  assert.equal(s.totals.removed, 2);
});

/** The runs a croner job makes from `from` on, as the scheduler computes them (each from the last). */
function runsFrom(pattern: string, timezone: string, from: string, until: string): Date[] {
  const job = new Cron(pattern, { ...cronZone(timezone), paused: true });
  const out: Date[] = [];
  let at: Date | null = new Date(from);
  while ((at = job.nextRun(at)) && at < new Date(until)) out.push(at);
  job.stop();
  return out;
}
const berlin = (d: Date) => d.toLocaleString('sv', { timeZone: 'Europe/Berlin' });

test('daylight saving, Europe/Berlin: a daily 02:30 job runs once every day across both changes, never twice, never lost', () => {
  for (const [from, until] of [
    ['2026-03-27T12:00:00Z', '2026-04-01T12:00:00Z'],
    ['2026-10-23T12:00:00Z', '2026-10-28T12:00:00Z'],
  ] as const) {
    const runs = runsFrom('30 2 * * *', 'Europe/Berlin', from, until);
    const days = runs.map((d) => berlin(d).slice(0, 10));
    assert.equal(new Set(days).size, days.length, `one run a day: ${runs.map(berlin).join(', ')}`);
    assert.equal(days.length, 5, `no day lost: ${runs.map(berlin).join(', ')}`);
  }
  // 29 March 2026: 02:30 does not exist (02:00 -> 03:00); the run is at 03:30 local, an hour late, not lost.
  assert.deepEqual(
    runsFrom('30 2 * * *', 'Europe/Berlin', '2026-03-29T00:00:00Z', '2026-03-29T23:00:00Z').map(berlin),
    ['2026-03-29 03:30:00'],
  );
  // 25 October 2026: 02:30 happens twice (summer time, then winter time); it runs once, in winter time.
  assert.deepEqual(
    runsFrom('30 2 * * *', 'Europe/Berlin', '2026-10-24T23:00:00Z', '2026-10-25T22:00:00Z').map((d) => d.toISOString()),
    ['2026-10-25T01:30:00.000Z'],
  );
});

test('daylight saving, Europe/Berlin: */30 keeps every real half hour in spring, and runs each wall-clock time once in the repeated autumn hour', () => {
  const spring = runsFrom('*/30 * * * *', 'Europe/Berlin', '2026-03-28T23:00:00Z', '2026-03-29T04:00:00Z');
  for (let i = 1; i < spring.length; i++)
    assert.equal(
      spring[i]!.getTime() - spring[i - 1]!.getTime(),
      30 * 60_000,
      `${berlin(spring[i - 1]!)} -> ${berlin(spring[i]!)}`,
    );
  const autumn = runsFrom('*/30 * * * *', 'Europe/Berlin', '2026-10-24T22:00:00Z', '2026-10-25T04:00:00Z');
  const local = autumn.map(berlin);
  assert.equal(new Set(local).size, local.length, `no wall-clock time twice: ${local.join(', ')}`);
  // 02:00 runs in summer time, 02:30 in winter time: one 90-minute gap, documented in docs/configuration.md ("Environment variables", its paragraph Time zones).
  const gaps = autumn.slice(1).map((d, i) => (d.getTime() - autumn[i]!.getTime()) / 60_000);
  assert.deepEqual(
    gaps.filter((g) => g !== 30),
    [90],
  );
});

test('the shared retry loop: retries only what the caller calls retryable, counts attempts, an abort ends the wait', async () => {
  const transient = new Error('transient');
  const fatal = new Error('fatal');
  const calls: number[] = [];
  const retried: number[] = [];
  const o = { retries: 2, baseMs: 1, maxMs: 1, onRetry: (_e: unknown, n: number) => retried.push(n) };
  const retryable = (e: unknown) => e === transient;
  // Two failures, then the value.
  const value = await retry(
    async (n) => {
      calls.push(n);
      if (n < 3) throw transient;
      return 'ok';
    },
    retryable,
    o,
  );
  assert.equal(value, 'ok');
  assert.deepEqual(calls, [1, 2, 3]);
  assert.deepEqual(retried, [1, 2]);
  // Out of retries: the last failure, after 1 + retries attempts.
  let n = 0;
  await assert.rejects(
    retry(async () => (n++, Promise.reject(transient)), retryable, o),
    /transient/,
  );
  assert.equal(n, 3);
  // Not retryable: thrown after one attempt.
  n = 0;
  await assert.rejects(
    retry(async () => (n++, Promise.reject(fatal)), retryable, o),
    /fatal/,
  );
  assert.equal(n, 1);
  // An abort during a long wait ends it at once, with the failure that led to it.
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 50);
  const t0 = Date.now();
  n = 0;
  await assert.rejects(
    retry(async () => (n++, Promise.reject(transient)), retryable, {
      retries: 5,
      baseMs: 60_000,
      maxMs: 60_000,
      signal: ac.signal,
    }),
    /transient/,
  );
  assert.equal(n, 1);
  assert.ok(Date.now() - t0 < 30_000, 'the wait did not run its course');
});

test('a run waiting to retry holds no slot: others are admitted meanwhile; /status says retry-wait; stop() ends the wait', async () => {
  const started: string[] = [];
  let waitEnded = false;
  const s = new Scheduler({
    concurrency: 1, // two admitted at once
    log,
    run: async (inst, { costly, away, draining }) => {
      started.push(inst.name);
      await costly(async () => undefined);
      if (inst.name === 'a' || inst.name === 'b') {
        // What runInstance does between attempts: wait away from the slots until shutdown.
        await away(() => new Promise<void>((r) => draining.addEventListener('abort', () => r(), { once: true })));
        waitEnded = true;
      }
      return result(inst.name, 'failure');
    },
  });
  s.apply(['a', 'b', 'c'].map((n) => instance(n)));
  s.start(true);
  await waitFor(() => started.includes('c'));
  const states = Object.fromEntries(s.status().map((st) => [st.directory, st.state]));
  assert.equal(states.a, 'retry-wait');
  assert.equal(states.b, 'retry-wait');
  const t0 = Date.now();
  await s.stop(10_000);
  assert.ok(waitEnded, 'the wait ended with the shutdown');
  assert.ok(Date.now() - t0 < 5000, 'not held until the grace period ends');
  assert.equal(s.totals.finished, 3);
});
