// Notifications, heartbeats and live reload, with real HTTP receivers on loopback: when a notice goes
// out (after N failures, once, then one recovery), what it carries, that a slow or failing receiver
// never changes a run's outcome nor holds its exit, the healthchecks.io ping sequence, no secret in any
// body or log line, and the scheduler picking up a ConfigMap-style symlink swap.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { body } from '../src/notify/payload.js';
import { decide, type NotifyTarget } from '../src/notify/decide.js';
import { pingUrl } from '../src/notify/heartbeat.js';
import {
  CANARY_CLIENT_SECRET,
  CANARY_DIRECTORY_SECRET,
  assertNoCanary,
  makeFixture,
  runCli,
  startCli,
  waitFor,
  type CliRun,
} from './helpers/fixture.js';
import { receiver } from './helpers/receiver.js';

const HOOK_TOKEN = 'canary-HOOK-t0ken-5a7d';

test('a failing instance notifies once after `after` failures, not again, then once on recovery', async () => {
  const hook = await receiver();
  const fx = makeFixture('notified');
  const env = fx.env({
    BWDC_NOTIFY_URL: `${hook.url}/hook/${HOOK_TOKEN}`,
    BWDC_NOTIFY_AFTER: '2',
  });
  const runWith = async (fail: boolean) => {
    fx.control(fail ? { faults: { sync: 'ldap-bind' } } : {});
    return runCli(['run'], env);
  };
  const outputs: string[] = [];
  const codes: Array<number | null> = [];
  for (const fail of [true, true, true, false, false]) {
    const r = await runWith(fail);
    codes.push(r.code);
    outputs.push(r.stdout, r.stderr);
  }
  assert.deepEqual(codes, [1, 1, 1, 0, 0], 'delivery never changes the exit code');
  const notices = hook.got.map((g) => JSON.parse(g.body) as Record<string, unknown>);
  assert.deepEqual(
    notices.map((n) => [n.event, n.consecutiveFailures]),
    [
      ['failure', 2],
      ['recovery', 0],
    ],
  );
  const failure = notices[0]!;
  assert.equal(failure.instance, 'notified');
  assert.equal(failure.class, 'directory');
  assert.equal(failure.exitCode, 1);
  assert.equal(typeof failure.runId, 'string');
  assert.equal(typeof failure.host, 'string');
  assert.equal(typeof failure.version, 'string');
  assert.ok(failure.message);
  // No secret anywhere: the hook's token (in its URL), the API key's secret, the directory secret.
  const all = [...outputs, ...hook.got.map((g) => g.body)].join('\n');
  assertNoCanary('notices and logs', all);
  assert.ok(!all.includes(HOOK_TOKEN), 'the webhook URL (its token) never appears');
  assert.ok(outputs.join('').includes('"msg":"notification sent"'));
});

test('a receiver that hangs or answers 500 does not hold the run past the bound nor change its exit code', async () => {
  const hook = await receiver();
  hook.mode = 'hang';
  const fx = makeFixture('hang');
  fx.control({ faults: { sync: 'ldap-bind' } });
  const env = fx.env({ BWDC_NOTIFY_URL: `${hook.url}/x`, BWDC_NOTIFY_TIMEOUT: '400ms' });
  const t0 = Date.now();
  const r = await runCli(['run'], env);
  const took = Date.now() - t0;
  assert.equal(r.code, 1);
  // 3 attempts of 400 ms plus two short backoffs, on top of the run itself; at the default 5 s per
  // attempt it would be over 15 s, so the bound shows BWDC_NOTIFY_TIMEOUT applied (with room for a slow machine).
  assert.ok(took < 12_000, `took ${took} ms`);
  assert.equal(hook.got.length, 3, 'one attempt and two retries');
  assert.ok(r.logs.some((l) => l.msg === 'notification not delivered' && l.result === 'timed out'));

  hook.mode = '500';
  hook.got.length = 0;
  fx.control({});
  const ok = await runCli(['run'], fx.env({ BWDC_NOTIFY_URL: `${hook.url}/x`, BWDC_NOTIFY_ON: 'always' }));
  assert.equal(ok.code, 0, 'a 500 from the receiver leaves a successful sync successful');
  assert.equal(hook.got.length, 3);
  assert.ok(ok.logs.some((l) => l.msg === 'notification not delivered' && l.result === 'HTTP 500'));
});

