// Builds throwaway instances for tests: a temp folder with a data.json template, secret files,
// a control file for the bwdc double, and helpers to run the real CLI against it.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BitwardenTestServer } from '../bitwarden-server/server.js';

export const root = fileURLToPath(new URL('../..', import.meta.url));
export const doublePath = join(root, 'test', 'bwdc-double', 'bwdc');
export const binPath = join(root, 'bin', 'bwdc-runner.js');

export const CANARY_CLIENT_SECRET = 'canary-CLIENT-5ecret-7f3a9c1e';
export const CANARY_DIRECTORY_SECRET = 'canary-DIR-5ecret-e41b2d9a';
export const CLIENT_ID = 'organization.3f0c1a52-7d4e-4b8a-9c61-2e5f8a7b9d10';

/**
 * The Bitwarden server every fixture points at (BW_SERVER): the runner requests its organization
 * token there. It knows CLIENT_ID with the canary secret; tests add clients or secrets as needed.
 */
export const bitwarden = await new BitwardenTestServer().start();
bitwarden.addClient(CLIENT_ID, CANARY_CLIENT_SECRET);

export const ldapTemplate = {
  directoryType: 0,
  directoryLdap: { hostname: 'ldap.test', port: 389, ssl: false, rootPath: 'dc=test' },
  sync: { users: true, groups: true, overwriteExisting: false, largeImport: false },
};

export interface DoubleControl {
  record?: string;
  clientSecret?: string;
  directorySecret?: string;
  users?: number;
  groups?: number;
  delayMs?: number;
  faults?: Record<string, string>;
  faultTimes?: Record<string, number>;
  slowMs?: number;
  floodBytes?: number;
  errorMessage?: string;
  runningDir?: string;
  instanceFaults?: Record<string, Record<string, string>>;
  identityHttp?: boolean;
  /**
   * `sync` sends its import to the test server's Public API (docs/upstream/bitwarden-server.md "What an import
   * does").
   */
  apiHttp?: boolean;
  /** Users per request of a large import (bwdc: 2,000). */
  batchSize?: number;
  directory?: {
    users?: Array<{ externalId: string; email?: string; disabled?: boolean; deleted?: boolean }>;
    groups?: Array<{ externalId: string; name: string; members?: string[] }>;
  };
}

export interface Fixture {
  dir: string;
  stateDir: string;
  templatePath: string;
  secretPath: string;
  dirSecretPath: string;
  controlPath: string;
  recordPath: string;
  control(c: DoubleControl): void;
  /** Environment for a single env-configured instance named `name`. */
  env(extra?: Record<string, string | undefined>): Record<string, string>;
  /** Environment for a config file (writeConfig): the single instance's variables left out. */
  fileEnv(extra?: Record<string, string | undefined>): Record<string, string>;
  /** Writes config.yaml: defaults with the fixture's client id and secrets, then these instances. */
  writeConfig(instances: Array<Record<string, unknown>>, extra?: string): string;
  records(): Array<{
    pid: number;
    argv: string[];
    env: Record<string, string>;
    command: string;
    grandchild?: number;
    concurrent?: number;
    /** The umask bwdc ran with (octal, from /proc). */
    umask?: string;
    time: string;
  }>;
  dataJson(instance?: string): Record<string, unknown>;
}

