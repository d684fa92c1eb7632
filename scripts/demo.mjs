// `npm run demo`: a real `bwdc-runner run` of the example instance (examples/demo/config.yaml, a
// directory block) against the bwdc test double and the Bitwarden test server, needing nothing
// external. Run it twice to see bwdc's own state kept (the second sync sends nothing: "Synced 0
// group(s) and 0 user(s).").
// Any other command against the same stand-ins: `npm run demo -- check`, `-- plan`, `-- test --verbose`,
// `-- schedule` (every 2 minutes and once at start; endpoints on BWDC_HTTP_PORT, default 8080; Ctrl-C
// stops it), `-- config render`.
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

const args = process.argv.slice(2).length ? process.argv.slice(2) : ['run'];
const env = {
  BWDC_SCHEDULE: '*/2 * * * *',
  BWDC_RUN_ON_START: 'true',
  BWDC_HTTP_PORT: '8080',
  ...process.env,
  BWDC_PATH: join(root, 'test', 'bwdc-double', 'bwdc'),
  BWDC_STATE_DIR: process.env.BWDC_STATE_DIR || join(root, '.state'),
  BWDC_RUNNER_CONFIG: join(demo, 'config.yaml'),
  BW_SERVER: url,
  BW_CLIENTID: clientId,
  BW_CLIENTSECRET_FILE: join(demo, 'client_secret'),
  BWDC_DIRECTORY_SECRET: `file://${join(demo, 'ldap_password')}`,
  BWDC_LOG_FILE: 'true',
  LOG_FORMAT: process.env.LOG_FORMAT ?? 'pretty',
};
const bin = join(root, 'bin', 'bwdc-runner.js');
const child = spawn(process.execPath, [bin, ...args], { env, stdio: 'inherit' });
// Ctrl-C reaches the runner too (same terminal): wait for it to shut down, then stop the server.
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
const status = await new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 130 : 1))));
server.stdin.end();
console.log(
  `\nbwdc-runner ${args.join(' ')}: exit code ${status}; state in ${join(env.BWDC_STATE_DIR, 'demo')} (bwdc.log there has one line per run)`,
);
process.exit(status);
