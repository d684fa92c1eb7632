// Secret fetches: 100 instances sharing one Vault secret (client secret) and one AWS secret
// (directory secret). Counts requests per run to each backend (target: one each) from the Vault
// test server and from the runner's own metric (pushed to a local Pushgateway), and Vault logins
// in a scheduler window with short token lifetimes (target: one login per token lifetime).
//   npm run bench:secrets -- --instances 100 --window 60
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import * as sdk from '@aws-sdk/client-secrets-manager';
import { VaultTestServer } from '../test/vault-server/server.js';
import { startMoto } from '../test/helpers/moto.js';
// @ts-expect-error plain JavaScript helpers
import { arg, benchDir, bin, bitwarden, CLIENT_ID, runnerEnv, writeManyInstances } from './lib.mjs';

const n = Number(arg('instances', 100));
const windowSec = Number(arg('window', 60));
const ttlSec = Number(arg('ttl', 10));
const maxTtlSec = Number(arg('max-ttl', 30));

const moto = await startMoto();
const admin = new sdk.SecretsManagerClient({
  region: 'us-east-1',
  endpoint: moto.endpoint,
  credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
});
await admin.send(
  new sdk.CreateSecretCommand({ Name: 'bwdc/ldap', SecretString: JSON.stringify({ password: 'ldap-bench' }) }),
);
bitwarden.addClient(CLIENT_ID, 'vault-bench');
const dir: string = benchDir({ clientSecret: 'vault-bench', directorySecret: 'ldap-bench', record: undefined });
writeFileSync(join(dir, 'jwt'), 'bench.jwt\n');
const vault = await new VaultTestServer({
  namespaces: { '': { secret: { version: 2, data: { 'bwdc/org': { client_secret: 'vault-bench' } } } } },
  kubernetes: { role: 'bwdc', jwt: 'bench.jwt', ttlSec, maxTtlSec },
}).start();

const pushed: string[] = [];
const gw = createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    pushed.push(body);
    res.end();
  });
});
await new Promise<void>((r) => gw.listen(0, '127.0.0.1', r));

function config(schedule: string): string {
  return writeManyInstances(dir, n, {
    concurrency: 8,
    clientSecret: 'vault://secret/bwdc/org#client_secret',
    defaults: ['directorySecret: awssm://bwdc/ldap#password', `schedule: "${schedule}"`],
  });
}
const env = {
  ...runnerEnv(dir),
  VAULT_ADDR: vault.url,
  VAULT_K8S_ROLE: 'bwdc',
  VAULT_K8S_TOKEN_PATH: join(dir, 'jwt'),
  LOG_LEVEL: 'warn',
  BWDC_CONCURRENCY: '8',
  ...moto.env,
  PUSHGATEWAY_URL: `http://127.0.0.1:${(gw.address() as AddressInfo).port}`,
};

// 1. One `run` of all instances.
const readsBefore = vault.requests.filter((r) => r.path === 'secret/data/bwdc/org').length;
// Asynchronously: the Vault server and the Pushgateway answer from this process's event loop.
const r = await new Promise<{ status: number | null; stdout: string }>((resolve) => {
  const c = spawn(bin, ['run', '--config', config('0 0 1 1 *')], { env });
  let stdout = '';
  c.stdout.on('data', (d) => (stdout += d));
  c.on('close', (status) => resolve({ status, stdout }));
});
if (r.status !== 0) throw new Error(`run failed: ${r.status} ${r.stdout.slice(-2000)}`);
const vaultReads = vault.requests.filter((x) => x.path === 'secret/data/bwdc/org').length - readsBefore;
const awsFetches = Number(
  /bwdc_runner_secret_fetches_total\{backend="awssm",result="ok"\} (\d+)/.exec(pushed.at(-1) ?? '')?.[1],
);
const vaultFetchesMetric = Number(
  /bwdc_runner_secret_fetches_total\{backend="vault",result="ok"\} (\d+)/.exec(pushed.at(-1) ?? '')?.[1],
);

// 2. The scheduler for `window` seconds, every instance every 5 s: how many Vault logins?
const loginsBefore = vault.logins;
const renewalsBefore = vault.renewals;
const sched = spawn(bin, ['schedule', '--config', config('*/5 * * * * *')], {
  env: { ...env, PUSHGATEWAY_URL: '' },
  stdio: 'ignore',
});
await new Promise((res) => setTimeout(res, windowSec * 1000));
sched.kill('SIGTERM');
await new Promise((res) => sched.on('exit', res));
const logins = vault.logins - loginsBefore;
const renewals = vault.renewals - renewalsBefore;

console.log(
  JSON.stringify(
    {
      instances: n,
      oneRun: {
        vaultSecretReads: vaultReads,
        vaultFetchesByMetric: vaultFetchesMetric,
        awsFetchesByMetric: awsFetches,
        target: 'one request per backend per run',
      },
      scheduler: {
        windowSeconds: windowSec,
        tokenTtlSeconds: ttlSec,
        tokenMaxTtlSeconds: maxTtlSec,
        vaultLogins: logins,
        vaultRenewals: renewals,
        expectedLoginsAtMost: Math.ceil(windowSec / maxTtlSec) + 1,
        target: 'one login per token lifetime (max TTL)',
      },
    },
    null,
    2,
  ),
);
await vault.stop();
gw.close();
admin.destroy();
await moto.stop();
