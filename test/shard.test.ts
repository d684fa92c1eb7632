// Shards (docs/scheduler.md "Shards"): how a `schedule` process finds its share, and three real
// processes sharing one configuration that sync every instance exactly once between them.
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config/load.js';
import { ConfigError } from '../src/errors.js';
import { controlIsShared, instanceControlDir } from '../src/state/control-dir.js';
import { ownerOf, parseShard, shardOf, shareOf } from '../src/scheduler/shard.js';
import {
  binPath,
  CLIENT_ID,
  ldapTemplate,
  makeFixture,
  parseLogs,
  runCli,
  startCli,
  waitFor,
  type CliRun,
} from './helpers/fixture.js';

const names = Array.from({ length: 2000 }, (_, i) => `dir-${i}`);

test('I/N and auto/N parse; malformed values, out-of-range indexes and a host without an ordinal are config errors', () => {
  assert.deepEqual(parseShard('1/3', 'BWDC_SHARD', 'x'), { index: 1, count: 3 });
  assert.deepEqual(parseShard(undefined, 'BWDC_SHARD', 'x'), { index: 0, count: 1 });
  assert.deepEqual(parseShard('auto/4', 'BWDC_SHARD', 'bwdc-runner-scheduler-2'), { index: 2, count: 4 });
  assert.deepEqual(shardOf('0/2', { BWDC_SHARD: '1/2' }, 'h'), { index: 0, count: 2 }, '--shard wins');
  for (const [value, says] of [
    ['3/3', /shard 3 is out of range for 3/],
    ['1/0', /N must be from 1/],
    ['-1/3', /is not a shard/],
    ['a/b', /is not a shard/],
    ['1', /is not a shard/],
    ['auto/3', /host name "worker" ends in no ordinal/],
  ] as const) {
    assert.throws(
      () => parseShard(value, 'BWDC_SHARD', 'worker'),
      (e: unknown) => {
        assert.ok(e instanceof ConfigError);
        assert.match(e.message, /^BWDC_SHARD: /);
        assert.match(e.message, says);
        return true;
      },
    );
  }
  assert.throws(() => parseShard('auto/3', 'BWDC_SHARD', 'bwdc-runner-5'), /shard 5 is out of range for 3/);
});

test('every instance has exactly one shard, shares are even, and N -> N+1 moves instances only onto the new shard', () => {
  for (const n of [1, 2, 3, 4, 7]) {
    const shares = Array.from({ length: n }, (_, index) =>
      shareOf(
        names.map((name) => ({ name })),
        { index, count: n },
      ).map((i) => i.name),
    );
    assert.equal(shares.flat().length, names.length, `${n} shards hold each instance once`);
    assert.equal(new Set(shares.flat()).size, names.length);
    for (const s of shares) assert.ok(Math.abs(s.length - names.length / n) < names.length / n / 4, `even at ${n}`);
    const moved = names.filter((name) => ownerOf(name, n) !== ownerOf(name, n + 1));
    assert.ok(
      moved.every((name) => ownerOf(name, n + 1) === n),
      `${n} -> ${n + 1}: every moved instance went to the new shard`,
    );
    const expected = names.length / (n + 1);
    assert.ok(
      Math.abs(moved.length - expected) < expected / 4,
      `${n} -> ${n + 1}: ~1/${n + 1} moved (${moved.length})`,
    );
  }
});

const live: CliRun[] = [];
afterEach(() => {
  for (const r of live.splice(0)) r.kill('SIGKILL');
});

test('a bad shard is exit 2 and names the setting', async () => {
  const fx = makeFixture();
  const cfg = fx.writeConfig([{ name: 'a', schedule: '0 0 1 1 *' }]);
  const r = await runCli(['schedule', '--config', cfg, '--shard', '4/4'], fx.fileEnv({ BWDC_HTTP_PORT: 'off' }));
  assert.equal(r.code, 2);
  assert.match(r.stderr + r.stdout, /--shard: "4\/4": shard 4 is out of range for 4 shard\(s\)/);
  const e = await runCli(['schedule', '--config', cfg], fx.fileEnv({ BWDC_HTTP_PORT: 'off', BWDC_SHARD: 'two/3' }));
  assert.equal(e.code, 2);
  assert.match(e.stderr + e.stdout, /BWDC_SHARD: "two\/3" is not a shard/);
});

