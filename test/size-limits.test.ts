// The size limits live in ESLint (docs/development.md "Size limits"), not in tests that re-implement a
// linter: `npm run lint` fails on the next over-long file, function or line. Here the rules are shown to be
// configured for src/ and to catch an over-long file (they are not vacuous).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ESLint } from 'eslint';
import { root } from './helpers/fixture.js';

const sizeRules = ['max-lines', 'max-lines-per-function', 'max-len'];

// Only the size rules, on text that is not a file of the project: no type information needed.
const eslint = new ESLint({
  cwd: root,
  overrideConfig: { languageOptions: { parserOptions: { projectService: false } } },
  ruleFilter: ({ ruleId }) => sizeRules.includes(ruleId),
});

async function findings(file: string, text: string): Promise<string[]> {
  const [r] = await eslint.lintText(text, { filePath: join(root, file) });
  return r!.messages.map((m) => `${m.ruleId}: ${m.message}`);
}

test('eslint.config.js carries the size rules for src/ (300 lines a file, 100 a function, 160 a line)', async () => {
  const config = (await eslint.calculateConfigForFile(join(root, 'src/runner/probe.ts'))) as {
    rules: Record<string, [number, { max?: number; code?: number }]>;
  };
  assert.equal(config.rules['max-lines']?.[0], 2);
  assert.equal(config.rules['max-lines']?.[1].max, 300);
  assert.equal(config.rules['max-lines-per-function']?.[0], 2);
  assert.equal(config.rules['max-lines-per-function']?.[1].max, 100);
  assert.equal(config.rules['max-len']?.[0], 2);
  assert.equal(config.rules['max-len']?.[1].code, 160);
  const inConfig = (await eslint.calculateConfigForFile(join(root, 'src/config/probe.ts'))) as typeof config;
  assert.equal(inConfig.rules['max-lines-per-function']?.[1].max, 80, 'src/config keeps its 80-line functions');
});

test('a file over 300 lines fails lint', async () => {
  const text = Array.from({ length: 301 }, (_, i) => `export const v${i} = ${i};`).join('\n') + '\n';
  const found = await findings('src/runner/probe.ts', text);
  assert.equal(found.length, 1, found.join('\n'));
  assert.match(found[0]!, /^max-lines: File has too many lines \(301\)/);
  assert.deepEqual(await findings('src/runner/probe.ts', text.split('\n').slice(1).join('\n')), [], '300 pass');
});

test('a function over 100 lines of code fails lint; comments and blank lines do not count', async () => {
  const body = (n: number) => Array.from({ length: n }, (_, i) => `  const v${i} = ${i};`).join('\n');
  const fn = (n: number) => `export function f(): number {\n${body(n)}\n  return 0;\n}\n`;
  const found = await findings('src/runner/probe.ts', fn(98));
  assert.match(found.join('\n'), /^max-lines-per-function: Function 'f' has too many lines \(101\)/);
  assert.deepEqual(await findings('src/runner/probe.ts', fn(97)), []);
  const commented = `export function f(): number {\n${body(97)}\n${'  // why\n\n'.repeat(20)}  return 0;\n}\n`;
  assert.deepEqual(await findings('src/runner/probe.ts', commented), []);
});

test('a line over 160 characters fails lint', async () => {
  const found = await findings('src/runner/probe.ts', `export const s = '${'x'.repeat(150)}';\n`);
  assert.equal(found.length, 1);
  assert.match(found[0]!, /^max-len:/);
});

test('the limits apply to src/ only (tests and scripts may be long)', async () => {
  const text = Array.from({ length: 301 }, (_, i) => `export const v${i} = ${i};`).join('\n') + '\n';
  assert.deepEqual(await findings('test/probe.test.ts', text), []);
});
