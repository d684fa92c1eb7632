// One-shot runs (the CronJob mode) cannot be scraped: they push their metrics to a Prometheus
// Pushgateway at the end, through prom-client's own client. A failed push is logged, never fatal.
import { Pushgateway } from 'prom-client';
import { errorMessage } from '../errors.js';
import type { Logger } from './logger.js';
import type { RunnerMetrics } from './metrics.js';

export async function pushMetrics(url: string, metrics: RunnerMetrics, grouping: Record<string, string>, jobName: string, log: Logger): Promise<boolean> {
  try {
    const gateway = new Pushgateway(url, { timeout: 10_000 }, metrics.registry);
    // POST (pushAdd): replaces only the metric families this push carries, within this grouping.
    await gateway.pushAdd({ jobName, groupings: grouping });
    log.info({ pushgateway: url, job: jobName, grouping }, 'metrics pushed');
    return true;
  } catch (err) {
    log.warn({ pushgateway: url, err: errorMessage(err) }, 'could not push metrics to the Pushgateway');
    return false;
  }
}