test('three schedule processes with 30 instances due at the same tick sync each instance exactly once', async () => {
  const fx = makeFixture();
  // One tick of a real cron schedule, far enough ahead for three processes to start under load.
  const at = new Date(Date.now() + 15_000).getUTCSeconds();
  const instances = Array.from({ length: 30 }, (_, i) => ({ name: `org-${i}`, schedule: `${at} * * * * *` }));
  const cfg = fx.writeConfig(instances, 'concurrency: 4');
  const runs = [0, 1, 2].map((i) =>
    startCli(
      ['schedule', '--config', cfg, '--shard', `${i}/3`],
      // Each replica its own state volume, as a StatefulSet's volumeClaimTemplates give.
      fx.fileEnv({ BWDC_HTTP_PORT: '0', BWDC_HTTP_HOST: '127.0.0.1', BWDC_STATE_DIR: join(fx.dir, `state-${i}`) }),
    ),
  );
  live.push(...runs);
  await waitFor(() => runs.every((r) => r.logs().some((l) => l.msg === 'scheduler started')), 30_000);
  const started = runs.map((r) => r.logs().find((l) => l.msg === 'scheduler started')!);
  const held = started.map((l) => (l.instances as Array<{ name: string }>).map((i) => i.name));
  assert.deepEqual(
    started.map((l) => l.shard),
    ['0/3', '1/3', '2/3'],
  );
  assert.deepEqual(held.flat().sort(), instances.map((i) => i.name).sort(), 'the shares cover every instance once');
  assert.ok(
    held.every((h) => h.length > 0 && h.length < 30),
    `each holds a share: ${held.map((h) => h.length).join(',')}`,
  );

  const syncs = () => fx.records().filter((c) => c.command === 'sync');
  await waitFor(() => syncs().length >= 30, 60_000);
  // A second sync of any instance would come within the rest of this tick's work; give it time to show.
  await new Promise((r) => setTimeout(r, 2000));
  const byInstance = new Map<string, string[]>();
  for (const c of syncs()) {
    const dir = c.env.BITWARDENCLI_CONNECTOR_APPDATA_DIR!;
    const [replica, name] = dir.slice(fx.dir.length + 1).split('/') as [string, string];
    byInstance.set(name, [...(byInstance.get(name) ?? []), replica]);
  }
  assert.equal(byInstance.size, 30);
  for (const [name, replicas] of byInstance) {
    assert.equal(replicas.length, 1, `${name} synced once, by ${replicas.join(',')}`);
    const shard = Number(replicas[0]!.replace('state-', ''));
    assert.ok(held[shard]!.includes(name), `${name} ran on the shard that holds it`);
  }
  // No shared control folder here: each replica says that pause, approvals and history do not follow a move.
  for (const r of runs)
    assert.ok(
      r.logs().some((l) => String(l.msg).startsWith('sharded without a shared control folder (BWDC_CONTROL_DIR)')),
    );
  for (const r of runs) r.kill('SIGTERM');
  for (const r of runs) assert.equal((await r.done).code, 0);
});

test('BWDC_CONTROL_DIR (controlDir): the root of every instance control folder, stateDir without it', () => {
  const d = mkdtempSync(join(tmpdir(), 'bwdc-control-'));
  const env = {
    BWDC_DATA_JSON: JSON.stringify(ldapTemplate),
    BW_CLIENTID: CLIENT_ID,
    BW_CLIENTSECRET: 'x',
    BWDC_STATE_DIR: join(d, 'state'),
  };
  const plain = loadConfig(env);
  assert.equal(instanceControlDir(plain, 'corp'), join(d, 'state', 'corp'));
  assert.equal(controlIsShared(plain), false);
  const shared = loadConfig({ ...env, BWDC_CONTROL_DIR: join(d, 'control') });
  assert.equal(instanceControlDir(shared, 'corp'), join(d, 'control', 'corp'));
  assert.equal(controlIsShared(shared), true);
  assert.throws(
    () => loadConfig({ ...env, BWDC_CONTROL_DIR: '/proc/bwdc' }),
    /BWDC_CONTROL_DIR: "\/proc\/bwdc" is on a pseudo-filesystem/,
  );
});

/**
 * Two replicas' worth of history in one test: the instance is paused while replica 0 of 1 holds it, then the
 * release scales to 2 and it moves to replica 1, whose state volume is new. With a shared control folder
 * (BWDC_CONTROL_DIR) it stays paused there; without one, it would run (the second half shows it does).
 */