test('heartbeat: <url>/start then <url> on success, <url>/<exit code> on failure, with the run log in the body', async () => {
  const hc = await receiver();
  const fx = makeFixture('hb');
  const env = fx.env({ BWDC_HEARTBEAT_URL: `${hc.url}/ping/${HOOK_TOKEN}` });
  const ok = await runCli(['run'], env);
  assert.equal(ok.code, 0);
  fx.control({ faults: { sync: 'ldap-bind' } });
  const bad = await runCli(['run'], env);
  assert.equal(bad.code, 1);
  assert.deepEqual(
    hc.got.map((g) => `${g.method} ${g.path.replace(HOOK_TOKEN, 'T')}`),
    ['POST /ping/T/start', 'POST /ping/T', 'POST /ping/T/start', 'POST /ping/T/1'],
  );
  assert.match(hc.got[1]!.body, /Synced 2 group\(s\) and 3 user\(s\)/);
  assert.match(hc.got[3]!.body, /run failed/);
  assertNoCanary('heartbeat bodies and logs', ...hc.got.map((g) => g.body), ok.stdout, bad.stdout, bad.stderr);
  assert.ok(!(ok.stdout + bad.stdout).includes(HOOK_TOKEN));
});

test('a webhook URL from a secret reference; check validates targets, --notify-test sends one message to each, the heartbeat at <url>/log', async () => {
  const hook = await receiver();
  const hc = await receiver();
  const fx = makeFixture('ref');
  const env = fx.env({
    BWDC_NOTIFY: JSON.stringify([{ url: 'env://SLACK_HOOK', format: 'slack', on: ['always'] }]),
    SLACK_HOOK: `${hook.url}/services/${HOOK_TOKEN}`,
    BWDC_HEARTBEAT_URL: `${hc.url}/ping/${HOOK_TOKEN}`,
  });
  const check = await runCli(['check'], env);
  assert.equal(check.code, 0, check.stdout + check.stderr);
  assert.match(check.stdout, /ok {3}notify \(\d+m?s\): notify slack-0 \(env:\/\/SLACK_HOOK\) resolved/);
  assert.match(check.stdout, /ok {3}heartbeat \(\d+m?s\): heartbeat \(literal URL\) resolved/);
  assert.equal(hook.got.length + hc.got.length, 0, 'check sends nothing by default');
  const sent = await runCli(['check', '--notify-test'], env);
  assert.equal(sent.code, 0, sent.stdout);
  assert.equal(hook.got.length, 1);
  assert.match(JSON.parse(hook.got[0]!.body).text, /a test notification for ref/);
  // The heartbeat's test is a logged event (healthchecks.io's /log), not a success or a start.
  assert.deepEqual(
    hc.got.map((g) => `${g.method} ${g.path.replace(HOOK_TOKEN, 'T')}`),
    ['POST /ping/T/log'],
  );
  assert.match(hc.got[0]!.body, /check --notify-test: instance ref/);
  const run = await runCli(['run'], env);
  assert.equal(run.code, 0);
  assert.match(JSON.parse(hook.got[1]!.body).text, /ref synced/);
  assert.ok(!(check.stdout + sent.stdout + run.stdout).includes(HOOK_TOKEN));
  const bad = await runCli(['check'], fx.env({ BWDC_NOTIFY_URL: 'ftp://example.com/x' }));
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /notify\[0\]\.url .*expected an http\(s\) URL or a secret reference/);
});

