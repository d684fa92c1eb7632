// The configuration loader: three ways in, one model out, and an error for every bad input that
// names the field, where it was set, and what is expected, without echoing a secret.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config/load.js';
import { ConfigError } from '../src/errors.js';
import { CLIENT_ID, ldapTemplate } from './helpers/fixture.js';

function dir(): string {
  const d = mkdtempSync(join(tmpdir(), 'bwdc-runner-config-'));
  writeFileSync(join(d, 'data.json'), JSON.stringify(ldapTemplate));
  return d;
}

function configErrors(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    return [...err.issues];
  }
  assert.fail('expected a ConfigError');
}

const goodEnv = (d: string) => ({
  BWDC_DATA_JSON: join(d, 'data.json'),
  BW_CLIENTID: CLIENT_ID,
  BW_CLIENTSECRET: 'literal-secret-value',
  BWDC_STATE_DIR: join(d, 'state'),
});

function writeConfig(d: string, text: string, name = 'config.yaml'): string {
  const p = join(d, name);
  writeFileSync(p, text);
  return p;
}

const base = `defaults:
  clientId: ${CLIENT_ID}
  clientSecret: file:///run/secrets/client_secret
  schedule: "0 */6 * * *"
instances:
  - name: instance-1
    dataJson: data.json
`;

test('environment only: one instance with the documented defaults', () => {
  const d = dir();
  const c = loadConfig({
    ...goodEnv(d),
    BWDC_SCHEDULE: '*/15 * * * *',
    TZ: 'Europe/Berlin',
    BWDC_TIMEOUT: '90s',
    BW_SERVER: 'eu',
  });
  assert.equal(c.instances.length, 1);
  const i = c.instances[0]!;
  assert.equal(i.name, 'default');
  assert.equal(i.schedule, '*/15 * * * *');
  assert.equal(i.timezone, 'Europe/Berlin');
  assert.equal(i.timeoutMs, 90_000);
  assert.equal(i.server, 'https://vault.bitwarden.eu');
  assert.equal(i.clientSecret, 'literal-secret-value');
  assert.equal(c.source, 'environment');
  assert.ok(Object.isFrozen(c) && Object.isFrozen(i), 'the model is frozen');
});

test('BW_CLIENTSECRET_FILE becomes a file:// reference; setting both is an error', () => {
  const d = dir();
  const c = loadConfig({ ...goodEnv(d), BW_CLIENTSECRET: undefined, BW_CLIENTSECRET_FILE: '/run/secrets/x' });
  assert.equal(c.instances[0]!.clientSecret, 'file:///run/secrets/x');
  const errs = configErrors(() => loadConfig({ ...goodEnv(d), BW_CLIENTSECRET_FILE: '/run/secrets/x' }));
  assert.match(errs.join('\n'), /BW_CLIENTSECRET, BW_CLIENTSECRET_FILE\): both are set/);
});

test('inline JSON in BWDC_DATA_JSON is a template too', () => {
  const d = dir();
  const c = loadConfig({ ...goodEnv(d), BWDC_DATA_JSON: JSON.stringify(ldapTemplate) });
  assert.equal(c.instances[0]!.dataJson.directoryType, 0);
});

test('a config file: defaults and instances, relative paths from the file', () => {
  const d = dir();
  const p = writeConfig(
    d,
    `${base}  - name: instance-2\n    dataJson: { directoryType: 3, directoryOkta: { orgUrl: "https://x.okta.com" } }\n    schedule: "30 1 * * *"\n    timezone: America/New_York\n    retry: { attempts: 5, backoff: 1m }\n`,
  );
  const c = loadConfig({}, { configPath: p });
  assert.deepEqual(
    c.instances.map((i) => i.name),
    ['instance-1', 'instance-2'],
  );
  assert.equal(c.instances[0]!.dataJson.origin, join(d, 'data.json'));
  assert.equal(c.instances[0]!.schedule, '0 */6 * * *');
  assert.equal(c.instances[1]!.schedule, '30 1 * * *');
  assert.equal(c.instances[1]!.dataJson.directoryType, 3);
  assert.deepEqual(c.instances[1]!.retry, { attempts: 5, backoffMs: 60_000, maxBackoffMs: 600_000 });
});

test('a JSON config file works the same, with line numbers in errors', () => {
  const d = dir();
  const p = writeConfig(
    d,
    JSON.stringify(
      { instances: [{ name: 'a', dataJson: 'data.json', clientId: CLIENT_ID, clientSecret: 'env://X', timout: '1m' }] },
      null,
      2,
    ),
    'config.json',
  );
  const errs = configErrors(() => loadConfig({}, { configPath: p }));
  assert.equal(errs.length, 1);
  assert.match(
    errs[0]!,
    /instances\[0\]\.timout \(.*config\.json:\d+\): unknown key "timout"; did you mean "timeout"\?/,
  );
});

