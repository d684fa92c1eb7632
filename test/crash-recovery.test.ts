// A runner killed with SIGKILL in the middle of a sync, with real signals (docs/scheduler.md "Crash
// recovery"): the bwdc it started lives on in its own process group, and the lock stays held while it
// does (a run started meanwhile exits 75); the next start of the runner, whatever instances it is
// configured with, leaves no API key, token or directory secret in any data.json under the state folder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { realBwdc, realBwdcSkip } from './helpers/real-bwdc.js';
import {
  CANARY_CLIENT_SECRET,
  CANARY_DIRECTORY_SECRET,
  makeFixture,
  pidAlive,
  runCli,
  startCli,
  waitFor,
  type Fixture,
} from './helpers/fixture.js';

function lockOf(fx: Fixture, name: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(readFileSync(join(fx.stateDir, name, 'runner.lock'), 'utf8'));
  } catch {
    return undefined;
  }
}

/** Every data.json under the state folder, as text. */
function allDataJson(fx: Fixture): Array<[string, string]> {
  return readdirSync(fx.stateDir).map((n) => [n, readFileSync(join(fx.stateDir, n, 'data.json'), 'utf8')]);
}

test('SIGKILL during a sync: runs exit 75 while the orphaned bwdc lives; the next start wipes every data.json and sweeps temp files', async () => {
  const fx = makeFixture('crashed');
  fx.control({ delayMs: 6000 });
  const first = startCli(['run'], fx.env());
  await waitFor(() => fx.records().some((c) => c.command === 'sync'), 30_000);
  const bwdc = fx.records().find((c) => c.command === 'sync')!.pid;
  await waitFor(() => lockOf(fx, 'crashed')?.child === bwdc, 5000);
  first.kill('SIGKILL');
  await first.done;
  assert.ok(pidAlive(bwdc), 'bwdc outlives the runner that started it');
  const left = fx.dataJson('crashed');
  assert.ok(left.accessToken && left.apiKeyClientSecret, 'the killed run left its session in data.json');
  // An interrupted atomic write's temporary file, as writeFileAtomic names them.
  writeFileSync(join(fx.stateDir, 'crashed', 'data.json.tmp-999999-0a1b2c3d'), '{"accessToken":"x"}');

  fx.control({});
  const meanwhile = await runCli(['run'], fx.env());
  assert.equal(meanwhile.code, 75, meanwhile.stdout);
  assert.match(meanwhile.stdout, new RegExp(`the bwdc \\(pid ${bwdc}\\)`));
  assert.equal(fx.records().filter((c) => c.command === 'sync').length, 1, 'no second bwdc on the same data.json');

  await waitFor(() => !pidAlive(bwdc), 30_000);
  // The next start is configured with another instance only: the crashed one counts as removed.
  const next = await runCli(['run'], fx.env({ BWDC_INSTANCE: 'other' }));
  assert.equal(next.code, 0, next.stdout);
  const recovery = next.logs.find((l) => String(l.msg).startsWith('crash recovery'));
  assert.deepEqual(recovery?.wiped, ['crashed']);
  for (const [name, text] of allDataJson(fx)) {
    const data = JSON.parse(text);
    for (const key of ['accessToken', 'refreshToken', 'apiKeyClientId', 'apiKeyClientSecret'])
      assert.equal(data[key] ?? null, null, `${name}: ${key} left in data.json`);
    assert.ok(
      !text.includes(CANARY_CLIENT_SECRET) && !text.includes(CANARY_DIRECTORY_SECRET),
      `${name}: a secret left`,
    );
  }
  assert.deepEqual(
    readdirSync(join(fx.stateDir, 'crashed')).filter((f) => f.includes('.tmp-')),
    [],
    'temporary files swept',
  );
  // And the crashed instance runs again once its bwdc is gone.
  assert.equal((await runCli(['run'], fx.env())).code, 0);
});

test(
  'the same with the real bwdc: killed runner, orphaned bwdc stuck on its directory, the lock held until it ends',
  { skip: realBwdcSkip() },
  async () => {
    // A directory server that accepts and never answers: the real bwdc's sync waits on it.
    const sockets: Socket[] = [];
    const silent = createNetServer((s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as AddressInfo).port;
    const fx = makeFixture('real');
    const directory = {
      type: 'ldap',
      hostname: '127.0.0.1',
      port,
      ssl: false,
      rootPath: 'dc=test',
      username: 'cn=bind',
    };
    const sync = { users: true, groups: true, userFilter: '(objectClass=inetOrgPerson)' };
    const config = fx.writeConfig([{ name: 'real', dataJson: undefined, directory, sync }]);
    const env = fx.fileEnv({ BWDC_PATH: realBwdc()!, BWDC_TIMEOUT: '5m', BWDC_RUNNER_CONFIG: config });
    const first = startCli(['run'], env);
    await waitFor(() => typeof lockOf(fx, 'real')?.child === 'number', 60_000).catch((err: Error) => {
      throw new Error(
        `${err.message}: ${first
          .logs()
          .map((l) => String(l.msg))
          .join(' | ')}`,
      );
    });
    const bwdc = lockOf(fx, 'real')!.child as number;
    await waitFor(() => sockets.length > 0, 60_000); // bwdc is in its sync, talking to the directory
    first.kill('SIGKILL');
    await first.done;
    assert.ok(pidAlive(bwdc), 'the real bwdc outlives its runner');
    const meanwhile = await runCli(['run'], env);
    assert.equal(meanwhile.code, 75, meanwhile.stdout);
    // The directory goes away: bwdc fails and ends; the next start takes the folder and wipes it.
    for (const s of sockets) s.destroy();
    silent.close();
    await waitFor(() => !pidAlive(bwdc), 60_000);
    const next = await runCli(['run'], fx.env({ BWDC_INSTANCE: 'other' }));
    assert.equal(next.code, 0, next.stdout);
    const text = readFileSync(join(fx.stateDir, 'real', 'data.json'), 'utf8');
    const data = JSON.parse(text);
    for (const key of ['accessToken', 'refreshToken', 'apiKeyClientId', 'apiKeyClientSecret'])
      assert.equal(data[key] ?? null, null, `${key} left in data.json`);
    assert.ok(!text.includes(CANARY_CLIENT_SECRET) && !text.includes(CANARY_DIRECTORY_SECRET));
  },
);