test('payloads: Slack text, a Teams Adaptive Card, the generic JSON; decide() alone', () => {
  const run = {
    instance: 'corp',
    runId: 'abcd1234',
    outcome: 'failure' as const,
    failureClass: 'auth',
    exitCode: 1,
    message: 'invalid_client',
    users: undefined,
    groups: undefined,
    durationMs: 1200,
    consecutiveFailures: 3,
    endedAt: new Date('2026-11-27T10:00:00Z'),
  };
  assert.match(
    (body('slack', 'failure', run, '1.0') as { text: string }).text,
    /corp sync FAILED \(3 runs in a row\), class auth/,
  );
  const teams = body('teams', 'failure', run, '1.0') as {
    attachments: Array<{ contentType: string; content: { type: string; body: Array<{ text: string }> } }>;
  };
  assert.equal(teams.attachments[0]!.contentType, 'application/vnd.microsoft.card.adaptive');
  assert.equal(teams.attachments[0]!.content.type, 'AdaptiveCard');
  assert.match(teams.attachments[0]!.content.body[0]!.text, /FAILED/);
  assert.deepEqual(Object.keys(body('json', 'failure', run, '1.0') as object).sort(), [
    'changes',
    'class',
    'consecutiveFailures',
    'counts',
    'durationMs',
    'event',
    'exitCode',
    'host',
    'instance',
    'message',
    'outcome',
    'runId',
    'time',
    'version',
  ]);
  const t: NotifyTarget = { url: 'x', format: 'json', on: ['failure', 'recovery'], after: 1, label: 'json-0' };
  assert.deepEqual(decide([t], 'failure', 1, []).sends.length, 1);
  assert.deepEqual(decide([t], 'failure', 2, ['json-0']).sends.length, 0);
  assert.deepEqual(decide([t], 'success', 0, []).sends.length, 0, 'no recovery without a failure notice');
  assert.deepEqual(decide([t], 'success', 0, ['json-0']).sends[0]!.notice, 'recovery');
  assert.equal(pingUrl('https://hc-ping.com/uuid?rid=1', 'start'), 'https://hc-ping.com/uuid/start?rid=1');
  assert.equal(CANARY_CLIENT_SECRET.length > 0 && CANARY_DIRECTORY_SECRET.length > 0, true);
});

// ---- live reload --------------------------------------------------------------------------------

/** A folder laid out like a mounted ConfigMap: config.yaml -> ..data/config.yaml, ..data -> ..<stamp>. */
function configMapVolume(dir: string, text: string, stamp: string): void {
  const data = join(dir, `..${stamp}`);
  mkdirSync(data, { recursive: true });
  writeFileSync(join(data, 'config.yaml'), text);
  // kubelet's atomic writer: a new timestamped folder, a temporary symlink to it, renamed over ..data.
  symlinkSync(`..${stamp}`, join(dir, '..data_tmp'));
  renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
}

test('schedule reloads on a ConfigMap-style symlink swap; a broken edit keeps the old configuration and says why in /status', async () => {
  const fx = makeFixture('watched');
  const dir = join(fx.dir, 'configmap');
  mkdirSync(dir);
  const config = (names: string[], schedule = '0 0 1 1 *') =>
    [
      `defaults: { clientId: "${fx.env().BW_CLIENTID}", clientSecret: "file://${fx.secretPath}", schedule: "${schedule}" }`,
      'instances:',
      ...names.map((n) => `  - { name: ${n}, dataJson: ${fx.templatePath} }`),
    ].join('\n');
  configMapVolume(dir, config(['one']), '2026_11_27_01');
  symlinkSync('..data/config.yaml', join(dir, 'config.yaml'));
  const run: CliRun = startCli(
    ['schedule', '--config', join(dir, 'config.yaml')],
    fx.fileEnv({ BWDC_HTTP_PORT: '0', BWDC_HTTP_HOST: '127.0.0.1' }),
  );
  after(() => run.kill('SIGKILL'));
  await waitFor(() => run.logs().some((l) => l.msg === 'scheduler started'), 60_000);
  const port = run.logs().find((l) => l.port !== undefined)!.port as number;

  configMapVolume(dir, config(['one', 'two']), '2026_11_27_02');
  await waitFor(() => run.logs().some((l) => l.msg === 'file change: configuration reloaded'), 30_000).catch((e) => {
    console.error('LOGS', JSON.stringify(run.logs().map((l) => l.msg)));
    throw e;
  });
  const reloaded = run.logs().find((l) => l.msg === 'file change: configuration reloaded')!;
  assert.deepEqual(reloaded.added, ['two']);

  configMapVolume(dir, config(['one', 'two'], 'not a cron'), '2026_11_27_03');
  await waitFor(
    () => run.logs().some((l) => l.msg === 'file change: the new configuration is invalid; keeping the running one'),
    30_000,
  );
  const status = (await (await fetch(`http://127.0.0.1:${port}/status`)).json()) as {
    config: { reloadError: string | null };
    instances: Array<{ directory: string }>;
  };
  assert.match(status.config.reloadError!, /not a valid cron expression/);
  assert.deepEqual(status.instances.map((i) => i.directory).sort(), ['one', 'two'], 'the old configuration runs on');
});
