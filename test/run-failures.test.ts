// The scheduler's and the run's failure paths (docs/scheduler.md): one due tick is one run whatever its
// attempts; every run that starts tells its end, whatever step failed; skipped runs release what they hold.
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { loadConfig } from '../src/config/load.js';
import { createLogger, type Logger } from '../src/observability/logger.js';
import { watchedRuns } from '../src/observability/run-tail.js';
import { runInstance } from '../src/runner/run-instance.js';
import { createSecretResolver } from '../src/secrets/index.js';
import { InstanceState } from '../src/state/instance-state.js';
import { ldapTemplate, makeFixture, runCli, startCli, waitFor, type CliRun } from './helpers/fixture.js';
import { receiver } from './helpers/receiver.js';

const live: CliRun[] = [];
afterEach(() => {
  for (const r of live.splice(0)) r.kill('SIGKILL');
});

async function scrape(run: CliRun): Promise<string> {
  await waitFor(() => run.logs().some((l) => l.port !== undefined), 60_000);
  const port = run.logs().find((l) => l.port !== undefined)!.port as number;
  return (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
}

const sample = (text: string, key: string) =>
  Number(
    text
      .split('\n')
      .find((l) => l.startsWith(`${key} `))
      ?.split(' ')[1] ?? NaN,
  );

test('schedule: one tick whose attempts all fail is one failed run (one start, one failure ping, one notice, failures + 1)', async () => {
  const hb = await receiver();
  const hook = await receiver();
  const fx = makeFixture();
  fx.control({ faults: { sync: 'network' } });
  const cfg = fx.writeConfig(
    [
      {
        name: 'flaky',
        schedule: '0 0 1 1 *',
        retry: { attempts: 2, backoff: '100ms' },
        heartbeat: `${hb.url}/hb`,
        notify: [{ url: `${hook.url}/notify`, after: 1 }],
      },
    ],
    'runOnStart: true',
  );
  const run = startCli(['schedule', '--config', cfg], fx.fileEnv({ BWDC_HTTP_PORT: '0', BWDC_HTTP_HOST: '127.0.0.1' }));
  live.push(run);
  await waitFor(() => run.logs().some((l) => typeof l.msg === 'string' && l.msg.startsWith('run failed')), 30_000);
  await waitFor(() => hb.got.some((g) => g.path === '/hb/1') && hook.got.length > 0, 10_000);
  // Whatever else the old behaviour would send comes within the backoff: give it time to show.
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(fx.records().filter((c) => c.command === 'sync').length, 3, 'three attempts');
  assert.deepEqual(
    hb.got.map((g) => g.path),
    ['/hb/start', '/hb/1'],
  );
  assert.equal(hook.got.length, 1, 'one notice');
  const last = JSON.parse(readFileSync(join(fx.stateDir, 'flaky', 'last-run.json'), 'utf8'));
  assert.equal(last.consecutiveFailures, 1);
  const m = await scrape(run);
  assert.equal(sample(m, 'bwdc_runner_runs_total{directory="flaky",outcome="failure"}'), 1);
  assert.equal(sample(m, 'bwdc_runner_attempts_total{directory="flaky"}'), 3);
  assert.equal(sample(m, 'bwdc_runner_retries_total{directory="flaky",class="network"}'), 2);
  const failed = run.logs().filter((l) => typeof l.msg === 'string' && l.msg.startsWith('run failed'));
  assert.equal(failed.length, 1);
  assert.equal(failed[0]!.attempts, 3);
});

test('run: a state folder that cannot be used still sends the failure ping and the notice (exit 2, class config)', async () => {
  const hb = await receiver();
  const hook = await receiver();
  const fx = makeFixture();
  const notAFolder = join(fx.dir, 'not-a-folder');
  writeFileSync(notAFolder, 'a file where the state folder should be\n');
  const r = await runCli(
    ['run'],
    fx.env({ BWDC_STATE_DIR: notAFolder, BWDC_HEARTBEAT_URL: `${hb.url}/hb`, BWDC_NOTIFY_URL: `${hook.url}/n` }),
  );
  assert.equal(r.code, 2, r.stdout);
  assert.deepEqual(
    hb.got.map((g) => g.path),
    ['/hb/start', '/hb/2'],
  );
  assert.equal(hook.got.length, 1);
  const notice = JSON.parse(hook.got[0]!.body);
  assert.equal(notice.event, 'failure');
  assert.equal(notice.class, 'config');
  assert.match(String(notice.message), /state folder/);
});

test('a run skipped because another holds the lock releases its log tail, and says nothing but its start', async () => {
  const hb = await receiver();
  const fx = makeFixture('busy');
  const env = fx.env({ BWDC_HEARTBEAT_URL: `${hb.url}/hb` });
  const config = loadConfig(env);
  const sink = new Writable({ write: (_c, _e, done) => done() });
  const log = await createLogger({ level: 'debug', destination: sink });
  const other = await (await InstanceState.open(fx.stateDir, 'busy')).lock({ runId: 'other' });
  try {
    const deps = { config, env, secrets: createSecretResolver(env, log).session(), log };
    const r = await runInstance(config.instances[0]!, deps);
    assert.equal(r.outcome, 'skipped');
    assert.equal(r.exitCode, 75);
    assert.equal(watchedRuns(), 0, 'the skipped run keeps no log tail');
  } finally {
    await other.release();
  }
});

test('a run releases its lock in one finally: a step of the ending that throws still leaves the instance free', async () => {
  const fx = makeFixture('throws');
  const env = fx.env();
  const config = loadConfig(env);
  const sink = new Writable({ write: (_c, _e, done) => done() });
  const base = await createLogger({ level: 'debug', destination: sink });
  // A logger that fails on the run's result line: the report step throws after the lock was taken.
  const failing = (log: Logger): Logger =>
    new Proxy(log, {
      get(target, prop, receiver) {
        if (prop === 'child')
          return (...a: Parameters<Logger['child']>) => failing(target.child(...a) as unknown as Logger);
        if (prop === 'info')
          return (obj: unknown, msg?: string) => {
            if (typeof msg === 'string' && /would be synced|Synced|user\(s\)/.test(msg))
              throw new Error('the log sink failed');
            return target.info(obj as object, msg);
          };
        return Reflect.get(target, prop, receiver) as unknown;
      },
    });
  const deps = (log: Logger) => ({ config, env, secrets: createSecretResolver(env, log).session(), log });
  await assert.rejects(runInstance(config.instances[0]!, deps(failing(base)), 'test'), /the log sink failed/);
  // The lock is free again: in this process (the next run is not skipped) and on disk.
  const next = await runInstance(config.instances[0]!, deps(base), 'test');
  assert.equal(next.outcome, 'success', next.message);
  const lock = await (await InstanceState.open(fx.stateDir, 'throws')).lock({ runId: 'after' });
  await lock.release();
});

test("a data.json whose server setting cannot be read fails as config, never falls back to Bitwarden's cloud", async () => {
  for (const environmentUrls of ['https://vault.example.com', { base: 42 }, ['https://vault.example.com']]) {
    const fx = makeFixture();
    writeFileSync(fx.templatePath, JSON.stringify({ ...ldapTemplate, environmentUrls }));
    const r = await runCli(['run'], fx.env({ BW_SERVER: undefined, BWDC_RETRY_ATTEMPTS: '2' }));
    assert.equal(r.code, 2, `${JSON.stringify(environmentUrls)}: ${r.stdout}`);
    const done = r.logs.find((l) => typeof l.msg === 'string' && l.msg.startsWith('run failed'))!;
    assert.equal(done.failureClass, 'config');
    assert.equal(done.attempts, 1, 'not retried');
    assert.match(String(done.msg), /environmentUrls.*not falling back to Bitwarden's cloud/);
    assert.equal(fx.records().length, 0, 'bwdc never started');
    // check's token step asks the same server a run would: none, rather than Bitwarden's cloud.
    const c = await runCli(['check', '--offline'], fx.env({ BW_SERVER: undefined }));
    assert.equal(c.code, 2, c.stdout);
    assert.match(c.stdout, /FAIL token .*\[class config.*not falling back to Bitwarden's cloud/);
    assert.doesNotMatch(c.stdout, /bitwarden\.com/);
  }
});

test('schedule: a state folder that stays unusable counts its failures in a row, so `after: 2` is sent on the second', async () => {
  const hook = await receiver();
  const fx = makeFixture();
  const notAFolder = join(fx.dir, 'not-a-folder');
  writeFileSync(notAFolder, 'a file where the state folder should be\n');
  const cfg = fx.writeConfig([
    { name: 'stuck', schedule: '* * * * * *', retry: { attempts: 0 }, notify: [{ url: `${hook.url}/n`, after: 2 }] },
  ]);
  const run = startCli(['schedule', '--config', cfg], fx.fileEnv({ BWDC_STATE_DIR: notAFolder }));
  live.push(run);
  const failed = () => run.logs().filter((l) => typeof l.msg === 'string' && l.msg.startsWith('run failed')).length;
  await waitFor(() => failed() >= 3, 30_000);
  await waitFor(() => hook.got.length > 0, 5000).catch(() => undefined);
  assert.equal(hook.got.length, 1, 'one notice, on the second failure in a row, and not again on the third');
  const notice = JSON.parse(hook.got[0]!.body);
  assert.equal(notice.consecutiveFailures, 2);
});
