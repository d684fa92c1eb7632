// Cold start: `bwdc-runner --version` and `check` (one instance, env secrets) against `node -e 0`,
// interleaved, medians of N. The Vault and AWS SDKs must stay unloaded unless a reference needs them.
//   npm run bench:cold -- --runs 21
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { arg, benchDir, bin, CLIENT_ID, double, median } from './lib.mjs';

const runs = Number(arg('runs', 21));
const dir = benchDir();
// --version reads bwdc's version from a VERSION file beside it, as in the image.
const bwdcDir = join(dir, 'bwdc');
mkdirSync(bwdcDir);
writeFileSync(join(bwdcDir, 'bwdc'), `#!/bin/sh\nexec ${double} "$@"\n`, { mode: 0o755 });
writeFileSync(join(bwdcDir, 'VERSION'), '2026.6.1\n');
const env = {
  PATH: process.env.PATH,
  HOME: dir,
  BWDC_PATH: join(bwdcDir, 'bwdc'),
  BWDC_STATE_DIR: join(dir, 'state'),
  BWDC_DATA_JSON: join(dir, 'data.json'),
  BW_CLIENTID: CLIENT_ID,
  BW_CLIENTSECRET_FILE: join(dir, 'client_secret'),
};

// The runner is executed as users run it (bin/bwdc-runner.js through its shebang); node -e 0 directly.
function t(args) {
  const [cmd, ...rest] = args[0] === bin ? args : [process.execPath, ...args];
  const t0 = performance.now();
  const r = spawnSync(cmd, rest, { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${args.join(' ')}: ${r.status} ${r.stderr}${r.stdout}`);
  return performance.now() - t0;
}
const node0 = [],
  version = [],
  check = [];
for (let i = 0; i < runs; i++) {
  node0.push(t(['-e', '0']));
  version.push(t([bin, '--version']));
  check.push(t([bin, 'check']));
}
const n = median(node0),
  v = median(version),
  c = median(check);
console.log(
  JSON.stringify(
    {
      runs,
      nodeE0Ms: Math.round(n),
      versionMs: Math.round(v),
      checkMs: Math.round(c),
      versionRatio: Number((v / n).toFixed(2)),
      checkRatio: Number((c / n).toFixed(2)),
      target: '--version <= 1.5x node -e 0',
      met: v / n <= 1.5,
    },
    null,
    2,
  ),
);
