// Shared by the benchmarks: medians, temp instances, the bwdc double, running the built CLI.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BitwardenTestServer } from '../test/bitwarden-server/server.ts';

export const root = fileURLToPath(new URL('..', import.meta.url));
export const double = join(root, 'test', 'bwdc-double', 'bwdc');
export const bin = join(root, 'bin', 'bwdc-runner.js');
export const CLIENT_ID = 'organization.3f0c1a52-7d4e-4b8a-9c61-2e5f8a7b9d10';
export const BENCH_CLIENT_SECRET = 'bench-client-secret';

/**
 * The Bitwarden identity endpoint the runner logs in at (the test server, test/bitwarden-server/):
 * benchmarks run under tsx (`node --import tsx`) to load it. Point BW_SERVER at `bitwarden.url`.
 */
export const bitwarden = await new BitwardenTestServer().start();
bitwarden.addClient(CLIENT_ID, BENCH_CLIENT_SECRET);

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}
export function percentile(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

// A data.json as bwdc 2026.6 leaves it (stateVersion 6), so no run logs the migration warning.
export const template = {
  stateVersion: 6,
  directoryType: 0,
  directoryLdap: { hostname: 'ldap.bench', port: 389 },
  sync: { users: true, groups: true, overwriteExisting: false, largeImport: false, inviteUsersAfterProvisioning: true },
};

/** A temp folder with data.json, a client secret file and a control file for the double. */
export function benchDir(control = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'bwdc-bench-'));
  writeFileSync(join(dir, 'data.json'), JSON.stringify(template));
  writeFileSync(join(dir, 'client_secret'), `${BENCH_CLIENT_SECRET}\n`);
  writeFileSync(join(dir, 'control.json'), JSON.stringify({ record: join(dir, 'calls.jsonl'), ...control }));
  return dir;
}

export function calls(dir) {
  try {
    return readFileSync(join(dir, 'calls.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
  } catch {
    return [];
  }
}

export function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : (process.env[`BENCH_${name.toUpperCase().replace(/-/g, '_')}`] ?? fallback);
}

/** Calls `fn` with every JSON log line the stream carries (lines may arrive split across chunks). */
export function onLogLines(stream, fn) {
  let buf = '';
  stream.on('data', (c) => {
    buf += c;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      if (line.startsWith('{')) fn(JSON.parse(line));
    }
  });
}

/**
 * config.yaml in `dir` for `n` instances sharing its data.json: the client id and secret (by default the
 * file benchDir wrote), then the `defaults` lines given (schedule, retry...). Returns its path.
 */
export function writeManyInstances(
  dir,
  n,
  { prefix = 'i', concurrency, clientSecret = `file://${join(dir, 'client_secret')}`, defaults = [] },
) {
  const lines = [
    'httpPort: off',
    `concurrency: ${concurrency}`,
    'defaults:',
    `  clientId: ${CLIENT_ID}`,
    `  clientSecret: ${clientSecret}`,
    ...defaults.map((l) => `  ${l}`),
    'instances:',
  ];
  for (let i = 0; i < n; i++) lines.push(`  - { name: ${prefix}${i}, dataJson: ${join(dir, 'data.json')} }`);
  const path = join(dir, 'config.yaml');
  writeFileSync(path, lines.join('\n'));
  return path;
}

/** The runner's environment over `dir`: the double, the test server, the state folder; `extra` on top. */
export function runnerEnv(dir, extra = {}) {
  return {
    PATH: process.env.PATH,
    HOME: dir,
    BWDC_PATH: double,
    BW_SERVER: bitwarden.url,
    BWDC_STATE_DIR: join(dir, 'state'),
    BWDC_DOUBLE_CONTROL: join(dir, 'control.json'),
    BWDC_PASS_ENV: 'BWDC_DOUBLE_*',
    ...extra,
  };
}

/** The Node flags the runner starts with: those of bin/bwdc-runner.js's shebang, which the image's ENTRYPOINT
 * repeats (Dockerfile). */
export function runnerNodeFlags() {
  return readFileSync(bin, 'utf8')
    .split('\n', 1)[0]
    .split(/\s+/)
    .filter((a) => a.startsWith('--'));
}

/** The image's code cache of the bundle (bin/code-cache.js), made in `folder` as the image build makes it
 * (Dockerfile): under the Node flags the runner will run with. Returns `folder`, for NODE_COMPILE_CACHE. */
export function makeCodeCache(folder, nodeFlags) {
  mkdirSync(folder, { recursive: true });
  const made = spawnSync(process.execPath, [...nodeFlags, join(root, 'bin', 'code-cache.js'), folder]);
  if (made.status !== 0) throw new Error(`bin/code-cache.js: ${made.stderr}`);
  return folder;
}
