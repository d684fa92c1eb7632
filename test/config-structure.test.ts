// Configuration loading stays in small stages (docs/configuration.md "How the configuration is read"):
// no function in src/config/ over 80 lines, so the next setting does not grow one function back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { root } from './helpers/fixture.js';

test('no function in src/config/ is longer than 80 lines', () => {
  const dir = join(root, 'src', 'config');
  const long: string[] = [];
  let functions = 0;
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
    const src = ts.createSourceFile(file, readFileSync(join(dir, file), 'utf8'), ts.ScriptTarget.Latest, true);
    const visit = (node: ts.Node): void => {
      if (ts.isFunctionLike(node) && 'body' in node && node.body) {
        functions++;
        const first = src.getLineAndCharacterOfPosition(node.getStart()).line;
        const last = src.getLineAndCharacterOfPosition(node.end).line;
        if (last - first + 1 > 80) long.push(`${file}:${first + 1} (${last - first + 1} lines)`);
      }
      ts.forEachChild(node, visit);
    };
    visit(src);
  }
  assert.deepEqual(long, []);
  assert.ok(functions > 50, `found ${functions} functions`);
});
