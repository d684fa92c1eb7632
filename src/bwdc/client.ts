// Drives the bwdc CLI the way docs/upstream/bwdc.md says it behaves: plaintext secrets in the instance's
// own appdata folder, non-interactive, `--response` JSON; the API key and the directory secret
// only ever in the environment of the one call that needs them.
import { BwdcUnusableError, type FailureClass } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import { classifyFailure, failureHint } from './classify.js';
import { redactor } from '../observability/redact.js';
import { directorySecretEnv } from './directory.js';
import { execBwdc, type ExecResult } from './exec.js';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseResponse, type BwdcResponse } from './response.js';
import { proxyConfigured } from '../shared/proxy-env.js';

/** Variables passed through to bwdc from the runner's environment; nothing else is. */
const passThrough = [
  'PATH',
  'LANG',
  'LC_ALL',
  'LC_CTYPE',
  'TZ',
  'NODE_EXTRA_CA_CERTS',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'NODE_OPTIONS',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'http_proxy',
  'https_proxy',
  'no_proxy',
  'NODE_USE_ENV_PROXY',
  'BITWARDENCLI_CONNECTOR_DEBUG',
];

/**
 * The runner's own credentials: never passed to bwdc, whatever BWDC_PASS_ENV says (`*` included).
 * The API key reaches `login` alone, through its own environment, and nothing else needs these.
 */
const neverPassed = new Set([
  'VAULT_TOKEN',
  'VAULT_APPROLE_SECRET_ID',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_SECURITY_TOKEN',
  'AWS_CONTAINER_AUTHORIZATION_TOKEN',
  'BW_CLIENTID',
  'BW_CLIENTSECRET',
  'BW_SESSION',
  'BW_PASSWORD',
  'BWDC_DIRECTORY_SECRET',
  'BWS_ACCESS_TOKEN',
]);

/**
 * The child's environment: a short allowlist (plus BWDC_PASS_ENV names or NAME* prefixes), never
 * the runner's whole environment, which may hold VAULT_TOKEN or AWS keys bwdc has no use for. Never
 * the runner's credentials either, nor any variable whose value is a secret the runner resolved.
 */
export function childBaseEnv(
  env: Readonly<Record<string, string | undefined>>,
  appDataDir: string,
  passEnv: readonly string[] = [],
): Record<string, string> {
  const out: Record<string, string> = {};
  const wanted = (name: string) =>
    passThrough.includes(name) || passEnv.some((p) => (p.endsWith('*') ? name.startsWith(p.slice(0, -1)) : name === p));
  for (const [k, v] of Object.entries(env))
    if (v !== undefined && wanted(k) && !neverPassed.has(k) && !redactor.isSecret(v)) out[k] = v;
  // bwdc 2026.6+ sends its requests with Node's fetch, which ignores the proxy variables unless
  // NODE_USE_ENV_PROXY=1 (docs/upstream/bwdc.md "Proxy"): with a proxy configured, bwdc is told to use it.
  if (proxyConfigured(out)) out.NODE_USE_ENV_PROXY ??= '1';

  return {
    ...out,
    // bwdc and Node write caches under HOME; the state folder is the one place we know is writable.
    HOME: appDataDir,
    BITWARDENCLI_CONNECTOR_APPDATA_DIR: appDataDir,
    BITWARDENCLI_CONNECTOR_PLAINTEXT_SECRETS: 'true',
    BW_NOINTERACTION: 'true',
    BW_RESPONSE: 'true',
  };
}

/** The most `bwdc test --response` may print: ~20 MB at 100,000 users; beyond this, a flood. */
export const wholeOutputBytes = 1024 * 2 ** 20;

export interface CallOutcome {
  ok: boolean;
  response: BwdcResponse | undefined;
  /** bwdc's message, or the first useful stderr line when it printed no response. */
  message: string;
  /** Stopped by shutdown (the abort signal), not failed by itself. */
  interrupted: boolean;
  failureClass: FailureClass | undefined;
  exec: ExecResult;
}

