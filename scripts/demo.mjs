// `npm run demo`: a real `bwdc-runner run` of one example instance against the bwdc test double,
// needing nothing external. Run it twice to see bwdc's own state kept (the second sync sends
// nothing: "Synced 0 group(s) and 0 user(s).").
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const root = fileURLToPath(new URL('..', import.meta.url));
const demo = join(root, 'examples', 'demo');
const env = {
  ...process.env,
  BWDC_PATH: join(root, 'test', 'bwdc-double', 'bwdc'),
  BWDC_STATE_DIR: join(root, '.state'),
  BWDC_INSTANCE: 'demo',
  BWDC_DATA_JSON: join(demo, 'data.json'),
  BW_CLIENTID: 'organization.00000000-0000-4000-8000-000000000001',
  BW_CLIENTSECRET_FILE: join(demo, 'client_secret'),
  BWDC_DIRECTORY_SECRET: `file://${join(demo, 'ldap_password')}`,
  BWDC_LOG_FILE: 'true',
  LOG_FORMAT: process.env.LOG_FORMAT ?? 'pretty',
};
const bin = join(root, 'bin', 'bwdc-runner.js');
const r = spawnSync(process.execPath, [bin, 'run'], { env, stdio: 'inherit' });
console.log(
  `\nexit code ${r.status}; state in ${join(env.BWDC_STATE_DIR, 'demo')} (bwdc.log there has one line per run)`,
);
process.exit(r.status ?? 1);
