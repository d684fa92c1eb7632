// What `schedule` adds for operators (docs/operations.md): the pauses of its instances (re-read every
// 15 s, and at once after a run or an admin call), their history over HTTP, the status page's view, and
// the admin actions (pause, resume, run now, approve). Wired by commands/schedule.ts; the HTTP side is
// observability/http.ts, the page observability/status-page.ts.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { instanceControlDir } from '../state/control-dir.js';
import type { RunnerConfig } from '../config/model.js';
import type { Logger } from '../observability/logger.js';
import type { RunnerMetrics } from '../observability/metrics.js';
import type { AdminAction, Answer } from '../observability/http.js';
import type { PageInstance, PageView } from '../observability/status-page.js';
import { entryLine } from '../runner/history-view.js';
import { approveInstancePlan, pauseInstance, resumeInstance, type ControlTarget } from '../runner/pause-control.js';
import { planIdPattern } from '../plan/plan-id.js';
import { parseDuration } from '../shared/duration.js';
import { ApprovalError } from '../state/approvals.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import type { InstanceStatus, PauseInfo } from '../scheduler/types.js';
import { readHistory, readHistoryTail } from '../state/history.js';
import { pauseFile, pauseMessage, readPause, type Pause } from '../state/pause.js';

export const pauseRefreshMs = 15_000;
const racyMs = 2_000;

