// No line in src/ is over 160 characters (issue 29): Prettier wraps code at 120 but leaves strings and
// comments as written, so a long message or description is split by hand into concatenated parts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { root } from './helpers/fixture.js';

const limit = 160;

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? sources(p) : [p];
  });
}

test(`no line in src/ is over ${limit} characters`, () => {
  const files = sources(join(root, 'src'));
  assert.ok(
    files.some((f) => f.endsWith('cli/main.ts')),
    'the scan sees src/',
  );
  const long = files.flatMap((f) =>
    readFileSync(f, 'utf8')
      .split('\n')
      .flatMap((line, i) => (line.length > limit ? [`${relative(root, f)}:${i + 1} (${line.length})`] : [])),
  );
  assert.deepEqual(long, [], 'wrap these lines (a long string as concatenated parts)');
});
