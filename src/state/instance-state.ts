// One writable folder per instance (mode 0700): bwdc's data.json (0600), its backup, the hash of
// the template it was seeded from, and the lock. bwdc's own state (lastSyncHash, delta tokens)
// survives between runs unless the template changes.
import { chmod, mkdir, readFile, readdir, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic.js';
import { acquireLock, type LockHandle, type LockOptions } from './lock.js';

export type JsonObject = Record<string, unknown>;

/**
 * Temporary files an interrupted write leaves beside data.json: ours, `<target>.tmp-<pid>-<hex>`
 * (state/atomic.ts), and bwdc's own `.data.json.tmp`, a whole data.json with the session and the directory
 * secret, renamed over data.json on every write (lowdb 7's JSONFileSync, which
 * `libs/services/baseLowdbStorage.service.ts` of directory-connector v2026.6.1 uses; measured with strace).
 */
export function isLeftoverTemp(file: string): boolean {
  return /\.tmp-\d+-[0-9a-f]+$/.test(file) || file === '.data.json.tmp';
}

/**
 * proper-lockfile's default `stale`, which bwdc's data.json lock uses (docs/upstream/bwdc.md "data.json: files,
 * lock and mode").
 */
export const BWDC_LOCK_STALE_MS = 10_000;

export type DataJsonStatus = { ok: true; data: JsonObject } | { ok: false; why: 'missing' | 'empty' | 'unparsable' };

export interface LastRun {
  runId: string;
  outcome: string;
  failureClass?: string;
  endedAt: string;
  lastSuccessAt?: string;
  /** Failed syncs in a row, this one included (0 after a success): for notifications' `after`. */
  consecutiveFailures?: number;
  /** Notification targets (labels) that sent a failure notice since the last success. */
  notified?: string[];
  /** A refused sync's plan id (class guard): what `bwdc-runner approve` takes (docs/guard-rails.md). */
  planId?: string;
}

export interface SeedResult {
  /** Why the template was copied in, or undefined when bwdc's state was kept. */
  seeded: 'first run' | 'template changed' | 'data.json was missing' | 'data.json was unusable' | undefined;
}

export class InstanceState {
  readonly dataJsonPath: string;
  readonly backupPath: string;
  readonly templateHashPath: string;
  readonly lockPath: string;
  /** bwdc's own lock beside data.json (proper-lockfile's folder). */
  readonly bwdcLockPath: string;

  private constructor(readonly dir: string) {
    this.dataJsonPath = join(dir, 'data.json');
    this.backupPath = join(dir, 'data.json.runner-backup');
    this.templateHashPath = join(dir, 'template.sha256');
    this.lockPath = join(dir, 'runner.lock');
    this.bwdcLockPath = join(dir, 'data.json.lock');
  }

  static async open(stateRoot: string, name: string): Promise<InstanceState> {
    const dir = join(stateRoot, name);
    await mkdir(stateRoot, { recursive: true, mode: 0o700 });
    // Not recursive: a recursive mkdir on a read-only file system reports ENOENT instead of EROFS.
    await mkdir(dir, { mode: 0o700 }).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw err;
    });
    // mkdir keeps an existing folder's mode: tighten it in case it was created by hand.
    await chmod(dir, 0o700);
    return new InstanceState(dir);
  }

  /** last-run.json of an instance whose folder this process does not hold (read only; undefined if unreadable). */
  static peekLastRun(stateRoot: string, name: string): Promise<LastRun | undefined> {
    return new InstanceState(join(stateRoot, name)).readLastRun();
  }

  lock(options: LockOptions): Promise<LockHandle> {
    return acquireLock(this.lockPath, options);
  }

  async readDataJson(): Promise<DataJsonStatus> {
    let text: string;
    try {
      text = await readFile(this.dataJsonPath, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { ok: false, why: 'missing' };
      throw err;
    }
    if (text.trim() === '') return { ok: false, why: 'empty' };
    try {
      const data = JSON.parse(text) as unknown;
      if (data && typeof data === 'object' && !Array.isArray(data)) return { ok: true, data: data as JsonObject };
    } catch {
      /* fall through */
    }
    return { ok: false, why: 'unparsable' };
  }

  async writeDataJson(data: JsonObject): Promise<void> {
    await writeFileAtomic(this.dataJsonPath, `${JSON.stringify(data, null, 2)}\n`, 0o600);
  }

  /** Copies the template in when it is new or changed, or when data.json is gone or broken. */
  async seed(templateText: string, templateHash: string): Promise<SeedResult> {
    const stored = await readFile(this.templateHashPath, 'utf8').then(
      (s) => s.trim(),
      () => undefined,
    );
    const current = await this.readDataJson();
    let seeded: SeedResult['seeded'];
    if (stored === undefined) seeded = 'first run';
    else if (stored !== templateHash) seeded = 'template changed';
    else if (!current.ok && current.why === 'missing') seeded = 'data.json was missing';
    else if (!current.ok) seeded = 'data.json was unusable';
    if (seeded) {
      await writeFileAtomic(this.dataJsonPath, templateText, 0o600);
      await writeFileAtomic(this.templateHashPath, `${templateHash}\n`, 0o600);
    }
    return { seeded };
  }

  /** Applies a change to data.json and writes it back only if something changed. */
  async update(change: (data: JsonObject) => boolean): Promise<boolean> {
    const current = await this.readDataJson();
    if (!current.ok) return false;
    if (!change(current.data)) return false;
    await this.writeDataJson(current.data);
    return true;
  }

  async backup(): Promise<void> {
    const text = await readFile(this.dataJsonPath);
    await writeFileAtomic(this.backupPath, text, 0o600, false);
  }

  /** After bwdc ran: if it left data.json empty or unparsable, put the backup back. */
  async restoreIfBroken(): Promise<DataJsonStatus & { restored: boolean }> {
    const status = await this.readDataJson();
    if (status.ok) return { ...status, restored: false };
    const backup = await readFile(this.backupPath).catch(() => undefined);
    if (!backup) return { ...status, restored: false };
    await writeFileAtomic(this.dataJsonPath, backup, 0o600);
    return { ...status, restored: true };
  }

  /**
   * bwdc's data.json lock (a folder made by proper-lockfile, refreshed while held), left behind when
   * bwdc was killed. Removed only once stale as proper-lockfile itself judges it (no refresh for
   * 10 s): a fresh one belongs to a bwdc someone runs on this folder outside the runner, and bwdc
   * will then say ELOCKED rather than have two writers on one data.json. `ours`: the lock is known to
   * be left by a bwdc this run started and killed (a timeout, a shutdown), so it goes whatever its
   * age. True when one was removed.
   */
  async clearBwdcLock(options: { ours?: boolean; staleMs?: number } = {}): Promise<boolean> {
    const st = await stat(this.bwdcLockPath).catch(() => undefined);
    if (!st) return false;
    if (!options.ours && Date.now() - st.mtimeMs < (options.staleMs ?? BWDC_LOCK_STALE_MS)) return false;
    await rm(this.bwdcLockPath, { recursive: true, force: true });
    return true;
  }

  /** Removes the temporary files an interrupted write left (isLeftoverTemp); how many. Only while no bwdc runs here. */
  async sweepTemp(): Promise<number> {
    let swept = 0;
    for (const f of (await readdir(this.dir)).filter(isLeftoverTemp)) {
      await unlink(join(this.dir, f)).then(
        () => swept++,
        () => {},
      );
    }
    return swept;
  }

  /** What the last run recorded (last-run.json), so a new process knows the last success. */
  async readLastRun(): Promise<LastRun | undefined> {
    try {
      return JSON.parse(await readFile(join(this.dir, 'last-run.json'), 'utf8')) as LastRun;
    } catch {
      return undefined;
    }
  }

  async writeLastRun(last: LastRun): Promise<void> {
    await writeFileAtomic(join(this.dir, 'last-run.json'), `${JSON.stringify(last)}\n`, 0o600, false);
  }
}