export class ScheduleAdmin {
  private readonly pauses = new Map<string, Pause>();
  /** Each pause file as last read, by instance: what refresh() keeps while the file is unchanged. */
  private readonly seen = new Map<string, { mark: string; pause: Pause | undefined }>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly o: {
      config: () => RunnerConfig;
      scheduler: () => Scheduler;
      metrics: RunnerMetrics;
      log: Logger;
    },
  ) {}

  private dir(name: string): string {
    return instanceControlDir(this.o.config(), name);
  }

  private known(name: string): boolean {
    return this.o.config().instances.some((i) => i.name === name);
  }

  /**
   * Reads the pause files that changed since the last refresh; sets bwdc_runner_paused. A stat per instance (no
   * exception for a missing file) instead of a read and parse of each: with 1,000 instances the re-read every
   * 15 s cost 1.6% of a core while idle (bench/README.md "The scheduler at scale").
   */
  async refresh(): Promise<void> {
    const names = this.o.config().instances.map((i) => i.name);
    const read = await Promise.all(names.map(async (n) => [n, await this.pauseOf(n)] as const));
    this.pauses.clear();
    for (const [n, p] of read) {
      if (p) this.pauses.set(n, p);
      this.o.metrics.setPaused(n, !!p);
    }
    const current = new Set(names);
    for (const n of this.seen.keys()) if (!current.has(n)) this.seen.delete(n);
  }

  /** The instance's pause: the one read before while its file is unchanged (inode, size, mtime, ctime). */
  private async pauseOf(name: string): Promise<Pause | undefined> {
    let mark: string | undefined;
    try {
      const st = statSync(join(this.dir(name), pauseFile), { throwIfNoEntry: false });
      if (!st) {
        this.seen.delete(name);
        return undefined;
      }
      // A file changed within the last 2 s may change again within the file system's timestamp granularity
      // (1-2 s on some) and keep its mark: it is read again until its times are older (git's "racy" check).
      if (Date.now() - Math.max(st.mtimeMs, st.ctimeMs) > racyMs)
        mark = `${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
    } catch {
      /* read below: it says what a file that cannot be looked at means */
    }
    const seen = this.seen.get(name);
    if (mark !== undefined && seen?.mark === mark) return seen.pause;
    const pause = await readPause(this.dir(name)).catch(() => undefined);
    if (mark !== undefined) this.seen.set(name, { mark, pause });
    else this.seen.delete(name);
    return pause;
  }

  start(): void {
    this.timer = setInterval(() => void this.refresh(), pauseRefreshMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  pausedOf(name: string): PauseInfo | undefined {
    const p = this.pauses.get(name);
    return p && { since: p.since, by: p.by, reason: p.reason, quarantined: !!p.quarantined };
  }

  async history(name: string, sinceMs: number | undefined): Promise<unknown> {
    if (!this.known(name)) return undefined;
    return { name, ...(await readHistory(this.dir(name), sinceMs)) };
  }

  async pageView(host: string): Promise<PageView> {
    const statuses = this.o.scheduler().status();
    const instances = await Promise.all(statuses.map((s) => this.pageInstance(s)));
    return { host, generatedAt: new Date().toISOString(), instances, refreshSeconds: 30 };
  }

  private async pageInstance(s: InstanceStatus): Promise<PageInstance> {
    const history = (await readHistoryTail(this.dir(s.directory), 5))
      .map(entryLine)
      .map((l) => ({ ...l, changes: l.changes || l.note }));
    const lastSync = [...history].reverse().find((h) => h.kind === 'sync' && !h.note);
    const last = s.lastRun;
    const state = s.paused
      ? s.paused.quarantined
        ? 'quarantined'
        : 'paused'
      : s.state !== 'idle'
        ? s.state
        : last?.failureClass === 'guard'
          ? 'refused, awaiting approval'
          : last?.outcome === 'failure'
            ? 'failing'
            : 'idle';
    return {
      name: s.directory,
      state,
      schedule: `${s.schedule ?? ''} (${s.timezone})`,
      nextRun: s.nextRun,
      lastOutcome: last ? `${last.outcome}${last.failureClass ? ` (${last.failureClass})` : ''}` : 'no run yet',
      // "skipped: paused since ..." after the outcome "skipped" says it once.
      lastMessage: (last?.message ?? '').replace(/^skipped: /, ''),
      lastChanges: lastSync?.changes ?? '',
      lastSuccessAt: s.lastSuccessAt,
      pause: s.paused ? pauseMessage(s.paused) : null,
      history: history.reverse(),
    };
  }

  /** POST /instances/NAME/approve {"planId", "expires"?}: as `bwdc-runner approve PLAN_ID --instance NAME`. */
  private async approve(target: ControlTarget, body: Record<string, unknown>, by: string): Promise<Answer> {
    const planId = typeof body.planId === 'string' ? body.planId : '';
    if (!planIdPattern.test(planId))
      return {
        status: 400,
        body: { error: 'planId: expected the 10 hex digits the refusal names, e.g. {"planId": "3fa9c01b2e"}' },
      };
    const expires = typeof body.expires === 'string' ? parseDuration(body.expires) : undefined;
    if (body.expires !== undefined && !(expires && expires > 0))
      return { status: 400, body: { error: 'expires: expected a duration such as 24h' } };
    try {
      const approval = await approveInstancePlan(target, planId, by, expires);
      return { status: 200, body: { instance: target.name, approved: approval } };
    } catch (err) {
      if (err instanceof ApprovalError) return { status: 404, body: { error: err.message } };
      throw err;
    }
  }

  /** One admin call; logged with what it did (never the token, which http.ts alone sees). */
  async act(name: string, action: AdminAction, body: Record<string, unknown>, peer: string): Promise<Answer> {
    const log = this.o.log.child({ admin: action, instance: name, peer });
    if (!this.known(name)) {
      log.warn('admin call for an unknown instance');
      return { status: 404, body: { error: `no instance "${name}"` } };
    }
    const config = this.o.config();
    const target = {
      stateDir: config.stateDir,
      controlDir: config.controlDir,
      name,
      limits: { maxBytes: config.historyMaxBytes, maxAgeMs: config.historyMaxAgeMs },
    };
    const by = `admin API (${peer})`;
    let answer: Answer;
    switch (action) {
      case 'pause': {
        const reason = typeof body.reason === 'string' && body.reason.trim() ? body.reason.trim() : 'paused by hand';
        const { pause, already } = await pauseInstance(target, by, reason);
        answer = { status: 200, body: { instance: name, paused: pause, already } };
        break;
      }
      case 'resume': {
        const previous = await resumeInstance(target, by);
        if (previous) this.o.scheduler().resetFailures(name);
        answer = { status: 200, body: { instance: name, resumed: !!previous, was: previous ?? null } };
        break;
      }
      case 'run': {
        if (this.pauses.has(name) || (await readPause(this.dir(name)))) {
          answer = { status: 409, body: { error: `${name} is paused; resume it first` } };
          break;
        }
        const r = this.o.scheduler().runNow(name);
        answer =
          r === 'queued'
            ? { status: 202, body: { instance: name, queued: true } }
            : { status: 409, body: { error: `${name}: ${r === 'busy' ? 'a run is already going or queued' : r}` } };
        break;
      }
      case 'approve':
        answer = await this.approve(target, body, by);
        break;
    }
    await this.refresh();
    log.info({ status: answer.status }, `admin ${action}: ${JSON.stringify(answer.body)}`);
    return answer;
  }
}
