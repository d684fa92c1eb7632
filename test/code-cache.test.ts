// The bundle's code cache (bin/code-cache.js, docs/image.md "Compile cache"): made with the flags of bin's
// shebang (the image's ENTRYPOINT has the same), V8 takes it at the next start; under other flags it is refused
// and the runner still runs, compiling as without one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { root } from './helpers/fixture.js';

const bin = join(root, 'bin', 'bwdc-runner.js');
const cacheJs = join(root, 'bin', 'code-cache.js');
// The V8 flags of bin's shebang (after `node`): the ones a start runs with.
const flags = readFileSync(bin, 'utf8')
  .split('\n')[0]!
  .split(/\s+/)
  .filter((a) => a.startsWith('--'));
const probe = (dir: string, extra: string[] = []) =>
  execFileSync(
    process.execPath,
    [
      ...flags,
      ...extra,
      '-e',
      `process.stdout.write(require(${JSON.stringify(cacheJs)}).compile(process.argv[1]).cache)`,
      dir,
    ],
    { encoding: 'utf8' },
  );

test('the code cache made at build is taken by a start with the same flags, refused under others; the runner runs either way', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bwdc-code-cache-'));
  try {
    assert.equal(probe(dir), 'none', 'no cache yet');
    execFileSync(process.execPath, [...flags, cacheJs, dir]);
    // Named after the bundle it was made from (V8 checks the source's length only): a rebuilt bundle finds none.
    const hash = createHash('sha256')
      .update(readFileSync(join(root, 'dist', 'main.js')))
      .digest('hex')
      .slice(0, 32);
    // Every function of the bundle, not only its top-level code: more than the bundle's own size.
    assert.ok(statSync(join(dir, `bwdc-runner-main.${hash}.v8cache`)).size > 1_000_000);
    assert.equal(probe(dir), 'used');
    assert.equal(probe(dir, ['--max-opt=2']), 'refused', 'made under other flags');
    for (const extra of [[], ['--max-opt=2']]) {
      const r = spawnSync(process.execPath, [...flags, ...extra, bin, '--version'], {
        env: { ...process.env, NODE_COMPILE_CACHE: dir },
        encoding: 'utf8',
      });
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /^bwdc-runner \d+\.\d+\.\d+/);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
