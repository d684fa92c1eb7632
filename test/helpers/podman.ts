// Builds the real Dockerfile with podman from a local stand-in of its default base
// (node:22-trixie-slim, laid out as the official image: scripts/image/make-base-images.sh) and a
// stand-in bwdc bundle (the test double packaged as the release zip is: `bwdc` next to a .node
// file), installing podman and making the base image first on a fresh machine.
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync, copyFileSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { root } from './fixture.js';

export const containersConf = join(root, '.cache', 'containers', 'containers.conf');
const env = { ...process.env, CONTAINERS_CONF: containersConf };

export function podman(args: string[], input?: string): SpawnSyncReturns<string> {
  return spawnSync('podman', args, { env, encoding: 'utf8', input, maxBuffer: 64 * 1024 * 1024 });
}

export function podmanAsync(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('podman', args, { env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function sh(script: string): void {
  const r = spawnSync('bash', [join(root, script)], { stdio: 'inherit', env });
  if (r.status !== 0) throw new Error(`${script} failed`);
}

export const bwdcVersion = '2026.6.1';
/** The stand-in for the Dockerfile's default BUILD_IMAGE and RUNTIME_IMAGE (docker.io/library/node:22-trixie-slim). */
export const defaultBase = 'localhost/bwdc-runner-base:node22-trixie-slim';

/** The build arguments every test build uses: the default base for both stages, the bundled bwdc. */
export function baseBuildArgs(): string[] {
  return [
    // The official Node binary trusts only its own CA store; TLS to the registry here is signed by the
    // host's CA. A build argument of the build stages only: it never reaches the runtime image.
    '-v',
    '/etc/ssl/certs:/etc/ssl/certs:ro',
    '--build-arg',
    'NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt',
    '--build-arg',
    `BUILD_IMAGE=${defaultBase}`,
    '--build-arg',
    `RUNTIME_IMAGE=${defaultBase}`,
    '--build-arg',
    'BWDC_SOURCE=context',
  ];
}

/** Builds localhost/bwdc-runner:test from the repository's Dockerfile; returns the tag. */
export function buildTestImage(tag = 'localhost/bwdc-runner:test'): string {
  sh('scripts/ci/install-podman.sh');
  sh('scripts/image/make-base-images.sh');
  const stage = mkdtempSync(join(tmpdir(), 'bwdc-bundle-'));
  for (const f of ['bwdc', 'double.mjs']) copyFileSync(join(root, 'test', 'bwdc-double', f), join(stage, f));
  writeFileSync(join(stage, 'dc_native.linux-x64-gnu.node'), 'stand-in for the native module\n');
  const zip = `bwdc-linux-${bwdcVersion}.zip`;
  const z = spawnSync('zip', ['-q', zip, 'bwdc', 'double.mjs', 'dc_native.linux-x64-gnu.node'], { cwd: stage });
  if (z.status !== 0) throw new Error('zip failed');
  copyFileSync(join(stage, zip), join(root, 'bwdc-bundle', zip));
  rmSync(stage, { recursive: true, force: true });
  const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version as string;
  const r = spawnSync(
    'podman',
    [
      'build',
      '--format',
      'docker',
      '--layers',
      ...baseBuildArgs(),
      '--build-arg',
      `RUNNER_VERSION=${version}`,
      '-t',
      tag,
      root,
    ],
    { env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  if (r.status !== 0) throw new Error(`podman build failed:\n${r.stdout}\n${r.stderr}`);
  // The build log names the base (the runtime stage prints it when it is not cached).
  process.stdout.write(
    `# built ${tag} from ${defaultBase}\n${r.stdout
      .split('\n')
      .filter((l) => /runtime base:|STEP 1\/|FROM /.test(l))
      .map((l) => `# ${l}`)
      .join('\n')}\n`,
  );
  return tag;
}
