// Identity requests of the scheduler: `instances` instances sharing one organization API key, each
// syncing every 5 s for `window` seconds, against the Bitwarden test server whose tokens live `ttl`
// seconds. The runner shares a token while it has more than 5 minutes left, so the expected count is
// 1 + the renewals the window crosses (with --ttl 600 over 10 minutes: 2).
//   npm run bench:identity -- --instances 100 --window 600 --ttl 600
import { spawn } from 'node:child_process';
import { arg, benchDir, bin, bitwarden, onLogLines, runnerEnv, writeManyInstances } from './lib.mjs';

const instances = Number(arg('instances', 100));
const windowSec = Number(arg('window', 600));
bitwarden.tokenTtlSec = Number(arg('ttl', 600));

const dir = benchDir({});
const config = writeManyInstances(dir, instances, { concurrency: 8, defaults: ['schedule: "*/30 * * * * *"'] });
const env = runnerEnv(dir, { BWDC_RUNNER_CONFIG: config, LOG_LEVEL: 'info' });
const runner = spawn(process.execPath, [bin, 'schedule'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
let succeeded = 0;
let failed = 0;
onLogLines(runner.stdout, (l) => {
  if (l.outcome === 'success') succeeded++;
  else if (l.outcome === 'failure') failed++;
});
await new Promise((r) => setTimeout(r, windowSec * 1000));
runner.kill('SIGTERM');
await new Promise((r) => runner.on('close', r));
console.log(
  JSON.stringify(
    {
      instances,
      windowSeconds: windowSec,
      tokenTtlSeconds: bitwarden.tokenTtlSec,
      runsSucceeded: succeeded,
      runsFailed: failed,
      identityRequests: bitwarden.tokenRequests.length,
      target: 'identity requests <= 2 for 100 instances over 10 minutes',
    },
    null,
    2,
  ),
);
process.exit(0);
