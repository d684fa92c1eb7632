// No file of the repository names a document that is not in it (issue 29): every Markdown file, docs/
// path and section a tracked file cites exists, and nothing points at the folder beside the repository.
// The rules: test/helpers/citations.ts; where they are documented: docs/architecture.md "Citations".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { root } from './helpers/fixture.js';
import { citationProblems, headingsOf } from './helpers/citations.js';

function trackedTextFiles(): string[] {
  const files = execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8' }).split('\0');
  return files.filter((f) => {
    if (!f || f === 'package-lock.json') return false;
    const st = statSync(join(root, f), { throwIfNoEntry: false });
    return st?.isFile() === true && st.size < 2_000_000 && !readFileSync(join(root, f)).includes(0);
  });
}

test('every document, docs/ path and section that a tracked file names is in the repository', () => {
  const files = trackedTextFiles();
  assert.ok(files.includes('src/cli/main.ts') && files.includes('docs/architecture.md'), 'the scan sees the tree');
  const problems = files.flatMap((f) => citationProblems(root, f, readFileSync(join(root, f), 'utf8')));
  assert.deepEqual(
    problems.map((p) => `${p.file}:${p.line}: ${p.why}`),
    [],
  );
});

// The rule on text that is not a file of the project, so each branch is shown to catch what it should.
// Names are assembled at run time: written out, this file's own examples would be citations too.
const md = (name: string) => `${name}.md`;
const docs = (path: string) => ['docs', path].join('/');
const beside = ['..', 'shared', 'bwdc'].join('/');
const check = (file: string, text: string) => citationProblems(root, file, text).map((p) => p.why);

test('a document missing from the repository is reported, with where it is cited', () => {
  const [p] = citationProblems(root, 'src/x.ts', `// ok\n// as ${md('bwdc-contract')} says\n`);
  assert.deepEqual(p, { file: 'src/x.ts', line: 2, why: `${md('bwdc-contract')} is not in the repository` });
  assert.deepEqual(check('src/x.ts', `(see ${md(docs('nowhere'))})`), [
    `${md(docs('nowhere'))} is not in the repository`,
  ]);
  assert.deepEqual(check('src/x.ts', `see ${docs('nowhere')}/`), [`${docs('nowhere')} is not in the repository`]);
});

test('names resolve from the citing folder or the root; upstream citations and URLs are not checked', () => {
  assert.deepEqual(check('k8s/kustomization.yaml', `see ${md('README')} and ${md('k8s/README')}`), []);
  assert.deepEqual(check('docs/upstream/bwdc.md', `[up](${md('../architecture')})`), []);
  assert.deepEqual(check('src/x.ts', `// https://github.com/bitwarden/server/blob/main/${md('README')}`), []);
  assert.deepEqual(check('src/x.ts', `// bitwarden/directory-connector@v2026.6.1:${md('CONTRIBUTING')}`), []);
  assert.deepEqual(check('src/x.ts', '// bitwarden/server src/Core/X.cs'), []);
  assert.deepEqual(check('helm/bwdc-runner/.helmignore', '*.md.tmpl'), []);
});

test('a path that climbs out of the repository is reported even when the file exists there', () => {
  assert.deepEqual(check('README.md', `see ${md('../../shared/DESIGN')}`), [
    `${md('../../shared/DESIGN')} is outside the repository`,
    `${md('../../shared/DESIGN')} names the folder outside the repository`,
  ]);
});

test('a cited section must be a heading of the cited page, also across a comment line break', () => {
  assert.deepEqual(check('src/x.ts', `// (docs/design.md "Safe syncs")`), []);
  const quoted = (section: string) => ['"', '"'].join(section);
  assert.deepEqual(check('src/x.ts', `// docs/upstream/bwdc.md ${quoted('What `config`\n// rewrites')}`), []);
  const [p] = citationProblems(root, 'src/x.ts', `// one\n// two (\`docs/design.md\`, ${quoted('No such part')})`);
  assert.deepEqual(p, { file: 'src/x.ts', line: 2, why: `docs/design.md has no section ${quoted('No such part')}` });
  assert.ok(headingsOf(readFileSync(join(root, 'docs/upstream/bwdc.md'), 'utf8')).has('What config rewrites'));
});

test('the folder beside the repository: only as the path of the bwdc zips CI is given, never its documents', () => {
  const zip = `${beside}/bwdc-linux-2026.6.1.zip`;
  assert.deepEqual(check('.ci/run', `export BWDC_RELEASE_ZIP=${zip}`), []);
  assert.deepEqual(check(md(docs('image')), `| \`BWDC_RELEASE_ZIP\` | ${zip} | (or ${beside}/ here)`), []);
  assert.deepEqual(check('src/bwdc/locate.ts', `// see ${beside}/dc_native_stub.c`), [
    `${beside}/dc_native_stub.c names the folder outside the repository`,
  ]);
  assert.deepEqual(check('.ci/run', `cat ${beside}/README`), [
    `${beside}/README names the folder outside the repository`,
  ]);
  const absolute = ['', 'work', 'shared', 'bwdc'].join('/');
  assert.deepEqual(check('.ci/run', `ls ${absolute}`), [`${absolute} names the folder outside the repository`]);
  assert.deepEqual(check('src/config/load.ts', "import { parseDuration } from '../shared/duration.js';"), []);
});
