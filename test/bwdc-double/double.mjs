// A test double of the Bitwarden Directory Connector CLI (bwdc), reproducing what
// what was measured on the real bwdc v2026.6.1: the --response shapes and exit codes, the
// data.json lock folder and its ELOCKED failure, "already logged in" / "not logged in", plaintext
// secrets in data.json, `config --secretenv` silently clearing on an unset variable, the payload
// hash that makes an unchanged second sync report 0 and 0, and the 401/403 TypeError crash.
//
// Controlled by a JSON file named in BWDC_DOUBLE_CONTROL (all keys optional):
//   record          append one JSON line per invocation: {pid, ppid, argv, env, command, time}
//   clientSecret    the secret the fake identity server accepts (default: any)
//   directorySecret the secret the fake directory accepts (default: any)
//   users, groups   directory size to generate (default 3 users, 2 groups)
//   delayMs         start-up cost of every call (default 0, or BWDC_DOUBLE_DELAY_MS)
//   faults          { "<command>": "<fault>" }; faultTimes { "<command>": n } fires it n times only
//                   faults: hang, hang-with-child, crash-401, error, network, server-500, ldap-down,
//                   ldap-bind, empty-datajson, slow, sigkill, flood, echo-secret
//   slowMs, floodBytes, errorMessage, version, runningDir (see below), faultRate/faultPool/faultCommand
//   identityHttp    `login` sends the real identity request ({identity}/connect/token) over HTTP, through
//                   a proxy only as bwdc 2026.6 does: with NODE_USE_ENV_PROXY=1 (see proxyFor)
//   apiHttp         `sync` sends its import to {api}/public/organization/import over HTTP as bwdc does
//                   (bearer token, the body of docs/upstream/bwdc.md "The import bwdc sends"); otherwise it
//                   only computes the payload hash
//   build           'main': behave as bitwarden/directory-connector main (d9afa86): `config
//                   sync.inviteUsersAfterProvisioning` is a setting and the import carries it; otherwise
//                   v2026.6.1 (the setting is unknown and never sent)
//   directory       the directory itself: {users: [{externalId, email, disabled, deleted}],
//                   groups: [{externalId, name, members: [user externalIds]}]} (instead of users/groups)
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  appendFileSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmdirSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { homedir } from 'node:os';
import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import { basename, join } from 'node:path';

const env = process.env;
const control = env.BWDC_DOUBLE_CONTROL ? JSON.parse(readFileSync(env.BWDC_DOUBLE_CONTROL, 'utf8')) : {};
const VERSION = control.version ?? '2026.6.1';

// ---- arguments -------------------------------------------------------------------------------
const argv = process.argv.slice(2);
const flags = new Set();
const positionals = [];
const options = {};
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === '--secretenv' || a === '--secretfile') options[a.slice(2)] = argv[++i];
  else if (a.startsWith('--')) flags.add(a.slice(2));
  else positionals.push(a);
}
const response = flags.has('response') || env.BW_RESPONSE === 'true';
const cleanexit = flags.has('cleanexit') || env.BW_CLEANEXIT === 'true';
const command = positionals[0];

function out(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}
function succeed(data) {
  if (response) out({ success: true, data });
  else process.stdout.write((data.title ?? '') + (data.message ? `\n${data.message}` : '') + '\n');
  process.exit(0);
}
function failWith(message) {
  if (response) out({ success: false, message });
  else process.stderr.write(message + '\n');
  process.exit(cleanexit ? 0 : 1);
}
const message = (title, msg = null) => ({ object: 'message', title, message: msg, noColor: false });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---- record --------------------------------------------------------------------------------
// With `runningDir`, each live process keeps a file there: the count at start is how many bwdc
// processes run at once (the scheduler's concurrency limit is asserted on it).
let concurrent;
if (control.runningDir) {
  const mine = join(control.runningDir, String(process.pid));
  writeFileSync(mine, '');
  concurrent = readdirSync(control.runningDir).length;
  process.on('exit', () => {
    try {
      unlinkSync(mine);
    } catch {
      /* gone already, or never there */
    }
  });
}
function record(extra = {}) {
  if (!control.record) return;
  appendFileSync(
    control.record,
    JSON.stringify({
      pid: process.pid,
      ppid: process.ppid,
      umask: /Umask:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1],
      uid: process.getuid(),
      argv,
      env,
      command,
      concurrent,
      time: new Date().toISOString(),
      ...extra,
    }) + '\n',
  );
}
record();

