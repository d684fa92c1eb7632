// Runs one bwdc process: its own process group (so a timeout kills grandchildren too), a hard
// timeout (SIGTERM to the group, SIGKILL after a grace), bounded output capture (a runaway bwdc
// cannot grow our memory), and no secret in argv: secrets travel in the environment only.
import { spawn } from 'node:child_process';
import { closeSync, openSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { setPriority } from 'node:os';
import { BwdcUnusableError } from '../errors.js';

export interface ExecOptions {
  path: string;
  args: readonly string[];
  env: Record<string, string>;
  cwd?: string;
  timeoutMs: number;
  /** Between SIGTERM and SIGKILL. */
  killGraceMs: number;
  /** Aborting stops the child the same way a timeout does (used on shutdown). */
  signal?: AbortSignal;
  /** Bytes kept from the start and from the end of each stream. */
  captureBytes?: number;
  /** Nice value for bwdc (0 or absent: the runner's own priority). */
  nice?: number;
  /**
   * stdout IS this file (created 0600; `stdout` in the result is then empty), up to `maxBytes`, beyond
   * which bwdc is stopped as a flood (its size is watched). For `bwdc test --response`, whose one JSON line
   * grows with the directory: nothing to hold in memory, and a Node program that calls process.exit()
   * right after writing (the test double did; bwdc v2026.6.1 sets process.exitCode instead) cannot lose the
   * end of it, as it can through a pipe, which Node writes asynchronously (docs/guard-rails.md "Cost").
   */
  stdoutFile?: { path: string; maxBytes: number };
  /** Called with bwdc's pid once it started, and with undefined once it and its group are gone. */
  onSpawn?: (pid: number | undefined) => void;
}

export interface ExecResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  aborted: boolean;
  durationMs: number;
  pid: number | undefined;
  /** Bytes dropped from the middle of stdout + stderr. */
  droppedBytes: number;
  /** stdout went over stdoutFile.maxBytes and bwdc was stopped. */
  stdoutFlooded: boolean;
}

/**
 * Keeps the first and the last `limit` bytes of a stream. The tail is a list of the stream's own chunks,
 * trimmed from the front: nothing is copied per chunk, so a flood of output makes no garbage for the
 * GC to catch up with (Node 24 lets such garbage grow further before collecting it than Node 20 did).
 */
class BoundedCapture {
  private head: Buffer[] = [];
  private headLen = 0;
  private tail: Buffer[] = [];
  private tailLen = 0;
  private droppedChunks = 0;
  constructor(private readonly limit: number) {}
  /** Bytes dropped between the head and the last `limit` bytes. */
  get dropped(): number {
    return this.droppedChunks + Math.max(0, this.tailLen - this.limit);
  }
  push(chunk: Buffer): void {
    if (this.headLen < this.limit) {
      const take = chunk.subarray(0, this.limit - this.headLen);
      this.head.push(take);
      this.headLen += take.length;
      chunk = chunk.subarray(take.length);
    }
    if (chunk.length === 0) return;
    this.tail.push(chunk);
    this.tailLen += chunk.length;
    // Whole chunks that lie entirely before the last `limit` bytes go.
    while (this.tailLen - this.tail[0]!.length >= this.limit) {
      const first = this.tail.shift()!;
      this.tailLen -= first.length;
      this.droppedChunks += first.length;
    }
  }
  text(): string {
    const head = Buffer.concat(this.head).toString('utf8');
    if (this.tailLen === 0) return head;
    const tail = Buffer.concat(this.tail);
    const last = tail.subarray(Math.max(0, tail.length - this.limit));
    return `${head}${this.dropped ? `\n[... ${this.dropped} bytes dropped ...]\n` : ''}${last.toString('utf8')}`;
  }
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    /* the group is already gone */
  }
}

/**
 * Best effort: bwdc at a lower CPU priority, so that when syncs saturate the CPU the runner's own
 * work (timeouts, probes, the next run's preparation) still runs at once. bwdc is its own session
 * (detached), and where the kernel groups sessions for scheduling (autogroup, for processes outside
 * a container's cgroup) a process's nice value only counts within its group: the group is niced too.
 * Raising a nice value needs no privilege.
 */
