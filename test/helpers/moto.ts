// Starts a real moto server (the AWS emulator) for the Secrets Manager tests, installing it first
// on a fresh machine (scripts/ci/install-moto.sh), on a free loopback port.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { root } from './fixture.js';

const motoDir = join(root, '.cache', 'moto');

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

export interface Moto {
  endpoint: string;
  env: Record<string, string>;
  stop(): Promise<void>;
}

export async function startMoto(): Promise<Moto> {
  if (!existsSync(join(motoDir, 'ok'))) {
    const r = spawnSync('bash', [join(root, 'scripts', 'ci', 'install-moto.sh')], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error('installing moto failed');
  }
  const port = await freePort();
  const child: ChildProcess = spawn('/usr/bin/python3', ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], {
    env: { PATH: process.env.PATH, PYTHONPATH: join(motoDir, 'usr', 'lib', 'python3', 'dist-packages') },
    stdio: 'ignore',
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const r = await fetch(`${endpoint}/moto-api/`);
      if (r.status < 500) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline || child.exitCode !== null) throw new Error('moto did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    endpoint,
    env: {
      AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoint,
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_REGION: 'us-east-1',
      AWS_EC2_METADATA_DISABLED: 'true',
    },
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
    },
  };
}
