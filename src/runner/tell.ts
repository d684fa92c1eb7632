// Telling someone about a sync run: the heartbeat check-ins (start, then success or failure) and the
// notifications the run's outcome calls for (notify/decide.ts), with what they need from the rest of
// the run: the URLs resolved through the run's secret session (they are secrets), the run's last log
// lines, and the state folder that remembers which targets have been told of a failure. Nothing here
// throws or changes the run's outcome: a failed delivery is logged and counted.
import type { InstanceConfig } from '../config/model.js';
import { decide, isLiteralUrl, type Notice, type NotifyTarget } from '../notify/decide.js';
import type { SecretSession } from '../secrets/resolver.js';
import { defaultDelivery, deliver, type DeliveryOptions } from '../notify/deliver.js';
import { capBody, pingUrl } from '../notify/heartbeat.js';
import { body, type RunSummary } from '../notify/payload.js';
import type { Logger } from '../observability/logger.js';
import { redactor } from '../observability/redact.js';
import { forgetRun, runTail, watchRun } from '../observability/run-tail.js';
import { errorMessage } from '../errors.js';
import type { InstanceState } from '../state/instance-state.js';
import { runnerVersion } from '../version.js';
import type { RunResult } from './result.js';
import type { History, RunDeps } from './types.js';

/**
 * A notification or heartbeat URL: a literal http(s) URL is used as is (and masked in logs from now on,
 * it carries a token); anything else is a secret reference, resolved through the run's session.
 */
export async function resolveUrl(text: string, secrets: SecretSession, where: string): Promise<string> {
  if (!isLiteralUrl(text)) return secrets.resolve(text, where);
  redactor.add(text);
  return text;
}

export class Teller {
  private startPing: Promise<unknown> | undefined;

  constructor(
    private readonly instance: InstanceConfig,
    private readonly deps: RunDeps,
    private readonly runId: string,
    private readonly log: Logger,
  ) {}

  private get delivery(): DeliveryOptions {
    return { ...defaultDelivery, timeoutMs: this.deps.notifyTimeoutMs ?? defaultDelivery.timeoutMs };
  }

  private async url(text: string, field: string): Promise<string | undefined> {
    try {
      return await resolveUrl(text, this.deps.secrets, `${this.instance.origin} ${field}`);
    } catch (err) {
      this.log.warn(
        { target: field, err: redactor.scrub(errorMessage(err)) },
        'notification: the URL could not be resolved',
      );
      return undefined;
    }
  }

  /** `<heartbeat>/start`, not waited for: the run goes on. */
  started(): void {
    const heartbeat = this.instance.heartbeat;
    if (!heartbeat) return;
    watchRun(this.runId);
    this.startPing = this.ping(heartbeat, 'start', '');
  }

  private async ping(heartbeat: string, suffix: string | undefined, text: string): Promise<boolean> {
    const url = await this.url(heartbeat, 'heartbeat');
    if (!url) return false;
    const d = await deliver(pingUrl(url, suffix), { method: 'POST', text }, this.delivery);
    this.deps.onNotified?.('heartbeat', d.ok);
    if (!d.ok)
      this.log.warn({ target: 'heartbeat', ping: suffix ?? 'success', result: d.detail }, 'heartbeat: not delivered');
    else this.log.debug({ target: 'heartbeat', ping: suffix ?? 'success' }, 'heartbeat delivered');
    return d.ok;
  }

  /** The heartbeat's end and the notices, then the record of who was told. */
  async finished(result: RunResult, history: History, state: InstanceState | undefined): Promise<void> {
    const heartbeat = this.instance.heartbeat;
    const outcome = result.outcome === 'success' || result.outcome === 'failure' ? result.outcome : undefined;
    const summary: RunSummary | undefined = outcome && {
      instance: result.instance,
      runId: result.runId,
      outcome,
      failureClass: result.failureClass,
      exitCode: result.exitCode,
      message: result.message,
      users: result.users,
      groups: result.groups,
      durationMs: result.durationMs,
      consecutiveFailures: history.consecutiveFailures,
      endedAt: result.endedAt,
      planId: result.planId,
    };
    const jobs: Array<Promise<unknown>> = [];
    if (heartbeat) {
      await this.startPing;
      // Skipped and interrupted runs say nothing: the check stays "started" until the next run.
      if (outcome)
        jobs.push(
          this.ping(
            heartbeat,
            outcome === 'success' ? undefined : String(result.exitCode),
            capBody(runTail(this.runId)),
          ),
        );
    }
    const decision =
      summary && this.instance.notify.length
        ? decide(this.instance.notify, summary.outcome, history.consecutiveFailures, history.notified)
        : undefined;
    const delivered = new Set<string>();
    for (const { target, notice } of decision?.sends ?? [])
      jobs.push(this.notice(target, notice, summary!).then((ok) => ok && delivered.add(target.label)));
    await Promise.all(jobs);
    const notified = decision ? decision.notifiedAfter(delivered) : history.notified;
    if (!state || !history.record) history.remember?.(notified);
    else if (JSON.stringify(notified) !== JSON.stringify(history.notified)) {
      await state
        .writeLastRun({ ...history.record, notified })
        .catch((err) => this.log.warn({ err: errorMessage(err) }, 'could not record the notices in the state folder'));
    }
  }

  /** Releases what the run holds here (its log tail): every run calls it, whatever its ending. */
  forget(): void {
    forgetRun(this.runId);
  }

  private async notice(target: NotifyTarget, notice: Notice, run: RunSummary): Promise<boolean> {
    const url = await this.url(target.url, `notify ${target.label}`);
    if (!url) {
      this.deps.onNotified?.(target.label, false);
      return false;
    }
    const d = await deliver(
      url,
      { method: 'POST', json: body(target.format, notice, run, runnerVersion()) },
      this.delivery,
    );
    this.deps.onNotified?.(target.label, d.ok);
    if (d.ok) this.log.info({ target: target.label, notice }, 'notification sent');
    else
      this.log.warn(
        { target: target.label, notice, result: d.detail, attempts: d.attempts },
        'notification not delivered',
      );
    return d.ok;
  }
}