function lowerPriority(pid: number, nice: number): void {
  try {
    setPriority(pid, nice);
  } catch {
    /* already gone */
  }
  writeFile(`/proc/${pid}/autogroup`, String(nice)).catch(() => {
    /* no autogroup, or rate-limited by the kernel: the process's own nice value still applies */
  });
}

export function execBwdc(options: ExecOptions): Promise<ExecResult> {
  // process.hrtime, not performance.now(): the first use of `performance` loads Node's perf_hooks internals
  // (histogram, timerify), a few ms of every one-shot run's start (bench/README.md "A real run").
  const started = process.hrtime.bigint();
  const limit = options.captureBytes ?? 256 * 1024;
  return new Promise((resolve, reject) => {
    const fd = options.stdoutFile ? openSync(options.stdoutFile.path, 'w', 0o600) : undefined;
    let child;
    try {
      child = spawn(options.path, options.args, {
        env: options.env,
        cwd: options.cwd,
        detached: true, // own process group: see killGroup
        stdio: ['ignore', fd ?? 'pipe', 'pipe'],
      });
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
    if (child.pid && options.nice) lowerPriority(child.pid, options.nice);
    if (child.pid) options.onSpawn?.(child.pid);
    const out = new BoundedCapture(limit);
    const err = new BoundedCapture(limit);
    let stdoutFlooded = false;
    let timedOut = false;
    let aborted = false;
    let killTimer: NodeJS.Timeout | undefined;
    let exitCode: number | null = null;
    let exitSignal: NodeJS.Signals | null = null;

    const stop = () => {
      if (!child.pid || killTimer) return;
      killGroup(child.pid, 'SIGTERM');
      killTimer = setTimeout(() => killGroup(child.pid!, 'SIGKILL'), options.killGraceMs);
    };
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, options.timeoutMs);
    const onAbort = () => {
      aborted = true;
      stop();
    };
    if (options.signal?.aborted) onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });

    child.stdout?.on('data', (c: Buffer) => out.push(c));
    const bound = options.stdoutFile;
    const watch = bound
      ? setInterval(() => {
          // One stat a tick (gone: nothing to watch).
          const size = statSync(bound.path, { throwIfNoEntry: false })?.size ?? 0;
          if (size > bound.maxBytes && !stdoutFlooded) {
            stdoutFlooded = true;
            stop();
          }
        }, 200)
      : undefined;
    child.stderr?.on('data', (c: Buffer) => err.push(c));
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (watch) clearInterval(watch);
      options.signal?.removeEventListener('abort', onAbort);
      if (e.code === 'ENOENT')
        reject(new BwdcUnusableError(`bwdc not found at "${options.path}" (set BWDC_PATH or put bwdc on PATH)`));
      else if (e.code === 'EACCES')
        reject(new BwdcUnusableError(`bwdc at "${options.path}" is not executable (EACCES)`));
      else reject(new BwdcUnusableError(`bwdc at "${options.path}" could not be started: ${e.code ?? e.message}`));
    });
    child.on('exit', (code, signal) => {
      exitCode = code;
      exitSignal = signal;
      // Whatever bwdc left running in its group (and holding our pipes) goes with it.
      if (child.pid) killGroup(child.pid, 'SIGKILL');
    });
    child.on('close', () => {
      if (child.pid) options.onSpawn?.(undefined);
      clearTimeout(timer);
      if (killTimer) clearTimeout(killTimer);
      options.signal?.removeEventListener('abort', onAbort);
      if (watch) clearInterval(watch);
      resolve({
        code: exitCode,
        signal: exitSignal,
        stdout: out.text(),
        stderr: err.text(),
        timedOut,
        aborted,
        durationMs: Number(process.hrtime.bigint() - started) / 1e6,
        pid: child.pid,
        droppedBytes: out.dropped + err.dropped,
        stdoutFlooded,
      });
    });
  });
}
