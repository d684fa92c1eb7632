// Cron-monitoring check-ins in the healthchecks.io convention, which Cronitor, Uptime Kuma and others
// accept too: `<url>/start` when a run starts, `<url>` on success, `<url>/<exit code>` on failure (a
// non-zero code is a failure there), each a POST whose body is the run's last log lines (already
// redacted), capped. A missed check-in is then the service's alert: a CronJob that never ran included.

/** The check URL with a suffix path, keeping a query string (`?rid=...`) at the end. */
export function pingUrl(url: string, suffix: string | undefined): string {
  if (!suffix) return url;
  const q = url.indexOf('?');
  const [path, query] = q >= 0 ? [url.slice(0, q), url.slice(q)] : [url, ''];
  return `${path.replace(/\/+$/, '')}/${suffix}${query}`;
}

/** healthchecks.io keeps the first 100 kB of a ping's body; the tail of a run fits well below that. */
export const maxBodyBytes = 10_000;

export function capBody(lines: readonly string[]): string {
  let out = '';
  for (let i = lines.length - 1; i >= 0; i--) {
    const next = `${lines[i]}\n${out}`;
    if (Buffer.byteLength(next) > maxBodyBytes) break;
    out = next;
  }
  return out;
}