export interface BwdcClientOptions {
  path: string;
  baseEnv: Record<string, string>;
  timeoutMs: number;
  killGraceMs: number;
  /** Nice value for bwdc (see execBwdc). */
  nice?: number;
  signal?: AbortSignal;
  log: Logger;
  /** Told of each bwdc process started (its pid) and ended (undefined): the instance lock records it. */
  onSpawn?: (pid: number | undefined) => void;
}

/**
 * What the loader or the shell says when the file at BWDC_PATH cannot run at all: a missing shared
 * library (libsecret up to v2026.4, GLIBC_2.39 on an old base), a binary for another machine, a
 * script whose interpreter is missing. bwdc itself never exits 126 or 127.
 */
const cannotRun =
  /error while loading shared libraries|GLIBC_[\d.]+'? not found|cannot execute binary file|Exec format error/;

function firstUsefulLine(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const error = lines.find((l) => /Error|error:|failed|ELOCKED|Code: 0x/.test(l));
  return (error ?? lines[0] ?? '').slice(0, 500);
}

export class BwdcClient {
  /** How many bwdc processes this client started: the cost of a run (bench/README.md). */
  calls = 0;
  /** Whether one of them was killed (timeout, shutdown, a signal): it may have left its data.json lock. */
  killed = false;

  constructor(private readonly options: BwdcClientOptions) {}

  async call(
    command: string,
    args: readonly string[] = [],
    secretEnv: Record<string, string> = {},
    whole = false,
  ): Promise<CallOutcome> {
    this.calls++;
    const argv = [command, ...args, '--response', '--nointeraction'];
    // `test` prints the whole directory as one line: kept whole in a file of the instance's own folder.
    const appData = this.options.baseEnv.BITWARDENCLI_CONNECTOR_APPDATA_DIR;
    const stdoutFile =
      whole && appData
        ? { path: join(appData, `bwdc-${command}-${process.pid}.out`), maxBytes: wholeOutputBytes }
        : undefined;
    const exec = await execBwdc({
      path: this.options.path,
      args: argv,
      env: { ...this.options.baseEnv, ...secretEnv },
      cwd: this.options.baseEnv.BITWARDENCLI_CONNECTOR_APPDATA_DIR,
      timeoutMs: this.options.timeoutMs,
      killGraceMs: this.options.killGraceMs,
      nice: this.options.nice,
      signal: this.options.signal,
      onSpawn: this.options.onSpawn,
      stdoutFile,
    });
    if (exec.timedOut || exec.aborted || exec.signal) this.killed = true;
    let response: BwdcResponse | undefined;
    if (stdoutFile) {
      response = exec.stdoutFlooded
        ? undefined
        : parseResponse(await readFile(stdoutFile.path, 'utf8').catch(() => ''));
      await rm(stdoutFile.path, { force: true });
    } else response = parseResponse(exec.stdout);
    if (exec.stdoutFlooded) {
      const message = `bwdc ${command} printed more than ${wholeOutputBytes / 2 ** 20} MiB (or its output could not be written to ${appData}) and was stopped`;
      return { ok: false, response: undefined, message, failureClass: 'internal', exec, interrupted: false };
    }
    if (
      !exec.timedOut &&
      !exec.aborted &&
      (exec.code === 126 || exec.code === 127 || (exec.code !== 0 && !response && cannotRun.test(exec.stderr)))
    ) {
      throw new BwdcUnusableError(
        `bwdc at "${this.options.path}" cannot run (exit ${exec.code}): ${firstUsefulLine(exec.stderr) || 'no output'}`,
      );
    }
    if (exec.code === 0 && !response) {
      // Every bwdc command answers --response with one JSON object: this is not bwdc.
      throw new BwdcUnusableError(
        `bwdc at "${this.options.path}" exited 0 but printed no --response JSON for "${command}": is it bwdc?`,
      );
    }
    const ok = exec.code === 0 && !exec.timedOut && response?.success === true;
    let message = response?.message ?? '';
    if (!ok && !message) {
      if (exec.timedOut)
        message = `bwdc ${command} did not finish within ${Math.round(this.options.timeoutMs / 1000)}s and was stopped`;
      else if (exec.aborted) message = `bwdc ${command} was stopped by shutdown`;
      else if (exec.signal) message = `bwdc ${command} was killed by ${exec.signal}`;
      else message = firstUsefulLine(exec.stderr) || `bwdc ${command} exited with code ${exec.code} and no message`;
    }
    const failureClass = ok
      ? undefined
      : classifyFailure({ message, stderr: exec.stderr, timedOut: exec.timedOut, signal: exec.signal });
    const hint = ok ? undefined : failureHint({ message, stderr: exec.stderr });
    if (hint) message = `${message} (${hint})`;
    this.options.log.debug(
      {
        bwdc: command,
        exitCode: exec.code,
        signal: exec.signal ?? undefined,
        durationMs: Math.round(exec.durationMs),
        ok,
        failureClass,
      },
      'bwdc call',
    );
    return { ok, response, message, failureClass, exec, interrupted: exec.aborted };
  }

