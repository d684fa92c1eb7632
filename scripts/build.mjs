// `npm run build`: type-check with tsc, then bundle the runner with esbuild into dist/ (bench/README.md "A real
// run"). A one-shot run spent ~280 ms of CPU loading ~200 modules one by one (resolving, reading, compiling,
// linking each); the bundle loads in ~130 ms. What ships, what the image runs and what the tests run is this
// bundle:
//   dist/main.js                    the CLI (bin/bwdc-runner.js requires it)
//   dist/planner-worker.js          the gate's worker thread (src/gate/planner.ts starts it from beside main.js)
//   dist/THIRD-PARTY-LICENSES.txt   the licence texts of the packages inside the bundle
// dist/ is flat so that every file finds its neighbours (and ../package.json, src/version.ts) where the
// source expects them. Left out of the bundle, loaded from node_modules when a configuration asks for them:
// the AWS SDK, node-vault and the Bitwarden SDK (secret backends, each large), pino-pretty and undici.
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));

const external = ['@aws-sdk/*', 'node-vault', '@bitwarden/sdk-napi*', 'pino-pretty', 'undici'];

async function buildRunner() {
  const tsc = spawnSync(
    process.execPath,
    [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json', '--noEmit'],
    { cwd: root, stdio: 'inherit' },
  );
  if (tsc.status !== 0) return tsc.status ?? 1;
  rmSync(join(root, 'dist'), { recursive: true, force: true });
  const result = await build({
    absWorkingDir: root,
    entryPoints: { main: 'src/cli/main.ts', 'planner-worker': 'src/gate/planner-worker.ts' },
    outdir: 'dist',
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node22',
    external,
    // import() of what stays outside (the AWS SDK, node-vault, pino-pretty, undici) as require(): all four are
    // CommonJS, and bin/code-cache.js runs the bundle through node:vm, whose import() needs an experimental API.
    supported: { 'dynamic-import': false },
    // Whitespace and syntax only: names stay as written, so a stack trace (LOG_LEVEL=debug) still reads.
    minifyWhitespace: true,
    minifySyntax: true,
    // The source finds its neighbours from import.meta.url (the worker, ../package.json): this file's URL.
    define: { 'import.meta.url': '__bwdcFileUrl' },
    // "use strict" first: the directive counts only as a file's first statement, and the sources are ES modules.
    banner: { js: "'use strict';const __bwdcFileUrl = require('node:url').pathToFileURL(__filename).href;" },
    metafile: true,
    logLevel: 'warning',
  });
  // The bundle is CommonJS inside a package that says "module".
  writeFileSync(join(root, 'dist', 'package.json'), '{ "type": "commonjs" }\n');
  writeFileSync(join(root, 'dist', 'THIRD-PARTY-LICENSES.txt'), licences(result.metafile));
  return 0;
}

/**
 * The licence (and NOTICE) texts of every package with code in the bundle: those packages are not in the
 * installed node_modules any more, and their licences (MIT, ISC, Apache-2.0...) ask for the text to travel with
 * the code.
 */
function licences(metafile) {
  const packages = new Set();
  for (const input of Object.keys(metafile.inputs)) {
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input.slice(input.lastIndexOf('node_modules/')));
    if (m) packages.add(m[1]);
  }
  const parts = [];
  for (const name of [...packages].sort()) {
    const dir = join(root, 'node_modules', name);
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    const files = readdirSync(dir).filter((f) => /^(licen[cs]e|copying|notice)/i.test(f));
    if (files.length === 0) throw new Error(`${name}: no licence file to put beside the bundle`);
    const texts = files.map((f) => readFileSync(join(dir, f), 'utf8').trim());
    parts.push(`${name}@${pkg.version} (${pkg.license ?? 'see below'})\n\n${texts.join('\n\n')}`);
  }
  return `The bwdc-runner bundle (dist/main.js, dist/planner-worker.js) contains code from these packages.\n\n${parts.join('\n\n' + '-'.repeat(78) + '\n\n')}\n`;
}

process.exit(await buildRunner());
