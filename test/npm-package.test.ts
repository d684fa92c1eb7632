// The npm package as users install it: `npm pack` (of the dist/ the test runner built; `prepare` builds it for users), the tarball
// installed globally into a throwaway prefix, and the installed bin run from there.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeFixture, root } from './helpers/fixture.js';

const work = mkdtempSync(join(tmpdir(), 'bwdc-runner-npm-'));
const prefix = join(work, 'prefix');
let tarball: string;
let packed: string[];

before(
  () => {
    const out = // --ignore-scripts: `prepare` would rebuild dist/ (removing it first) under the other test files running the
      // CLI at the same time; the test runner has just built it, and `npm ci` runs `prepare` in CI anyway.
      execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], {
        cwd: root,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
      });
    const info = JSON.parse(out.slice(out.indexOf('[')))[0];
    tarball = join(work, info.filename);
    packed = info.files.map((f: { path: string }) => f.path);
    execFileSync('npm', ['install', '--global', '--prefix', prefix, '--no-audit', '--no-fund', tarball], {
      cwd: work,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  },
  { timeout: 10 * 60_000 },
);
after(() => rmSync(work, { recursive: true, force: true }));

test('the tarball ships the bin, the compiled runner and the config schema, and no sources or tests', () => {
  assert.ok(packed.includes('bin/bwdc-runner.js'));
  assert.ok(packed.includes('dist/main.js'), 'dist/ is built and packed');
  assert.ok(packed.includes('dist/THIRD-PARTY-LICENSES.txt'), 'the licences of the bundled packages travel with it');
  assert.ok(packed.includes('config.schema.json'));
  assert.ok(packed.includes('package.json'));
  assert.deepEqual(
    packed.filter((p) => /^(src|test|helm|k8s|bench|scripts)\//.test(p)),
    [],
  );
});

test('the installed bwdc-runner answers --version and check', async () => {
  const bin = join(prefix, 'bin', 'bwdc-runner');
  const fx = makeFixture();
  const version = spawnSync(bin, ['--version'], { env: fx.env(), encoding: 'utf8', cwd: work });
  assert.equal(version.status, 0, version.stderr);
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  assert.match(version.stdout, new RegExp(`^bwdc-runner ${pkg.version.replace(/\./g, '\\.')}\\nbwdc \\d+\\.\\d+`));
  // Not spawnSync: check asks this process's Bitwarden test server for a token.
  const check = await new Promise<{ status: number | null; stdout: string; stderr: string }>((done) =>
    execFile(bin, ['check'], { env: fx.env(), encoding: 'utf8', cwd: work }, (err, stdout, stderr) =>
      done({ status: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    ),
  );
  assert.equal(check.status, 0, check.stdout + check.stderr);
  assert.match(check.stdout, /instance one/);
  assert.match(check.stdout, /\nok\n$/);
});
