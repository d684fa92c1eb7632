// The per-instance bwdc.log of Bitwarden's "Schedule a sync" page: one human line per run,
// appended, secret values masked like every other line we write.
import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { redactor } from '../observability/redact.js';
import type { RunResult } from './result.js';

export function formatRunLine(r: RunResult): string {
  const counts = r.users !== undefined ? ` users=${r.users} groups=${r.groups}` : '';
  const cls = r.failureClass ? ` class=${r.failureClass}` : '';
  return (
    `${r.endedAt.toISOString()} ${r.instance} run=${r.runId} ${r.mode} ` +
    `${r.outcome}${cls}${counts} duration=${(r.durationMs / 1000).toFixed(1)}s ${r.message}\n`
  );
}

export async function appendRunLog(path: string, r: RunResult): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await appendFile(path, redactor.scrub(formatRunLine(r)), { mode: 0o600 });
}
