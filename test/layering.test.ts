// docs/architecture.md's one-way chain, enforced by ESLint's import restrictions (eslint.config.js): the
// whole tree passes `npm run lint` in CI, and here the rule is shown to catch a slip (it is not vacuous).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ESLint } from 'eslint';
import { root } from './helpers/fixture.js';

// Only the layering rule, on text that is not a file of the project: no type information needed.
const eslint = new ESLint({
  cwd: root,
  overrideConfig: { languageOptions: { parserOptions: { projectService: false } } },
  ruleFilter: ({ ruleId }) => ruleId === 'no-restricted-imports',
});

async function violations(file: string, importPath: string): Promise<string[]> {
  const [r] = await eslint.lintText(`import * as m from '${importPath}';\nexport const x = m;\n`, {
    filePath: join(root, file),
  });
  return r!.messages.map((m) => m.message);
}

const slips: Array<[string, string]> = [
  ['src/config/probe.ts', '../runner/run-instance.js'],
  ['src/config/probe.ts', '../observability/logger.js'],
  ['src/config/probe.ts', '../secrets/resolver.js'],
  ['src/secrets/probe.ts', '../config/model.js'],
  ['src/scheduler/probe.ts', '../bwdc/client.js'],
  ['src/bwdc/probe.ts', '../secrets/resolver.js'],
  ['src/state/probe.ts', '../runner/result.js'],
  ['src/shared/probe.ts', '../observability/redact.js'],
  ['src/runner/probe.ts', '../cli/args.js'],
  ['src/gate/probe.ts', '../runner/run-instance.js'],
  ['src/gate/probe.ts', '../config/model.js'],
  ['src/gate/probe.ts', '../observability/logger.js'],
  ['src/plan/probe.ts', '../gate/gate.js'],
  ['src/scheduler/probe.ts', '../gate/gated-sync.js'],
];
for (const [file, imported] of slips) {
  test(`layering: ${file.split('/')[1]} importing ${imported} fails lint`, async () => {
    const found = await violations(file, imported);
    assert.equal(found.length, 1, `${file} -> ${imported}`);
    assert.match(found[0]!, /must not import src\//);
  });
}

test('layering: the allowed directions pass (runner -> bwdc, config -> shared, scheduler -> runner, cli -> anything)', async () => {
  assert.deepEqual(await violations('src/runner/probe.ts', '../bwdc/client.js'), []);
  assert.deepEqual(await violations('src/config/probe.ts', '../shared/duration.js'), []);
  assert.deepEqual(await violations('src/scheduler/probe.ts', '../runner/result.js'), []);
  assert.deepEqual(await violations('src/cli/probe.ts', '../scheduler/scheduler.js'), []);
  assert.deepEqual(await violations('src/runner/probe.ts', '../gate/gated-sync.js'), []);
  assert.deepEqual(await violations('src/gate/probe.ts', '../plan/compute.js'), []);
});
