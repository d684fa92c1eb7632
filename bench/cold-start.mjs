// Cold start: `bwdc-runner --version` and `check --offline` (one instance, env secrets, the token requested
// from the Bitwarden test server in this process) against `node -e 0`, interleaved, medians of N. The Vault
// and AWS SDKs must stay unloaded unless a reference needs them.
//   npm run bench:cold -- --runs 21
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { arg, benchDir, bin, bitwarden, CLIENT_ID, double, median } from './lib.mjs';

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
  // check asks identity for a token (the preflight): the test server here, answered while the child runs.
  BW_SERVER: bitwarden.url,
};
const run = promisify(execFile);

// The runner is executed as users run it (bin/bwdc-runner.js through its shebang); node -e 0 directly.
// Not spawnSync: that would block this process, and with it the test server check's token request needs.
async function t(args) {
  const [cmd, ...rest] = args[0] === bin ? args : [process.execPath, ...args];
  const t0 = performance.now();
  try {
    await run(cmd, rest, { env, encoding: 'utf8' });
  } catch (err) {
    throw new Error(`${args.join(' ')}: ${err.code} ${err.stderr}${err.stdout}`, { cause: err });
  }
  return performance.now() - t0;
}
const node0 = [],
  version = [],
  check = [];
for (let i = 0; i < runs; i++) {
  node0.push(await t(['-e', '0']));
  version.push(await t([bin, '--version']));
  check.push(await t([bin, 'check', '--offline']));
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