export function makeFixture(name = 'one'): Fixture {
  const dir = mkdtempSync(join(tmpdir(), 'bwdc-runner-test-'));
  const stateDir = join(dir, 'state');
  const templatePath = join(dir, 'data.json');
  const secretPath = join(dir, 'client_secret');
  const dirSecretPath = join(dir, 'ldap_password');
  const controlPath = join(dir, 'control.json');
  const recordPath = join(dir, 'calls.jsonl');
  writeFileSync(templatePath, JSON.stringify(ldapTemplate, null, 2));
  writeFileSync(secretPath, `${CANARY_CLIENT_SECRET}\n`);
  writeFileSync(dirSecretPath, `${CANARY_DIRECTORY_SECRET}\n`);
  const fx: Fixture = {
    dir,
    stateDir,
    templatePath,
    secretPath,
    dirSecretPath,
    controlPath,
    recordPath,
    control(c) {
      writeFileSync(
        controlPath,
        JSON.stringify({
          record: recordPath,
          clientSecret: CANARY_CLIENT_SECRET,
          directorySecret: CANARY_DIRECTORY_SECRET,
          ...c,
        }),
      );
    },
    env(extra = {}) {
      const e: Record<string, string | undefined> = {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        BWDC_PATH: doublePath,
        BW_SERVER: bitwarden.url,
        BWDC_STATE_DIR: stateDir,
        BWDC_INSTANCE: name,
        BWDC_DATA_JSON: templatePath,
        BW_CLIENTID: CLIENT_ID,
        BW_CLIENTSECRET_FILE: secretPath,
        BWDC_DIRECTORY_SECRET_FILE: dirSecretPath,
        BWDC_DOUBLE_CONTROL: controlPath,
        BWDC_PASS_ENV: 'BWDC_DOUBLE_*',
        BWDC_RETRY_ATTEMPTS: '0',
        LOG_LEVEL: 'debug',
        ...extra,
      };
      return Object.fromEntries(Object.entries(e).filter(([, v]) => v !== undefined)) as Record<string, string>;
    },
    fileEnv(extra = {}) {
      const single = {
        BWDC_INSTANCE: undefined,
        BWDC_DATA_JSON: undefined,
        BWDC_DIRECTORY_SECRET_FILE: undefined,
        BW_CLIENTSECRET_FILE: undefined,
        BW_CLIENTID: undefined,
      };
      return fx.env({ ...single, LOG_LEVEL: 'info', ...extra });
    },
    writeConfig(instances, extra = '') {
      const p = join(dir, 'config.yaml');
      const defaults = [
        'defaults:',
        `  clientId: ${CLIENT_ID}`,
        `  clientSecret: file://${secretPath}`,
        `  directorySecret: file://${dirSecretPath}`,
      ];
      const list = instances.map((i) => `  - ${JSON.stringify({ dataJson: templatePath, ...i })}`);
      writeFileSync(p, [extra, ...defaults, 'instances:', ...list].join('\n'));
      return p;
    },
    records() {
      if (!existsSync(recordPath)) return [];
      return readFileSync(recordPath, 'utf8')
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l));
    },
    dataJson(instance = name) {
      return JSON.parse(readFileSync(join(stateDir, instance, 'data.json'), 'utf8'));
    },
  };
  fx.control({});
  mkdirSync(stateDir, { recursive: true });
  return fx;
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  logs: Array<Record<string, unknown>>;
  pid: number;
}

export function parseLogs(stdout: string): Array<Record<string, unknown>> {
  const logs: Array<Record<string, unknown>> = [];
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{"level"')) continue;
    logs.push(JSON.parse(line));
  }
  return logs;
}

export interface CliRun {
  pid: number;
  done: Promise<CliResult>;
  kill(signal: NodeJS.Signals): void;
  /** The log lines printed so far. */
  logs(): Array<Record<string, unknown>>;
}

/** Starts the real CLI (compiled, as users run it) as a child process. */
export function startCli(args: string[], env: Record<string, string>, cwd = root): CliRun {
  const child = spawn(process.execPath, [binPath, ...args], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => (stdout += c));
  child.stderr.on('data', (c) => (stderr += c));
  const done = new Promise<CliResult>((resolve) =>
    child.on('close', (code, signal) =>
      resolve({ code, signal, stdout, stderr, logs: parseLogs(stdout), pid: child.pid! }),
    ),
  );
  return {
    pid: child.pid!,
    done,
    kill: (s) => child.kill(s),
    logs: () => parseLogs(stdout.slice(0, stdout.lastIndexOf('\n') + 1)),
  };
}

export function runCli(args: string[], env: Record<string, string>, cwd = root): Promise<CliResult> {
  return startCli(args, env, cwd).done;
}

/** Alive and not a zombie (an orphan's zombie lingers where PID 1 does not reap, as in some sandboxes). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

// A wait, not a timing assertion: 30 s so a loaded 2-core machine (a CI run beside other work) is not a failure.
export async function waitFor(cond: () => boolean, timeoutMs = 30_000, stepMs = 25): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('waitFor: condition not met in time');
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

/** Fails the test if any canary value appears in any of the texts. */
export function assertNoCanary(label: string, ...texts: string[]): void {
  for (const t of texts) {
    for (const canary of [CANARY_CLIENT_SECRET, CANARY_DIRECTORY_SECRET]) {
      if (t.includes(canary))
        throw new Error(
          `${label}: canary secret leaked: ...${t.slice(Math.max(0, t.indexOf(canary) - 80), t.indexOf(canary) + 40)}...`,
        );
    }
  }
}