  login(clientId: string, clientSecret: string): Promise<CallOutcome> {
    // No positional arguments: bwdc copies them into these variables anyway, and argv is public.
    return this.call('login', [], { BW_CLIENTID: clientId, BW_CLIENTSECRET: clientSecret });
  }

  setDirectorySecret(setting: string, value: string): Promise<CallOutcome> {
    return this.call('config', [setting, '--secretenv', directorySecretEnv], { [directorySecretEnv]: value });
  }

  /** `direct`: a host:port bwdc must reach without the proxy (the import gate on loopback). */
  sync(direct?: string): Promise<CallOutcome> {
    const env = this.options.baseEnv;
    if (!direct || !proxyConfigured(env)) return this.call('sync');
    const add = (v: string | undefined) => (v ? `${v},${direct}` : direct);
    return this.call('sync', [], { NO_PROXY: add(env.NO_PROXY), no_proxy: add(env.no_proxy ?? env.NO_PROXY) });
  }

  test(): Promise<CallOutcome> {
    return this.call('test', [], {}, true);
  }
}

/** `bwdc --version`, for `check` and `--version`. */
/**
 * `bwdc --version`, for `check` and `--version`. Every bwdc start, this one too, writes a data.json
 * (into HOME without an app-data folder, and crashes when HOME is not writable): it gets a throwaway
 * folder as both, removed afterwards, in the first of `scratchRoots` that is writable.
 */
export async function bwdcVersion(
  path: string,
  env: Record<string, string>,
  timeoutMs = 15_000,
  scratchRoots: readonly string[] = [tmpdir()],
): Promise<string> {
  const scratch = await makeScratch(scratchRoots);
  let r: ExecResult;
  try {
    const scratchEnv: Record<string, string> = scratch
      ? { HOME: scratch, BITWARDENCLI_CONNECTOR_APPDATA_DIR: scratch }
      : {};
    r = await execBwdc({ path, args: ['--version'], env: { ...env, ...scratchEnv }, timeoutMs, killGraceMs: 1000 });
  } finally {
    if (scratch) await rm(scratch, { recursive: true, force: true });
  }
  const v = r.stdout.trim().split('\n').pop() ?? '';
  if (r.code !== 0 || !/^\d+\.\d+/.test(v)) {
    throw new BwdcUnusableError(
      `bwdc at "${path}" does not answer --version (exit ${r.code}${r.signal ? `, ${r.signal}` : ''}): ${firstUsefulLine(r.stderr) || 'no output'}`,
    );
  }
  return v;
}

async function makeScratch(roots: readonly string[]): Promise<string | undefined> {
  for (const root of roots) {
    try {
      return await mkdtemp(join(root, 'bwdc-runner-version-'));
    } catch {
      /* not writable: the next one */
    }
  }
  return undefined;
}