// ---- faults --------------------------------------------------------------------------------
function faultFor(cmd) {
  // faultRate: a random fault from faultPool for this share of the calls of `faultCommand` (soak tests).
  if (control.faultRate && cmd === (control.faultCommand ?? 'sync') && Math.random() < control.faultRate) {
    const pool = control.faultPool ?? ['error', 'network', 'crash-401', 'empty-datajson', 'sigkill', 'ldap-bind'];
    return pool[Math.floor(Math.random() * pool.length)];
  }
  // instanceFaults: faults for one instance only, keyed by the appdata folder's name (the runner
  // names it after the instance).
  const fault = control.instanceFaults?.[basename(appDir)]?.[cmd] ?? control.faults?.[cmd];
  if (!fault) return undefined;
  const times = control.faultTimes?.[cmd];
  if (times === undefined) return fault;
  const countsPath = env.BWDC_DOUBLE_CONTROL + '.counts.json';
  const counts = existsSync(countsPath) ? JSON.parse(readFileSync(countsPath, 'utf8')) : {};
  const n = counts[cmd] ?? 0;
  if (n >= times) return undefined;
  counts[cmd] = n + 1;
  writeFileSync(countsPath, JSON.stringify(counts));
  return fault;
}

// ---- data.json and its lock ----------------------------------------------------------------
const appDir = env.BITWARDENCLI_CONNECTOR_APPDATA_DIR || join(homedir(), '.config', 'Bitwarden Directory Connector');
const dataPath = join(appDir, 'data.json');
const lockPath = dataPath + '.lock';

async function withLock(fn) {
  // proper-lockfile: a lock folder beside the file, 3 retries, stale after 10 s.
  for (let attempt = 0; ; attempt++) {
    try {
      mkdirSync(lockPath);
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      let stale = false;
      try {
        stale = Date.now() - statSync(lockPath).mtimeMs > 10_000;
      } catch {
        /* gone already, or never there */
      }
      if (stale) {
        try {
          rmdirSync(lockPath);
        } catch {
          /* gone already, or never there */
        }
        continue;
      }
      if (attempt >= 3) failWith('ELOCKED: Lock file is already being held');
      await sleep(100);
    }
  }
  try {
    return await fn();
  } finally {
    try {
      rmdirSync(lockPath);
    } catch {
      /* gone already, or never there */
    }
  }
}

