// The real Prometheus tools from Debian (scripts/ci/install-prometheus.sh): promtool and a
// Pushgateway started on a free loopback port for one test file.
import { execFileSync, spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { root, waitFor } from './fixture.js';

export function ensurePrometheusTools(): void {
  const have = spawnSync('sh', ['-c', 'command -v promtool && command -v prometheus-pushgateway'], {
    encoding: 'utf8',
  });
  if (have.status !== 0)
    execFileSync('bash', [join(root, 'scripts', 'ci', 'install-prometheus.sh')], { stdio: 'inherit' });
}

export function promtool(args: string[], input?: string): SpawnSyncReturns<string> {
  return spawnSync('promtool', args, { encoding: 'utf8', input });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

export interface Pushgateway {
  url: string;
  /** The Pushgateway's own /metrics: every pushed group's series, with the grouping labels added. */
  metrics(): Promise<string>;
  stop(): void;
}

// --persistence.file= (empty): Debian's build persists by default to /var/lib/prometheus/pushgateway.data,
// so a new Pushgateway would start with what earlier tests pushed.
export async function startPushgateway(): Promise<Pushgateway> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn('prometheus-pushgateway', [`--web.listen-address=127.0.0.1:${port}`, '--persistence.file='], {
    stdio: 'ignore',
  });
  let ready = false;
  const poll = setInterval(() => {
    fetch(`${url}/-/ready`).then(
      (r) => (ready = r.ok),
      () => {},
    );
  }, 50);
  try {
    await waitFor(() => ready, 10_000);
  } finally {
    clearInterval(poll);
  }
  return {
    url,
    metrics: async () => (await fetch(`${url}/metrics`)).text(),
    stop: () => child.kill('SIGKILL'),
  };
}

/** `name{labels} value` lines of one metric whose labels include all of `match`. */
export function samples(
  text: string,
  name: string,
  match: Record<string, string> = {},
): Array<{ labels: Record<string, string>; value: number }> {
  const out: Array<{ labels: Record<string, string>; value: number }> = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    if (Object.entries(match).every(([k, v]) => labels[k] === v)) out.push({ labels, value: Number(m[3]) });
  }
  return out;
}
