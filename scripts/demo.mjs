// `npm run demo`: a real `bwdc-runner run` of the example instance (examples/demo/config.yaml, a
// directory block) against the bwdc test double and the Bitwarden test server, needing nothing
// external. Run it twice to see bwdc's own state kept (the second sync sends nothing: "Synced 0
// group(s) and 0 user(s).").
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const root = fileURLToPath(new URL('..', import.meta.url));
const demo = join(root, 'examples', 'demo');
const clientId = 'organization.00000000-0000-4000-8000-000000000001';
const clientSecret = readFileSync(join(demo, 'client_secret'), 'utf8').trim();

// The Bitwarden identity and API stand-in the runner logs in at (test/bitwarden-server/), on loopback.
const server = spawn(
  process.execPath,
  ['--import', 'tsx', join(root, 'test', 'bitwarden-server', 'serve.ts'), `${clientId}=${clientSecret}`],
  { stdio: ['pipe', 'pipe', 'inherit'] },
);
const url = await new Promise((resolve, reject) => {
  createInterface({ input: server.stdout }).once('line', resolve);
  server.once('exit', (code) => reject(new Error(`the Bitwarden test server exited (${code})`)));
});

const env = {
  ...process.env,
  BWDC_PATH: join(root, 'test', 'bwdc-double', 'bwdc'),
  BWDC_STATE_DIR: join(root, '.state'),
  BWDC_RUNNER_CONFIG: join(demo, 'config.yaml'),
  BW_SERVER: url,
  BW_CLIENTID: clientId,
  BW_CLIENTSECRET_FILE: join(demo, 'client_secret'),
  BWDC_DIRECTORY_SECRET: `file://${join(demo, 'ldap_password')}`,
  BWDC_LOG_FILE: 'true',
  LOG_FORMAT: process.env.LOG_FORMAT ?? 'pretty',
};
const bin = join(root, 'bin', 'bwdc-runner.js');
const status = await new Promise((resolve) => {
  spawn(process.execPath, [bin, 'run'], { env, stdio: 'inherit' }).on('exit', (code) => resolve(code ?? 1));
});
server.stdin.end();
console.log(
  `\nexit code ${status}; state in ${join(env.BWDC_STATE_DIR, 'demo')} (bwdc.log there has one line per run)`,
);
process.exit(status);
