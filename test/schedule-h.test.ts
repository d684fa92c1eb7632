// `H` in a schedule (docs/configuration.md): resolved by the runner from `scheduleKey` (default the instance's
// name) into one concrete minute or hour, the same every time and different between instances; a form it does
// not take is a configuration error naming the setting, not a schedule that never runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config/load.js';
import { ConfigError } from '../src/errors.js';
import { adler32 } from '../src/shared/cron-hash.js';
import { CLIENT_ID } from './helpers/fixture.js';

function load(instances: Array<Record<string, unknown>>) {
  const d = mkdtempSync(join(tmpdir(), 'bwdc-h-'));
  const path = join(d, 'config.json');
  const directory = { type: 'ldap', hostname: 'ldap.example.com', port: 389 };
  writeFileSync(
    path,
    JSON.stringify({
      stateDir: join(d, 'state'),
      defaults: { clientId: CLIENT_ID, clientSecret: 'env://S', directory, sync: { users: true } },
      instances,
    }),
  );
  return loadConfig({}, { configPath: path });
}

test('Adler-32 is RFC 1950 (as Helm adler32sum): known values', () => {
  assert.equal(adler32('Wikipedia'), 0x11e60398);
  assert.equal(adler32(''), 1);
});

test('H resolves per instance from its name, or from scheduleKey: the same each load, spread between instances', () => {
  const names = Array.from({ length: 40 }, (_, i) => `dir-${i}`);
  const config = load([
    ...names.map((name) => ({ name, schedule: 'H */6 * * *' })),
    { name: 'keyed', schedule: 'H H * * 1-5', scheduleKey: 'bwdc-runner-keyed' },
    { name: 'stepped', schedule: 'H/15 * * * *' },
  ]);
  const byName = new Map(config.instances.map((i) => [i.name, i.schedule]));
  for (const name of names) assert.equal(byName.get(name), `${adler32(name) % 60} */6 * * *`);
  assert.ok(new Set(names.map((n) => byName.get(n))).size > 20, 'forty instances start at many minutes');
  const k = adler32('bwdc-runner-keyed');
  assert.equal(byName.get('keyed'), `${k % 60} ${Math.floor(k / 60) % 24} * * 1-5`);
  assert.equal(byName.get('stepped'), `${adler32('stepped') % 15}/15 * * * *`);
  assert.deepEqual(
    load([{ name: 'dir-3', schedule: 'H */6 * * *' }]).instances[0]!.schedule,
    byName.get('dir-3'),
    'the same minute at every load',
  );
});

test('an H the runner does not take is refused naming the instance and what it takes', () => {
  for (const schedule of ['* * H * *', 'H * * * * *', 'H/0 * * * *']) {
    assert.throws(
      () => load([{ name: 'corp', schedule }]),
      (err: unknown) =>
        err instanceof ConfigError &&
        /instances\[0\]\.schedule/.test(err.message) &&
        /H is taken in a 5-field schedule as the minute \(H, H\/N\) or the hour \(H\)/.test(err.message),
    );
  }
});

test('a weekday name holding an H (THU) is no H: such a schedule loads as written', () => {
  const config = load([
    { name: 'thursday', schedule: '0 3 * * THU' },
    { name: 'weekdays', schedule: 'H 3 * * MON-THU' },
  ]);
  assert.equal(config.instances[0]!.schedule, '0 3 * * THU');
  assert.equal(config.instances[1]!.schedule, `${adler32('weekdays') % 60} 3 * * MON-THU`);
});
