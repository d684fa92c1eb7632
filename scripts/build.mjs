// `npm run build`: type-check with tsc, then bundle the runner with esbuild into dist/ (bench/README.md "A real
// run"). A one-shot run spent ~280 ms of CPU loading ~200 modules one by one (resolving, reading, compiling,
// linking each); the bundle loads in ~130 ms. What ships, what the image runs and what the tests run is this
// bundle:
//   dist/main.js            the CLI (bin/bwdc-runner.js imports it)
//   dist/planner-worker.js  the gate's worker thread (src/gate/planner.ts starts it from beside its own chunk)
//   dist/chunk-*.js         modules a command imports on demand (each command's handler, the Pushgateway...)
// dist/ is flat so that every file finds its neighbours (and ../package.json, src/version.ts) where the
// source expects them. Left out of the bundle, loaded from node_modules when a configuration asks for them:
// the AWS SDK, node-vault and the Bitwarden SDK (secret backends, each large) and pino-pretty.
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));

export const external = ['@aws-sdk/*', 'node-vault', '@bitwarden/sdk-napi*', 'pino-pretty', 'undici'];

export async function buildRunner({ typecheck = true } = {}) {
  if (typecheck) {
    const tsc = spawnSync(
      process.execPath,
      [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json', '--noEmit'],
      { cwd: root, stdio: 'inherit' },
    );
    if (tsc.status !== 0) return tsc.status ?? 1;
  }
  rmSync(join(root, 'dist'), { recursive: true, force: true });
  await build({
    absWorkingDir: root,
    entryPoints: { main: 'src/cli/main.ts', 'planner-worker': 'src/gate/planner-worker.ts' },
    outdir: 'dist',
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node22',
    external,
    // Whitespace and syntax only: names stay as written, so a stack trace (LOG_LEVEL=debug) still reads.
    minifyWhitespace: true,
    minifySyntax: true,
    // The source finds its neighbours from import.meta.url (the worker, ../package.json): this file's URL.
    define: { 'import.meta.url': '__bwdcFileUrl' },
    banner: { js: "const __bwdcFileUrl = require('node:url').pathToFileURL(__filename).href;" },
    legalComments: 'eof',
    logLevel: 'warning',
  });
  // The bundle is CommonJS inside a package that says "module".
  writeFileSync(join(root, 'dist', 'package.json'), '{ "type": "commonjs" }\n');
  return 0;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.exit(await buildRunner());
