// The bodies each target kind takes, all plain JSON over HTTP POST: the documented generic payload
// (docs/notifications.md), a Slack incoming webhook's `text`, and a Microsoft
// Teams Workflows webhook's Adaptive Card. Every text field is already secret-free (the run's message
// went through the redactor).
import { hostname } from 'node:os';
import type { Notice, NotifyFormat } from './decide.js';

export interface RunSummary {
  instance: string;
  runId: string;
  outcome: 'success' | 'failure';
  failureClass: string | undefined;
  exitCode: number;
  message: string;
  users: number | undefined;
  groups: number | undefined;
  durationMs: number;
  consecutiveFailures: number;
  endedAt: Date;
  /** What the sync changed, one line (runner/history-entry.ts), when it got as far as the import gate. */
  changes?: string;
  /** A refused sync's plan id (class guard): what `bwdc-runner approve` takes. */
  planId?: string;
}

export function genericPayload(notice: Notice, run: RunSummary, version: string): Record<string, unknown> {
  return {
    event: notice,
    instance: run.instance,
    outcome: run.outcome,
    class: run.failureClass ?? null,
    message: run.message,
    exitCode: run.exitCode,
    counts: { users: run.users ?? null, groups: run.groups ?? null },
    changes: run.changes ?? null,
    durationMs: run.durationMs,
    runId: run.runId,
    consecutiveFailures: run.consecutiveFailures,
    planId: run.planId ?? null,
    time: run.endedAt.toISOString(),
    host: hostname(),
    version,
  };
}

/** One line a person reads first. */
export function headline(notice: Notice, run: RunSummary): string {
  if (notice === 'test')
    return `bwdc-runner: a test notification for ${run.instance} (bwdc-runner check --notify-test)`;
  if (notice === 'quarantine')
    return (
      `bwdc-runner: ${run.instance} QUARANTINED after ${run.consecutiveFailures} failed syncs in a row ` +
      `(last: class ${run.failureClass ?? 'unknown'}: ${run.message}); no sync runs until ` +
      `"bwdc-runner resume ${run.instance}" (or POST /instances/${run.instance}/resume)`
    );
  if (notice === 'recovery') return `bwdc-runner: ${run.instance} recovered: the sync works again (${run.message})`;
  if (notice === 'success') return `bwdc-runner: ${run.instance} synced: ${run.message}`;
  const times = run.consecutiveFailures > 1 ? ` (${run.consecutiveFailures} runs in a row)` : '';
  return `bwdc-runner: ${run.instance} sync FAILED${times}, class ${run.failureClass ?? 'unknown'}: ${run.message}`;
}

/** What every format's body is made of: the headline, the facts line, and the run for the generic payload. */
interface Message {
  notice: Notice;
  run: RunSummary;
  version: string;
  /** headline(): one line a person reads first. */
  text: string;
  /** The run's id, host, exit code and duration, and its changes. */
  facts: string;
}

/**
 * The body of each notification format (decide.ts notifyFormats): a Record, so the compiler refuses a
 * format without its body. A new format is its name there and its entry here.
 */
const bodies: Readonly<Record<NotifyFormat, (m: Message) => unknown>> = {
  json: ({ notice, run, version }) => genericPayload(notice, run, version),
  slack: ({ text, facts }) => ({ text: `${text}\n${facts}` }),
  teams: ({ text, facts }) => ({
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          body: [
            { type: 'TextBlock', text, wrap: true, weight: 'Bolder' },
            { type: 'TextBlock', text: facts, wrap: true, isSubtle: true },
          ],
        },
      },
    ],
  }),
};

export function body(format: NotifyFormat, notice: Notice, run: RunSummary, version: string): unknown {
  const facts =
    `run ${run.runId} on ${hostname()}, exit code ${run.exitCode}, ${(run.durationMs / 1000).toFixed(1)} s` +
    (run.changes ? `\nchanges: ${run.changes}` : '');
  return bodies[format]({ notice, run, version, text: headline(notice, run), facts });
}