test('an unknown key (a typo) names the key, the file and line, and the nearest valid key', () => {
  const d = dir();
  const p = writeConfig(
    d,
    base.replace('    dataJson: data.json', '    dataJson: data.json\n    shedule: "* * * * *"'),
  );
  const errs = configErrors(() => loadConfig({}, { configPath: p }));
  assert.match(
    errs.join('\n'),
    /instances\[0\]\.shedule \(.*config\.yaml:8\): unknown key "shedule"; did you mean "schedule"\?/,
  );
});

test('a bad cron expression is rejected with the file and line', () => {
  const d = dir();
  const p = writeConfig(d, base.replace('"0 */6 * * *"', '"61 * * * *"'));
  const errs = configErrors(() => loadConfig({}, { configPath: p }));
  assert.match(
    errs.join('\n'),
    /defaults\.schedule \(.*config\.yaml:4\): "61 \* \* \* \*" is not a valid cron expression/,
  );
  const d2 = dir();
  const errs2 = configErrors(() => loadConfig({ ...goodEnv(d2), BWDC_SCHEDULE: '* * *' }));
  assert.match(
    errs2.join('\n'),
    /schedule \(BWDC_SCHEDULE\): "\* \* \*" is not a valid cron expression: expected 5 fields/,
  );
});

test('an unknown time zone is rejected', () => {
  const d = dir();
  const errs = configErrors(() => loadConfig({ ...goodEnv(d), TZ: 'Mars/Olympus_Mons' }));
  assert.match(
    errs.join('\n'),
    /timezone \(TZ\): "Mars\/Olympus_Mons" is not a known time zone; expected an IANA name/,
  );
});

test('a malformed duration is rejected', () => {
  const d = dir();
  const errs = configErrors(() => loadConfig({ ...goodEnv(d), BWDC_TIMEOUT: '10 minutes' }));
  assert.match(
    errs.join('\n'),
    /timeout \(BWDC_TIMEOUT\): "10 minutes" is not valid; expected a duration such as 90s, 15m or 1h/,
  );
  const p = writeConfig(d, `${base}    timeout: 5x\n`);
  assert.match(
    configErrors(() => loadConfig({}, { configPath: p })).join('\n'),
    /instances\[0\]\.timeout \(.*config\.yaml:8\)/,
  );
  assert.match(
    configErrors(() => loadConfig({ ...goodEnv(d), BWDC_SHUTDOWN_GRACE: 'soon' })).join('\n'),
    /BWDC_SHUTDOWN_GRACE: "soon" is not valid; expected a duration/,
  );
  for (const bad of ['soon', '0s'])
    assert.match(
      configErrors(() => loadConfig({ ...goodEnv(d), BWDC_NOTIFY_TIMEOUT: bad })).join('\n'),
      new RegExp(`BWDC_NOTIFY_TIMEOUT: "${bad}" is not valid; expected a duration such as 5s`),
    );
  assert.equal(loadConfig({ ...goodEnv(d), BWDC_NOTIFY_TIMEOUT: '750ms' }).notifyTimeoutMs, 750);
  assert.equal(loadConfig(goodEnv(d)).notifyTimeoutMs, 5000);
});

