// The shard a `schedule` process is and how many instances it holds (docs/metrics.md, docs/scheduler.md
// "Shards"): one process of N shows its share, and a dashboard sums bwdc_runner_shard_instances over the
// replicas to see every configured instance held exactly once.
import { Gauge, type Registry } from 'prom-client';

export function registerShardMetrics(
  registry: Registry,
  shard: () => { index: number; count: number },
  held: () => { held: number; configured: number },
): void {
  const registers = [registry];
  new Gauge({
    name: 'bwdc_runner_shard_info',
    help: 'Always 1: this process runs shard `shard` (0 to N-1) of `shards` (N) (--shard, BWDC_SHARD).',
    labelNames: ['shard', 'shards'],
    registers,
    collect() {
      const s = shard();
      this.reset();
      this.set({ shard: String(s.index), shards: String(s.count) }, 1);
    },
  });
  new Gauge({
    name: 'bwdc_runner_shard_instances',
    help: 'Instances this process holds: its share of the configured instances.',
    registers,
    collect() {
      this.set(held().held);
    },
  });
  new Gauge({
    name: 'bwdc_runner_configured_instances',
    help: 'Instances in the configuration, every shard together.',
    registers,
    collect() {
      this.set(held().configured);
    },
  });
}
