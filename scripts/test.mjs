// `npm test`: compile (the CLI tests run the built JavaScript, as users do), then every
// test/**/*.test.ts under Node's own test runner through tsx. Node 20's --test takes no globs,
// so the files are listed here. The per-test timeout is generous because the image test builds an
// image (minutes on a loaded 2-core machine); a hung test still ends well within CI's 90 minutes.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const build = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

function find(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return name === 'node_modules' ? [] : find(p);
    return name.endsWith('.test.ts') ? [relative(root, p)] : [];
  });
}
// No test may leave a file in bwdc-bundle/: an image built from it afterwards would take that file for
// the real bwdc (tests build from a throwaway context: test/helpers/podman.ts).
const bundle = join(root, 'bwdc-bundle');
const bundleFiles = () => (existsSync(bundle) ? readdirSync(bundle).sort() : []);
const bundleBefore = bundleFiles();
const only = process.argv.slice(2);
const files = only.length ? only : find(join(root, 'test')).sort();
// The real-bwdc tier (test/helpers/real-bwdc.ts) needs these zips: without them, one loud line for the whole
// run here (the test files then skip silently; run alone, each says it itself). In CI they fail instead.
const missingZips = ['BWDC_RELEASE_ZIP', 'BWDC_NEXT_ZIP'].filter((v) => !process.env[v]);
if (missingZips.length && process.env.CI !== 'true') {
  console.warn(
    `!!! real-bwdc tier skipped: NOT TESTED with the real bwdc (${missingZips.join(', ')} not set: docs/image.md)`,
  );
  process.env.BWDC_TIER_NOTICE = 'printed';
}
const r = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-timeout=1200000', ...files],
  { cwd: root, stdio: 'inherit' },
);
const left = bundleFiles().filter((f) => !bundleBefore.includes(f));
if (left.length) {
  console.error(`FAIL: the tests left ${left.map((f) => `bwdc-bundle/${f}`).join(', ')}: no test may write there`);
  process.exit(1);
}
process.exit(r.status ?? 1);
