// Builds the real Dockerfile with podman from a local stand-in of its default base (node:24-trixie-slim,
// laid out as the official image: scripts/image/make-base-images.sh) and the REAL bwdc release zip
// (BWDC_RELEASE_ZIP, test/helpers/real-bwdc.ts), from a throwaway build context: the files .dockerignore
// lets in, copied to a temp folder with the zip in its bwdc-bundle/. Nothing is written to the
// repository's bwdc-bundle/. Installs podman and makes the base image first on a fresh machine.
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
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
/** The stand-in for the Dockerfile's default BUILD_IMAGE and RUNTIME_IMAGE (docker.io/library/node:24-trixie-slim). */
export const defaultBase = 'localhost/bwdc-runner-base:node24-trixie-slim';

/** The build arguments every test build uses: the default base for both stages, bwdc from the context. */
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

/**
 * A throwaway build context: the Dockerfile, .dockerignore and what .dockerignore lets in, with `zip` as
 * bwdc-bundle/bwdc-linux-<version>.zip. The caller removes it (rmSync) when the build is done.
 */
export function throwawayContext(zip: string): string {
  const ctx = mkdtempSync(join(tmpdir(), 'bwdc-runner-context-'));
  const allowed = readFileSync(join(root, '.dockerignore'), 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('!'))
    .map((l) => l.slice(1).replace(/\/$/, ''))
    .filter((p) => p !== 'bwdc-bundle');
  for (const p of ['Dockerfile', '.dockerignore', ...allowed]) cpSync(join(root, p), join(ctx, p), { recursive: true });
  mkdirSync(join(ctx, 'bwdc-bundle'));
  cpSync(zip, join(ctx, 'bwdc-bundle', `bwdc-linux-${bwdcVersion}.zip`));
  return ctx;
}

export function ensureBaseImage(): void {
  sh('scripts/ci/install-podman.sh');
  sh('scripts/image/make-base-images.sh');
}

/** Builds `tag` from the repository's Dockerfile with the bwdc release zip `zip`; returns the tag. */
export function buildTestImage(zip: string, tag = 'localhost/bwdc-runner:test', extra: string[] = []): string {
  ensureBaseImage();
  const ctx = throwawayContext(zip);
  const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version as string;
  try {
    const r = podman([
      'build',
      '--format',
      'docker',
      '--layers',
      ...baseBuildArgs(),
      '--build-arg',
      `RUNNER_VERSION=${version}`,
      ...extra,
      '-t',
      tag,
      ctx,
    ]);
    if (r.status !== 0) throw new Error(`podman build failed:\n${r.stdout}\n${r.stderr}`);
    // The build log names the base (the runtime stage prints it when it is not cached).
    process.stdout.write(
      `# built ${tag} from ${defaultBase}\n${r.stdout
        .split('\n')
        .filter((l) => /runtime base:|STEP 1\/|FROM /.test(l))
        .map((l) => `# ${l}`)
        .join('\n')}\n`,
    );
  } finally {
    rmSync(ctx, { recursive: true, force: true });
  }
  return tag;
}
