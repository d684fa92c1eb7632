// One-shot runs (the CronJob mode) cannot be scraped: they push their metrics to a Prometheus
// Pushgateway at the end, through prom-client's own client. One group per instance (grouping key
// `job` + `directory`), replaced whole (PUT) by that instance's next push: the Pushgateway stamps the
// grouping labels on every series of a group, so instances sharing one group would overwrite each
// other. Secret fetches belong to the process, not to an instance: every group carries the
// process's counts (one instance per process in the CronJob mode, so they are that instance's).
// A failed push is logged, never fatal.
import { Pushgateway } from 'prom-client';
import { errorMessage } from '../errors.js';
import type { Logger } from './logger.js';
import { RunnerMetrics, type RunRecord } from './metrics.js';

/** Secret resolutions of the process, by backend and result. */
export type SecretFetchCounts = ReadonlyArray<{ backend: string; ok: boolean; count: number }>;

export async function pushRunMetrics(
  url: string,
  jobName: string,
  results: readonly RunRecord[],
  secretFetches: SecretFetchCounts,
  log: Logger,
  notifications: ReadonlyArray<{ target: string; ok: boolean; count: number }> = [],
): Promise<number> {
  let pushed = 0;
  // Logged without the credentials a Pushgateway URL may carry (http://user:password@host).
  const shown = withoutCredentials(url);
  for (const result of results) {
    const metrics = new RunnerMetrics({ defaultMetrics: false });
    metrics.setInstances([result.instance]);
    metrics.runFinished(result);
    for (const f of secretFetches) metrics.secretFetched(f.backend, f.ok, f.count);
    for (const n of notifications) metrics.notified(n.target, n.ok, n.count);
    const groupings = { directory: result.instance };
    try {
      await new Pushgateway(url, { timeout: 10_000 }, metrics.registry).push({ jobName, groupings });
      log.info({ pushgateway: shown, job: jobName, grouping: groupings }, 'metrics pushed');
      pushed++;
    } catch (err) {
      log.warn(
        { pushgateway: shown, grouping: groupings, err: errorMessage(err) },
        'could not push metrics to the Pushgateway',
      );
    }
  }
  return pushed;
}

function withoutCredentials(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return '(the Pushgateway URL)';
  }
}