function readData() {
  if (!existsSync(dataPath)) {
    process.stderr.write(`Warning: ${dataPath} does not exist; creating it.\n`);
    mkdirSync(appDir, { recursive: true, mode: 0o700 });
    writeData({});
    return {};
  }
  const text = readFileSync(dataPath, 'utf8');
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    // What upstream does with a data.json it cannot parse: keep a copy, start empty.
    copyFileSync(dataPath, dataPath + '.bak');
    writeFileSync(dataPath, '');
    return {};
  }
}
// As bwdc does: a temporary file and a rename, so the file's mode is 0666 & ~umask after every
// write (0644, secrets included, under the usual umask 022).
function writeData(data) {
  const tmp = `${dataPath}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(data, null, 2));
  renameSync(tmp, dataPath);
}
const load = () => withLock(async () => readData());
const save = (data) => withLock(async () => writeData(data));

function url(data, kind) {
  const u = data.environmentUrls ?? {};
  if (u[kind]) return u[kind];
  if (u.base) return `${u.base}/${kind}`;
  return kind === 'identity' ? 'https://identity.bitwarden.com' : 'https://api.bitwarden.com';
}

// Every start, --version included, creates data.json when it is missing (two warnings on stderr;
// the folder made 0700: with an unwritable HOME and no app-data folder this crashes) and writes
// installedVersion when it differs, as the real bwdc does.
function startUp() {
  if (!existsSync(dataPath)) {
    process.stderr.write(`Warning: ${dataPath} does not exist; creating it.\nWarning: ${appDir} created.\n`);
    mkdirSync(appDir, { recursive: true, mode: 0o700 });
    writeData({ stateVersion: 6, installedVersion: VERSION });
    return;
  }
  try {
    let data = JSON.parse(readFileSync(dataPath, 'utf8'));
    // bitwarden/directory-connector v2026.6.1 libs/services/state-service/stateMigration.service.ts:
    // a state version below 5 (the flat stateVersion, else global.stateVersion: getCurrentStateVersion) is
    // migrated at start (migrateStateFrom3To5); with an active account it copies global.environmentUrls
    // over the flat environmentUrls (measured with the real v2026.6.1 too).
    const old = data?.stateVersion ?? data?.global?.stateVersion;
    if ((old === 3 || old === 4) && data.activeUserId && data[data.activeUserId]) {
      data = { ...data, stateVersion: 6 };
      if (data.global?.environmentUrls != null) data.environmentUrls = data.global.environmentUrls;
      writeData(data);
    }
    if (data && typeof data === 'object' && data.installedVersion !== VERSION)
      writeData({ ...data, installedVersion: VERSION });
  } catch {
    /* unparsable or empty: left to the command, which backs it up (readData) */
  }
}
// The folder first (its lock lives in it): an unwritable HOME ends here, with bwdc's ENOENT/EACCES crash.
mkdirSync(appDir, { recursive: true, mode: 0o700 });
await withLock(async () => startUp());
if (flags.has('version') || command === '--version') {
  process.stdout.write(VERSION + '\n');
  process.exit(0);
}

// ---- HTTP, as bwdc 2026.6 (Node's fetch) makes it ------------------------------------------------
// A proxy is used only with NODE_USE_ENV_PROXY=1: then an http:// URL needs HTTP_PROXY (HTTPS_PROXY
// alone does not cover it), an https:// one uses HTTPS_PROXY, falling back to HTTP_PROXY; either case;
// NO_PROXY (either case) exempts hosts; even plain http goes through a CONNECT tunnel; loopback too.
function proxyFor(target) {
  if (env.NODE_USE_ENV_PROXY !== '1') return undefined;
  const u = new URL(target);
  const noProxy = (env.NO_PROXY ?? env.no_proxy ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const exempt = noProxy.some(
    (n) =>
      n === '*' ||
      n === u.hostname ||
      n === u.host ||
      (n.startsWith('.') ? u.hostname.endsWith(n) : u.hostname.endsWith(`.${n}`)),
  );
  if (exempt) return undefined;
  const p =
    u.protocol === 'https:'
      ? (env.HTTPS_PROXY ?? env.https_proxy ?? env.HTTP_PROXY ?? env.http_proxy)
      : (env.HTTP_PROXY ?? env.http_proxy);
  return p ? new URL(p) : undefined;
}

async function postForm(target, body, headers, method = 'POST') {
  const u = new URL(target);
  const port = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
  const proxy = proxyFor(target);
  let createConnection;
  if (proxy) {
    const socket = await new Promise((resolve, reject) => {
      const req = http.request({
        host: proxy.hostname,
        port: Number(proxy.port || 80),
        method: 'CONNECT',
        path: `${u.hostname}:${port}`,
      });
      req.on('connect', (res, sock) =>
        res.statusCode === 200
          ? resolve(sock)
          : reject(Object.assign(new Error(`proxy answered ${res.statusCode}`), { code: 'EPROXY' })),
      );
      req.on('error', reject);
      req.end();
    });
    createConnection = () => (u.protocol === 'https:' ? tls.connect({ socket, servername: u.hostname }) : socket);
  }
  return new Promise((resolve, reject) => {
    const req = (u.protocol === 'https:' ? https : http).request(
      target,
      { method, headers, createConnection },
      (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode, text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The request `bwdc login` makes (docs/upstream/bwdc.md "Login and tokens"); returns the access token. */
async function identityToken(data, clientId, clientSecret) {
  const target = `${url(data, 'identity')}/connect/token`;
  const form = new URLSearchParams({
    scope: 'api.organization',
    client_id: clientId,
    deviceType: '8',
    deviceIdentifier: data.appId ?? 'double-app-id',
    deviceName: 'linux',
    grant_type: 'client_credentials',
    client_secret: clientSecret,
  });
  let res;
  try {
    res = await postForm(target, form.toString(), {
      'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8',
      Accept: 'application/json',
      'Device-Type': '8',
      'Bitwarden-Client-Name': 'connector',
      'Bitwarden-Client-Version': VERSION,
      'User-Agent': 'Bitwarden_DC/[object Promise] (LINUX)',
    });
  } catch (e) {
    failWith(`request to ${target} failed, reason: ${e.code ?? e.message}`);
  }
  if (res.status !== 200) {
    let response;
    try {
      response = JSON.parse(res.text);
    } catch {
      response = res.text;
    }
    failWith(JSON.stringify({ response, captchaRequired: false, statusCode: res.status }));
  }
  return JSON.parse(res.text).access_token;
}

// ---- the token, as bwdc checks it before an import ----------------------------------------------
// The JWT is decoded, never verified; with no `exp` or less than 5 minutes left it is renewed: with a
// refresh token (never issued for organization keys), else with the stored API key, else it fails.
async function ensureFreshToken(data) {
  const parts = String(data.accessToken).split('.');
  if (parts.length !== 3) failWith('JWT must have 3 parts');
  let exp;
  try {
    exp = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')).exp;
  } catch {
    exp = undefined;
  }
  if (typeof exp === 'number' && exp * 1000 - Date.now() > 5 * 60_000) return;
  if (!data.apiKeyClientId || !data.apiKeyClientSecret)
    failWith('Cannot refresh token, no refresh token or api keys are stored');
  if (control.identityHttp) data.accessToken = await identityToken(data, data.apiKeyClientId, data.apiKeyClientSecret);
  else {
    if (control.clientSecret !== undefined && data.apiKeyClientSecret !== control.clientSecret) {
      failWith('{"response":{"error":"invalid_client"},"captchaRequired":false,"statusCode":400}');
    }
    const payload = Buffer.from(
      JSON.stringify({ sub: data.apiKeyClientId, exp: Math.floor(Date.now() / 1000) + 3600 }),
    ).toString('base64url');
    data.accessToken = `eyJhbGciOiJub25lIn0.${payload}.`;
  }
  await save(data);
  record({ renewedToken: true });
}

// What every `config <secret>` call also does (docs/upstream/bwdc.md "What config rewrites"): rewrites
// directoryType, all five sections (a missing one becomes {}) and sync, and when the LDAP section says `ad`
// (or is missing), overwrites the sync settings below with Active Directory's defaults, whatever the user
// had.
const adDefaults = {
  userObjectClass: 'person',
  groupObjectClass: 'group',
  groupNameAttribute: 'name',
  memberAttribute: 'member',
  userEmailAttribute: 'mail',
  emailPrefixAttribute: 'sAMAccountName',
  creationDateAttribute: 'whenCreated',
  revisionDateAttribute: 'whenChanged',
};
function rewriteSettings(data, setting, ldapAbsent) {
  data.directoryType = data.directoryType ?? typeSetting.indexOf(setting);
  for (const section of ['directoryLdap', 'directoryEntra', 'directoryGsuite', 'directoryOkta', 'directoryOnelogin'])
    data[section] = data[section] ?? {};
  data.sync = data.sync ?? {};
  if (data.directoryLdap.ad === true || ldapAbsent) Object.assign(data.sync, adDefaults);
}

// ---- the directory -------------------------------------------------------------------------
function directory() {
  if (control.directory) {
    const users = (control.directory.users ?? []).map((u) => ({
      referenceId: u.externalId,
      externalId: u.externalId,
      email: u.email ?? null,
      disabled: u.disabled ?? false,
      deleted: u.deleted ?? false,
    }));
    const groups = (control.directory.groups ?? []).map((g) => ({
      referenceId: g.externalId,
      externalId: g.externalId,
      name: g.name,
      userMemberExternalIds: g.members ?? [],
    }));
    return { users, groups };
  }
  const nUsers = control.users ?? 3;
  const nGroups = control.groups ?? 2;
  const names = ['alice', 'bob', 'carol'];
  const users = Array.from({ length: nUsers }, (_, i) => ({
    referenceId: `u${i}`,
    externalId: `u${i}`,
    email: `${names[i] ?? `user${i}`}@example.com`,
    disabled: false,
    deleted: false,
  }));
  const groups = Array.from({ length: nGroups }, (_, i) => ({
    referenceId: `g${i}`,
    externalId: `g${i}`,
    name: i === 0 ? 'admins' : `group${i}`,
    userMemberExternalIds: users.filter((_, j) => (i === 0 ? j === 0 : true)).map((u) => u.externalId),
  }));
  return { users, groups };
}

/**
 * `bwdc test --response`'s data (docs/upstream/bwdc.md "What test prints"): displayName is the email, else
 * the reference id.
 */
function testReport(dir) {
  const user = (u) => ({ externalId: u.externalId, displayName: u.email ?? u.referenceId });
  return {
    object: 'test',
    groups: dir.groups.map((g) => ({
      externalId: g.externalId,
      displayName: g.name,
      userIds: g.userMemberExternalIds,
    })),
    enabledUsers: dir.users.filter((u) => !u.disabled && !u.deleted).map(user),
    disabledUsers: dir.users.filter((u) => u.disabled && !u.deleted).map(user),
    deletedUsers: dir.users.filter((u) => u.deleted).map(user),
  };
}

/**
 * The requests bwdc sends: one, or with largeImport and more users than a batch (2,000; `batchSize` in
 * the control file for tests) the users in batches, then the groups in batches, each its own request;
 * overwriteExisting cannot be batched (bwdc refuses it before sending anything).
 */
function importRequests(body) {
  const size = control.batchSize ?? 2000;
  // v2026.6.1 libs/services/sync.service.ts buildRequest: groups + users, not users alone.
  if (!body.largeImport || body.members.length + body.groups.length <= size) return [body];
  if (body.overwriteExisting)
    failWith(
      "You cannot use the 'Remove and re-add organization users during the next sync' option with large imports.",
    );
  const out = [];
  for (let i = 0; i < body.members.length; i += size)
    out.push({ ...body, groups: [], members: body.members.slice(i, i + size) });
  for (let i = 0; i < body.groups.length; i += size)
    out.push({ ...body, members: [], groups: body.groups.slice(i, i + size) });
  return out;
}

/** The import bwdc builds from a directory read (docs/upstream/bwdc.md "The import bwdc sends"). */
function importBody(dir, sync) {
  const members = (sync.users === false ? [] : dir.users)
    .filter((u) => u.email && u.email.length <= 256)
    .map((u) => ({
      email: u.email,
      externalId: u.externalId,
      deleted: u.deleted || (!!sync.removeDisabled && u.disabled),
    }));
  const groups = (sync.groups === false ? [] : dir.groups).map((g) => ({
    name: g.name,
    externalId: g.externalId,
    memberExternalIds: g.userMemberExternalIds,
  }));
  // v2026.6.1's request builders never send inviteUsersAfterProvisioning (the server's default, true,
  // applies); main (d9afa86) sends the setting, absent read as true (its state migration 8).
  const invite =
    control.build === 'main' ? { inviteUsersAfterProvisioning: sync.inviteUsersAfterProvisioning ?? true } : {};
  return {
    groups,
    members,
    overwriteExisting: !!sync.overwriteExisting,
    largeImport: !!sync.largeImport && members.length + groups.length > (control.batchSize ?? 2000),
    ...invite,
  };
}

const secretFields = {
  'ldap.password': ['directoryLdap', 'password'],
  'entra.key': ['directoryEntra', 'key'],
  'azure.key': ['directoryEntra', 'key'],
  'gsuite.key': ['directoryGsuite', 'privateKey'],
  'okta.token': ['directoryOkta', 'token'],
  'onelogin.secret': ['directoryOnelogin', 'clientSecret'],
};
const typeSetting = ['ldap.password', 'entra.key', 'gsuite.key', 'okta.token', 'onelogin.secret'];
const sectionOf = ['directoryLdap', 'directoryEntra', 'directoryGsuite', 'directoryOkta', 'directoryOnelogin'];
// What each directory service needs before it reads anything (the secret is checked separately).
const requiredFields = [
  ['hostname', 'port'],
  ['tenant', 'applicationId'],
  ['clientEmail', 'adminUser', 'domain'],
  ['orgUrl'],
  ['clientId'],
];

// ---- commands ------------------------------------------------------------------------------
async function applyFault(fault, data) {
  switch (fault) {
    case undefined:
      return;
    case 'hang':
      await new Promise(() => setInterval(() => {}, 1 << 30));
      return;
    case 'hang-with-child': {
      const child = spawn('sleep', ['1000'], { stdio: 'ignore' });
      record({ grandchild: child.pid, command: 'grandchild' });
      await new Promise(() => setInterval(() => {}, 1 << 30));
      return;
    }
    case 'crash-401': {
      // The API answered 401/403: the CLI wipes its stored tokens, then crashes.
      const d = await load();
      delete d.accessToken;
      delete d.refreshToken;
      delete d.apiKeyClientId;
      delete d.apiKeyClientSecret;
      await save(d);
      process.stderr.write(
        "TypeError: Cannot read properties of null (reading 'message')\n    at ApiService.handleError (/snapshot/dist/bwdc.js:1:123456)\n    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)\n",
      );
      process.exit(1);
      break; // not reached
    }
    case 'error':
      return failWith(control.errorMessage ?? 'An error has occurred.');
    case 'network':
      return failWith(
        `request to ${url(data, 'api')}/public/organization/import failed, reason: connect ECONNREFUSED 127.0.0.1:443`,
      );
    case 'server-500':
      return failWith('{"response":{"message":"An error has occurred."},"statusCode":500}');
    case 'ldap-down':
      return failWith(
        `connect ECONNREFUSED ${data.directoryLdap?.hostname ?? '127.0.0.1'}:${data.directoryLdap?.port ?? 389}`,
      );
    case 'ldap-bind':
      return failWith(' Code: 0x31');
    case 'slow':
      await sleep(control.slowMs ?? 2000);
      return;
    case 'sigkill':
      mkdirSync(lockPath, { recursive: true }); // dies holding the data.json lock
      process.kill(process.pid, 'SIGKILL');
      await sleep(10_000);
      return;
    case 'flood': {
      const chunk = 'x'.repeat(64 * 1024) + '\n';
      let left = control.floodBytes ?? 50 * 1024 * 1024;
      while (left > 0) {
        if (!process.stdout.write(chunk)) await new Promise((r) => process.stdout.once('drain', r));
        left -= chunk.length;
      }
      return;
    }
    case 'echo-secret':
      return failWith(
        `request failed: client_secret=${env.BW_CLIENTSECRET ?? data.apiKeyClientSecret ?? ''} rejected; directory secret ${data.directoryLdap?.password ?? ''}`,
      );
    case 'empty-datajson':
      // The upstream report: data.json reset under a cron job, and the command still "succeeds".
      writeFileSync(dataPath, '');
      return succeed(message('Syncing complete.', 'Synced 0 group(s) and 0 user(s).'));
    default:
      process.stderr.write(`double: unknown fault ${fault}\n`);
      process.exit(2);
  }
}

async function main() {
  if (env.BITWARDENCLI_CONNECTOR_PLAINTEXT_SECRETS !== 'true') {
    failWith('Cannot autolaunch D-Bus without X11 $DISPLAY');
  }
  const delay = control.delayMs ?? Number(env.BWDC_DOUBLE_DELAY_MS ?? 0);
  if (delay > 0) await sleep(delay);

  let data = await load();
  const fault = faultFor(command);
  const isLoggedIn = () => typeof data.accessToken === 'string' && data.accessToken !== '';

  switch (command) {
    case 'login': {
      if (isLoggedIn())
        failWith(`You are already logged in as ${data.apiKeyClientId ?? 'organization.' + data.organizationId}.`);
      const clientId = positionals[1] ?? env.BW_CLIENTID;
      const clientSecret = positionals[2] ?? env.BW_CLIENTSECRET;
      if (!clientId) failWith('Client ID is required.');
      if (!clientSecret) failWith('Client Secret is required.');
      if (fault === 'network')
        failWith(
          `request to ${url(data, 'identity')}/connect/token failed, reason: connect ECONNREFUSED 127.0.0.1:443`,
        );
      await applyFault(fault, data);
      if (control.clientSecret !== undefined && clientSecret !== control.clientSecret) {
        failWith('{"response":{"error":"invalid_client"},"captchaRequired":false,"statusCode":400}');
      }
      const orgId = clientId.startsWith('organization.') ? clientId.slice('organization.'.length) : null;
      const payload = Buffer.from(
        JSON.stringify({ sub: clientId, exp: Math.floor(Date.now() / 1000) + 3600 }),
      ).toString('base64url');
      const accessToken = control.identityHttp
        ? await identityToken(data, clientId, clientSecret)
        : `eyJhbGciOiJub25lIn0.${payload}.`;
      data = await load();
      Object.assign(data, {
        accessToken,
        refreshToken: null,
        apiKeyClientId: clientId,
        apiKeyClientSecret: clientSecret,
        organizationId: orgId,
      });
      await save(data);
      succeed(message('You are logged in!'));
      break;
    }
    case 'logout': {
      if (!isLoggedIn()) failWith('You are not logged in.');
      await applyFault(fault, data);
      delete data.accessToken;
      delete data.refreshToken;
      delete data.apiKeyClientId;
      delete data.apiKeyClientSecret;
      await save(data);
      succeed(message('You have logged out.'));
      break;
    }
    case 'config': {
      const setting = positionals[1];
      const value = positionals[2];
      await applyFault(fault, data);
      if (setting === 'server') {
        data.environmentUrls = value ? { base: value } : {};
      } else if (setting === 'sync.inviteUsersAfterProvisioning' && control.build === 'main') {
        // main (d9afa86) src-cli/commands/config.command.ts; v2026.6.1 answers "Unknown setting."
        data.sync = { ...(data.sync ?? {}), inviteUsersAfterProvisioning: value === 'true' };
      } else if (setting === 'directory') {
        if (!/^[0-4]$/.test(value ?? '')) failWith('Invalid directory type value.');
        data.directoryType = Number(value);
      } else if (secretFields[setting]) {
        let secret = value;
        if (options.secretenv !== undefined) secret = env[options.secretenv]; // unset: silently cleared
        if (options.secretfile !== undefined) secret = readFileSync(options.secretfile, 'utf8').split('\n')[0];
        const [section, field] = secretFields[setting];
        const ldapAbsent = !data.directoryLdap;
        data[section] = { ...(data[section] ?? {}), [field]: secret ?? null };
        rewriteSettings(data, setting, ldapAbsent);
      } else {
        failWith('Unknown setting.');
      }
      await save(data);
      succeed(message(`Saved setting \`${setting}\`.`));
      break;
    }
    case 'sync':
    case 'test': {
      if (!isLoggedIn()) failWith('You are not logged in.');
      if (control.directorySecret !== undefined) {
        const [section, field] = secretFields[typeSetting[data.directoryType ?? 0]];
        if (data[section]?.[field] !== control.directorySecret)
          failWith(data.directoryType > 0 ? 'Invalid credentials for the directory.' : ' Code: 0x31');
      }
      // A hand-written section is read as is (docs/upstream/bwdc.md "Directory and sync sections"): no
      // defaults, so a missing field fails.
      const needed = requiredFields[data.directoryType ?? 0] ?? [];
      const section = data[sectionOf[data.directoryType ?? 0]] ?? {};
      const missing = needed.filter((f) => section[f] === undefined || section[f] === null || section[f] === '');
      if (missing.length) {
        record({ incomplete: missing });
        failWith('dirConfigIncomplete');
      }
      await applyFault(fault, data);
      const dir = directory();
      if (command === 'test') succeed(testReport(dir));
      // After the directory read, as bwdc: the organization, then (only when something is sent) the token.
      if (!data.organizationId) failWith('Organization not set.');
      data = await load();
      const body = importBody(dir, data.sync ?? {});
      // Nothing to send: zero users and zero groups, unless overwriting (then an EMPTY import goes out).
      if (body.members.length === 0 && body.groups.length === 0 && !body.overwriteExisting) {
        succeed(message('Syncing complete.', 'Synced 0 group(s) and 0 user(s).'));
      }
      // v2026.6.1 libs/services/sync.service.ts generateHash: base64 SHA-256 of the API URL, the organization
      // and the JSON of the request (of the array of requests when batched), as sent.
      const requests = importRequests(body);
      const payload =
        url(data, 'api') + data.organizationId + JSON.stringify(requests.length === 1 ? requests[0] : requests);
      const hash = createHash('sha256').update(payload).digest('base64');
      if (data.lastSyncHash !== hash) await ensureFreshToken(data);
      if (data.lastSyncHash !== hash && control.apiHttp) {
        const target = `${url(data, 'api')}/public/organization/import`;
        for (const request of requests) {
          let res;
          try {
            res = await postForm(target, JSON.stringify(request), {
              'Content-Type': 'application/json; charset=utf-8',
              Authorization: `Bearer ${data.accessToken}`,
              'Device-Type': '8',
              'Bitwarden-Client-Name': 'connector',
              'Bitwarden-Client-Version': VERSION,
            });
          } catch (err) {
            failWith(`request to ${target} failed, reason: ${err.code ?? err.message}`);
          }
          record({ import: { status: res.status, members: request.members.length, groups: request.groups.length } });
          if (res.status !== 200) {
            // bwdc resets the delta tokens on a failed sync and keeps the old hash (docs/upstream/bwdc.md
            // "What must survive between runs").
            data.userDeltaToken = null;
            data.groupDeltaToken = null;
            await save(data);
            let messageText;
            try {
              messageText = JSON.parse(res.text).message;
            } catch {
              messageText = undefined;
            }
            failWith(messageText ?? JSON.stringify({ response: res.text, statusCode: res.status }));
          }
        }
      }
      const now = new Date().toISOString();
      data.lastUserSync = now;
      data.lastGroupSync = now;
      if (data.lastSyncHash === hash) {
        await save(data);
        succeed(message('Syncing complete.', 'Synced 0 group(s) and 0 user(s).'));
      }
      data.lastSyncHash = hash;
      await save(data);
      succeed(message('Syncing complete.', `Synced ${dir.groups.length} group(s) and ${dir.users.length} user(s).`));
      break;
    }
    case 'last-sync': {
      const which = positionals[1];
      if (which !== 'users' && which !== 'groups') failWith('Unknown object.');
      const v = which === 'users' ? data.lastUserSync : data.lastGroupSync;
      if (response) out({ success: true, data: { object: 'string', data: v ?? null } });
      else process.stdout.write((v ?? '') + '\n');
      process.exit(0);
      break; // not reached
    }
    case 'data-file':
      if (response) out({ success: true, data: { object: 'string', data: dataPath } });
      else process.stdout.write(dataPath + '\n');
      process.exit(0);
      break; // not reached
    case 'clear-cache':
      delete data.lastSyncHash;
      delete data.userDeltaToken;
      delete data.groupDeltaToken;
      await save(data);
      succeed(message('Cleared cache.'));
      break;
    default:
      failWith(command ? `unknown command '${command}'` : 'Usage: bwdc [options] [command]');
  }
}

main().catch((e) => {
  process.stderr.write(String(e?.stack ?? e) + '\n');
  process.exit(1);
});
