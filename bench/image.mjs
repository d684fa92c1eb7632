// Image numbers for bench/README.md: size (total, the base, the runner's own layers without bwdc)
// and container start to the first log line, median of N runs of `schedule`.
//   npm run bench:image            (needs the test image: npm test builds it, or test/helpers/podman.ts)
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const env = { ...process.env, CONTAINERS_CONF: join(root, '.cache', 'containers', 'containers.conf') };
const image = process.env.IMAGE ?? 'localhost/bwdc-runner:test';
const runs = Number(process.env.RUNS ?? 5);
const podman = (args) => spawnSync('podman', args, { env, encoding: 'utf8' });

const mb = (b) => (b / 1e6).toFixed(1);
const size = Number(podman(['image', 'inspect', image, '--format', '{{.Size}}']).stdout);
const base = Number(
  podman(['image', 'inspect', 'localhost/bwdc-runner-base:node24-trixie-slim', '--format', '{{.Size}}']).stdout,
);
const units = { B: 1, kB: 1e3, KB: 1e3, MB: 1e6, GB: 1e9 };
// Newest layer first. The runner's own layers are those above `WORKDIR /app`; the one just below is bwdc.
const layers = podman(['history', '--no-trunc', '--format', '{{.Size}}\t{{.CreatedBy}}', image])
  .stdout.trim()
  .split('\n')
  .map((l) => {
    const [human, ...rest] = l.split('\t');
    const [n, unit] = human.trim().split(' ');
    return { bytes: Number(n) * (units[unit] ?? 1), by: rest.join('\t') };
  });
// The final stage's layers, oldest first: the base's, runtime-base's RUN (tini, libatomic1, the user), the
// bwdc COPY, WORKDIR /app, then the runner's COPYs and the compile cache's RUN (Dockerfile).
const workdir = layers.findIndex((l) => /WORKDIR \/app/.test(l.by));
const own = layers.slice(0, workdir).reduce((a, l) => a + l.bytes, 0);
const bwdcLayer = layers[workdir + 1];
const above = layers.slice(0, workdir);
const part = (re) => above.filter((l) => re.test(l.by)).reduce((a, l) => a + l.bytes, 0);
const runtimeBaseLayer = layers.slice(workdir + 2).find((l) => /RUNTIME_IMAGE=/.test(l.by) && l.bytes > 0);
const parts = {
  base: mb(base),
  'tini, libatomic1, user (runtime-base)': mb(runtimeBaseLayer?.bytes ?? 0),
  'bwdc (/opt/bwdc)': mb(bwdcLayer?.bytes ?? 0),
  // COPY layers are named by content digest: the largest is node_modules, then dist.
  ...Object.fromEntries(
    above
      .filter((l) => /COPY/.test(l.by))
      .sort((a, b) => b.bytes - a.bytes)
      .slice(0, 2)
      .map((l, i) => [i === 0 ? 'node_modules' : 'dist', mb(l.bytes)]),
  ),
  'compile cache': mb(part(/compile-cache/)),
};

function startToFirstLine() {
  return new Promise((resolve, reject) => {
    const name = `bwdc-bench-${process.pid}-${Math.random().toString(16).slice(2)}`;
    const t0 = performance.now();
    const child = spawn(
      'podman',
      [
        'run',
        '--rm',
        '--name',
        name,
        '--health-cmd=none',
        '-e',
        'BWDC_DATA_JSON={"stateVersion":6,"directoryType":0,"directoryLdap":{"hostname":"ldap.bench","port":389}}',
        '-e',
        'BW_CLIENTID=organization.00000000-0000-4000-8000-000000000001',
        '-e',
        'BW_CLIENTSECRET=bench',
        '-e',
        'BWDC_SCHEDULE=0 0 1 1 *',
        image,
      ],
      { env },
    );
    let out = '';
    child.stdout.on('data', (c) => {
      out += c;
      if (out.includes('\n')) {
        const ms = performance.now() - t0;
        spawnSync('podman', ['rm', '-f', '-t', '0', name], { env });
        resolve(ms);
      }
    });
    child.on('error', reject);
    child.on('close', (code) => reject(new Error(`podman run ended (${code}) before a log line: ${out}`)));
  });
}

const times = [];
for (let i = 0; i < runs; i++) times.push(await startToFirstLine());
times.sort((a, b) => a - b);
console.log(
  JSON.stringify(
    {
      image,
      totalMB: mb(size),
      baseMB: mb(base),
      bwdcLayerMB: mb(bwdcLayer?.bytes ?? 0),
      runnerOwnMB: mb(own),
      parts,
      startToFirstLogLineMs: {
        median: Math.round(times[Math.floor(times.length / 2)]),
        min: Math.round(times[0]),
        max: Math.round(times.at(-1)),
        runs,
      },
    },
    null,
    2,
  ),
);
