// The last log lines of a run, for a heartbeat's body: the logger's write hook hands every (already
// redacted) line here, and lines carrying a watched run's id are kept, at most 50 per run. Only runs
// with a heartbeat are watched, so memory stays bounded.
const tails = new Map<string, string[]>();
const maxLines = 50;

export function watchRun(runId: string): void {
  tails.set(runId, []);
}

export function recordLine(line: string): void {
  if (tails.size === 0) return;
  const id = /"runId":"([0-9a-f]+)"/.exec(line)?.[1];
  const tail = id ? tails.get(id) : undefined;
  if (!tail) return;
  tail.push(line.trimEnd());
  if (tail.length > maxLines) tail.shift();
}

/** The lines so far (still watching). */
export function runTail(runId: string): readonly string[] {
  return tails.get(runId) ?? [];
}

export function forgetRun(runId: string): void {
  tails.delete(runId);
}

/** Runs whose lines are being kept: 0 between runs (every run forgets its own, whatever its ending). */
export function watchedRuns(): number {
  return tails.size;
}