test('duplicate instance names are rejected', () => {
  const d = dir();
  const p = writeConfig(d, `${base}  - name: instance-1\n    dataJson: data.json\n`);
  assert.match(
    configErrors(() => loadConfig({}, { configPath: p })).join('\n'),
    /duplicate instance name "instance-1" \(also defined at instances\[0\]/,
  );
});

test('a missing or unparsable data.json template is rejected without quoting its text', () => {
  const d = dir();
  const errs = configErrors(() => loadConfig({ ...goodEnv(d), BWDC_DATA_JSON: join(d, 'nope.json') }));
  assert.match(errs.join('\n'), /dataJson \(BWDC_DATA_JSON\): file ".*nope\.json" does not exist/);
  writeFileSync(join(d, 'bad.json'), '{\n  "directoryLdap": { "password": "hunter2-in-template" ,, }\n}');
  const errs2 = configErrors(() => loadConfig({ ...goodEnv(d), BWDC_DATA_JSON: join(d, 'bad.json') }));
  assert.match(errs2.join('\n'), /bad\.json" is not valid JSON at line 2 column \d+/);
  assert.doesNotMatch(errs2.join('\n'), /hunter2/);
});

test('a client id that is not organization.<uuid> is rejected', () => {
  const d = dir();
  const errs = configErrors(() => loadConfig({ ...goodEnv(d), BW_CLIENTID: 'user.1234' }));
  assert.match(
    errs.join('\n'),
    /clientId \(BW_CLIENTID\): "user\.1234" is not a valid client id; expected organization\.<uuid>/,
  );
});

test('an unknown secret reference scheme is rejected without echoing the value', () => {
  const d = dir();
  const errs = configErrors(() =>
    loadConfig({ ...goodEnv(d), BW_CLIENTSECRET: 'vualt://secret/bwdc#client_secret-TOPSECRET' }),
  );
  const text = errs.join('\n');
  assert.match(
    text,
    /clientSecret \(BW_CLIENTSECRET\): unknown secret reference scheme; expected vault:\/\/, awssm:\/\/, bws:\/\/, file:\/\/, env:\/\//,
  );
  assert.doesNotMatch(text, /TOPSECRET|vualt/);
});

test('missing required values are each named', () => {
  const errs = configErrors(() => loadConfig({}));
  const text = errs.join('\n');
  assert.match(
    text,
    /directory \(environment\): required: a directory block .* or a data\.json template \(dataJson, BWDC_DATA_JSON/,
  );
  assert.match(text, /clientId \(BW_CLIENTID or clientId\): required/);
  assert.match(text, /clientSecret \(BW_CLIENTSECRET, BW_CLIENTSECRET_FILE or clientSecret\): required/);
});

test('every problem is reported at once, not just the first', () => {
  const d = dir();
  const errs = configErrors(() =>
    loadConfig({ ...goodEnv(d), BW_CLIENTID: 'x', TZ: 'Nowhere/Land', BWDC_TIMEOUT: 'forever' }),
  );
  assert.equal(errs.length, 3, errs.join('\n'));
});

test('folder discovery: each subfolder with a data.json is an instance, runner.yaml overrides', () => {
  const d = dir();
  const root = join(d, 'instances');
  for (const n of ['instance-1', 'instance-2', 'empty']) mkdirSync(join(root, n), { recursive: true });
  writeFileSync(join(root, 'instance-1', 'data.json'), JSON.stringify(ldapTemplate));
  writeFileSync(join(root, 'instance-2', 'data.json'), JSON.stringify(ldapTemplate));
  writeFileSync(join(root, 'instance-2', 'runner.yaml'), 'schedule: "0 3 * * *"\n');
  const c = loadConfig({
    ...goodEnv(d),
    BWDC_DATA_JSON: undefined,
    BWDC_INSTANCES_DIR: root,
    BWDC_SCHEDULE: '0 * * * *',
  });
  assert.deepEqual(
    c.instances.map((i) => [i.name, i.schedule]),
    [
      ['instance-1', '0 * * * *'],
      ['instance-2', '0 3 * * *'],
    ],
  );
  writeFileSync(join(root, 'instance-2', 'runner.yaml'), 'schedule: "0 3 * * *"\nclientSecrt: x\n');
  assert.match(
    configErrors(() => loadConfig({ ...goodEnv(d), BWDC_INSTANCES_DIR: root })).join('\n'),
    /clientSecrt \(.*runner\.yaml:2\): unknown key/,
  );
  writeFileSync(join(root, 'instance-2', 'runner.yaml'), 'schedule: "0 3 * * *"\ntimeout: [hunter2-canary\n');
  const broken = configErrors(() => loadConfig({ ...goodEnv(d), BWDC_INSTANCES_DIR: root })).join('\n');
  assert.match(broken, /instance-2\/runner\.yaml:\d+: not valid YAML\/JSON/);
  assert.doesNotMatch(broken, /hunter2-canary/, 'the offending text is not quoted');
});

test('folder discovery: a <name>.runner.yaml file (a ConfigMap key) is an instance, its <name>.data.json beside it', () => {
  const d = dir();
  const root = join(d, 'instances');
  mkdirSync(join(root, 'in-folder'), { recursive: true });
  writeFileSync(join(root, 'in-folder', 'data.json'), JSON.stringify(ldapTemplate));
  writeFileSync(
    join(root, 'flat-block.runner.yaml'),
    'schedule: "0 4 * * *"\ndirectory: { type: ldap, hostname: ldap.test, port: 389 }\n',
  );
  writeFileSync(join(root, 'flat-template.runner.yaml'), 'schedule: "0 5 * * *"\n');
  writeFileSync(join(root, 'flat-template.data.json'), JSON.stringify(ldapTemplate));
  writeFileSync(join(root, 'notes.yaml'), 'not an instance\n');
  const c = loadConfig({
    ...goodEnv(d),
    BWDC_DATA_JSON: undefined,
    BWDC_INSTANCES_DIR: root,
    BWDC_SCHEDULE: '0 * * * *',
  });
  assert.deepEqual(
    c.instances.map((i) => [i.name, i.schedule]),
    [
      ['flat-block', '0 4 * * *'],
      ['flat-template', '0 5 * * *'],
      ['in-folder', '0 * * * *'],
    ],
  );
  writeFileSync(join(root, 'flat-block.runner.yaml'), 'schedule: "0 4 * * *"\nschedul: x\n');
  assert.match(
    configErrors(() => loadConfig({ ...goodEnv(d), BWDC_INSTANCES_DIR: root })).join('\n'),
    /schedul \(.*flat-block\.runner\.yaml:2\): unknown key/,
  );
});

test('a config file with instancesDir combines listed and discovered instances, and rejects clashes', () => {
  const d = dir();
  mkdirSync(join(d, 'more', 'instance-1'), { recursive: true });
  writeFileSync(join(d, 'more', 'instance-1', 'data.json'), JSON.stringify(ldapTemplate));
  const p = writeConfig(d, `instancesDir: more\n${base}`);
  assert.match(
    configErrors(() => loadConfig({}, { configPath: p })).join('\n'),
    /duplicate instance name "instance-1"/,
  );
});

test('a broken YAML file is an error with its line, not a stack trace', () => {
  const d = dir();
  const p = writeConfig(d, 'instances:\n  - name: a\n    dataJson: [unclosed\n');
  assert.match(
    configErrors(() => loadConfig({}, { configPath: p })).join('\n'),
    /config\.yaml:\d+: not valid YAML\/JSON/,
  );
});

test('global settings: environment wins over the file', () => {
  const d = dir();
  const p = writeConfig(d, `concurrency: 3\nstateDir: /from/file\n${base}`);
  const c = loadConfig({ BWDC_CONCURRENCY: '7' }, { configPath: p });
  assert.equal(c.concurrency, 7);
  assert.equal(c.stateDir, '/from/file');
  assert.match(
    configErrors(() => loadConfig({ BWDC_CONCURRENCY: 'lots' }, { configPath: p })).join('\n'),
    /BWDC_CONCURRENCY: "lots" is not valid; expected a whole number/,
  );
});

test('an invalid server is rejected; us, eu and URLs are accepted', () => {
  const d = dir();
  assert.equal(loadConfig({ ...goodEnv(d), BW_SERVER: 'us' }).instances[0]!.server, '');
  assert.equal(
    loadConfig({ ...goodEnv(d), BW_SERVER: 'https://bw.example.com/' }).instances[0]!.server,
    'https://bw.example.com',
  );
  assert.match(
    configErrors(() => loadConfig({ ...goodEnv(d), BW_SERVER: 'ftp://x' })).join('\n'),
    /server \(BW_SERVER\): "ftp:\/\/x" is not a server/,
  );
});

test('a directory secret needs a directoryType in the template', () => {
  const d = dir();
  writeFileSync(join(d, 'notype.json'), '{"sync":{}}');
  const errs = configErrors(() =>
    loadConfig({ ...goodEnv(d), BWDC_DATA_JSON: join(d, 'notype.json'), BWDC_DIRECTORY_SECRET: 'x' }),
  );
  assert.match(
    errs.join('\n'),
    /directorySecret \(BWDC_DIRECTORY_SECRET\): a directory secret is set but .* has no directoryType/,
  );
});

test("a spread as long as the schedule's interval or longer is refused (it would skip every other run); a shorter one is fine", () => {
  const d = dir();
  const errs = configErrors(() => loadConfig({ ...goodEnv(d), BWDC_SCHEDULE: '0 * * * *', BWDC_SPREAD: '1h' }));
  assert.equal(errs.length, 1);
  assert.match(
    errs[0]!,
    /^spread \(BWDC_SPREAD\): 1h is not shorter than the schedule's interval \(1h\): every other run would be skipped; use a spread below 1h$/,
  );
  // Twice a day at 09:00 and 17:00: the shortest gap (8 h) is what counts.
  assert.match(
    configErrors(() => loadConfig({ ...goodEnv(d), BWDC_SCHEDULE: '0 9,17 * * *', BWDC_SPREAD: '10h' }))[0]!,
    /interval \(8h\)/,
  );
  assert.equal(
    loadConfig({ ...goodEnv(d), BWDC_SCHEDULE: '0 * * * *', BWDC_SPREAD: '50m' }).instances[0]!.spreadMs,
    50 * 60_000,
  );
});