test('a paused instance stays paused after it moves to another replica (a shared BWDC_CONTROL_DIR)', async () => {
  const fx = makeFixture();
  const names = Array.from({ length: 8 }, (_, i) => `org-${i}`);
  // An instance that moves from shard 0 of 1 to shard 1 of 2, and one that stays on shard 0.
  const moving = names.find((n) => ownerOf(n, 2) === 1)!;
  const staying = names.find((n) => ownerOf(n, 2) === 0)!;
  const cfg = fx.writeConfig(
    [moving, staying].map((name) => ({ name, schedule: '0 0 1 1 *' })),
    'runOnStart: true',
  );
  const control = join(fx.dir, 'control');
  const replica = (i: number, extra: Record<string, string> = {}) =>
    fx.fileEnv({
      BWDC_HTTP_PORT: '0',
      BWDC_HTTP_HOST: '127.0.0.1',
      BWDC_STATE_DIR: join(fx.dir, `state-${i}`),
      ...extra,
    });
  const paused = await runCli(
    ['pause', moving, '--config', cfg, '--reason', 'AD migration'],
    replica(0, { BWDC_CONTROL_DIR: control }),
  );
  assert.equal(paused.code, 0, paused.stderr);

  const syncsOf = (name: string) =>
    fx.records().filter((c) => c.command === 'sync' && c.env.BITWARDENCLI_CONNECTOR_APPDATA_DIR!.endsWith(`/${name}`));
  const oneReplica = async (extra: Record<string, string>) => {
    const r = startCli(['schedule', '--config', cfg, '--shard', '1/2'], replica(1, extra));
    live.push(r);
    await waitFor(() => r.logs().some((l) => l.instance === moving && l.outcome !== undefined), 60_000);
    const end = r.logs().find((l) => l.instance === moving && l.outcome !== undefined)!;
    const port = r.logs().find((l) => l.port !== undefined)!.port as number;
    const status = (await (await fetch(`http://127.0.0.1:${port}/status`)).json()) as {
      shard: { index: number; count: number; instances: number };
      instances: Array<{ directory: string; paused?: unknown }>;
    };
    r.kill('SIGTERM');
    assert.equal((await r.done).code, 0);
    return { end, status };
  };

  // Replica 1 of 2, a new state volume, the shared control folder: the moved instance is still paused.
  const moved = await oneReplica({ BWDC_CONTROL_DIR: control });
  assert.match(String(moved.end.msg), /^skipped: paused since \S+ by \S+: AD migration$/);
  assert.equal(syncsOf(moving).length, 0, 'no sync of the paused instance');
  assert.deepEqual(
    moved.status.instances.map((i) => i.directory),
    [moving],
    'replica 1 holds only the moved instance',
  );
  assert.ok(moved.status.instances[0]!.paused, '/status says it is paused');

  // The same move with the pause kept in replica 0's state folder (no shared control folder): it runs.
  const lost = await oneReplica({});
  assert.equal(lost.end.outcome, 'success');
  assert.equal(syncsOf(moving).length, 1);
});

// A StatefulSet pod's host name is its pod name: a UTS namespace of its own gives the process one (needs
// unshare(1) and the right to make the namespace, as root in CI's container).
const unshareSkip = (() => {
  const r = spawnSync('unshare', ['-u', 'sh', '-c', 'hostname bwdc-runner-9'], { encoding: 'utf8' });
  return r.status === 0
    ? false
    : `cannot make a UTS namespace here (unshare -u): ${(r.stderr || r.error?.message) ?? ''}`;
})();

test(
  'BWDC_SHARD=auto/3 in a process whose host name is a StatefulSet pod name takes its ordinal',
  { skip: unshareSkip },
  async () => {
    const fx = makeFixture();
    const cfg = fx.writeConfig(Array.from({ length: 9 }, (_, i) => ({ name: `org-${i}`, schedule: '0 0 1 1 *' })));
    const env = fx.fileEnv({ BWDC_HTTP_PORT: 'off', BWDC_SHARD: 'auto/3' });
    const child = spawn(
      'unshare',
      [
        '-u',
        'sh',
        '-c',
        'hostname bwdc-runner-scheduler-2 && exec "$0" "$@"',
        process.execPath,
        binPath,
        'schedule',
        '--config',
        cfg,
      ],
      { env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (out += c));
    try {
      await waitFor(() => out.includes('"scheduler started"'), 30_000);
    } finally {
      child.kill('SIGTERM');
    }
    const started = parseLogs(out).find((l) => l.msg === 'scheduler started')!;
    assert.equal(started.shard, '2/3');
    const expected = shareOf(
      Array.from({ length: 9 }, (_, i) => ({ name: `org-${i}` })),
      { index: 2, count: 3 },
    ).map((i) => i.name);
    assert.deepEqual(
      (started.instances as Array<{ name: string }>).map((i) => i.name),
      expected,
    );
  },
);
