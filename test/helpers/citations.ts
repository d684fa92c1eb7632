// What test/docs-citations.test.ts checks in every tracked text file: each document a file names must be
// in the repository (docs/architecture.md "Citations"). The rules, precisely:
//   1. A Markdown file named by a bare name or a relative path (`bench/README.md`, `../../README.md`) exists,
//      relative to the naming file's folder or to the repository root, and inside the repository.
//      Not checked: a name inside a URL or an upstream citation written `owner/repo@ref:path` (the
//      character before the name is `/`, `:` or `@`).
//   2. A `docs/...` path of any other kind (a folder, a file) exists.
//   3. A section cited after a Markdown file (`docs/design.md "Safe syncs"`, also `("...")` or `, "..."`,
//      across a comment's line break) is a heading of that file (backticks and a heading's number ignored).
//   4. The folder beside the repository (`../shared/`, or its absolute path) is never named, except the
//      real bwdc zips CI is given (`../shared/bwdc`, `../shared/bwdc/<name>.zip`): paths to test data
//      that .ci/run passes in BWDC_RELEASE_ZIP / BWDC_NEXT_ZIP, and docs may show, not citations. Its
//      documents (any other file there) never. A `../shared/x.js` import of src/shared is inside the
//      repository and not matched.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';

export interface Problem {
  file: string;
  line: number;
  why: string;
}

const markdownRef = /(?<![\w./@:-])((?:\.\.?\/)*(?:[\w.-]+\/)*[\w-][\w.-]*\.md)(?![\w/-]|\.\w)/g;
const docsRef = /(?<![\w./@:-])(docs\/[\w./-]*[\w-])(?![\w-]|\/\w|\.\w)(?<!\.md)/g;
const sectionRef = /(?<![\w./@:-])((?:[\w.-]+\/)*[\w-][\w.-]*\.md)`?(?:,? \(?| \(?)"([^"\n]{1,100})"/g;
const sharedRef = /(?:\.\.\/)+shared\/(?:bwdc\b[\w./-]*|[\w-]+\.md)|\/work\/shared\b[\w./-]*/g;
const fixturePath = /^(?:\.\.\/)+shared\/bwdc(?:\/[\w.-]+\.zip)?\/?$/;

/** The headings of a Markdown file, backticks removed, each also without its number ("3. The x"). */
export function headingsOf(markdown: string): Set<string> {
  const found = new Set<string>();
  for (const m of markdown.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const heading = m[1]!.replaceAll('`', '');
    found.add(heading).add(heading.replace(/^\d+[a-z]?\.\s+/, ''));
  }
  return found;
}

/** The repository-relative path a reference from `file` points at, or undefined when none exists. */
function resolveRef(root: string, file: string, ref: string): { path?: string; outside: boolean } {
  const fromFile = normalize(join(dirname(file), ref));
  const candidates = /^\.\.?\//.test(ref) ? [fromFile] : [fromFile, normalize(ref)];
  const inside = candidates.filter((c) => !c.startsWith('..'));
  return { path: inside.find((c) => existsSync(join(root, c))), outside: inside.length === 0 };
}

function lineAt(text: string, index: number): number {
  return text.slice(0, index).split('\n').length;
}

/**
 * Comment prefixes of continued lines removed, so a section quoted across a line break reads whole; with
 * the line of the original text that a position in the joined text is on.
 */
function joinedLines(text: string): { joined: string; lineOf: (index: number) => number } {
  const breaks: number[] = [];
  let shrunk = 0;
  const joined = text.replace(/\n[ \t]*(?:\/\/|#|\*(?!\/))?[ \t]*/g, (found: string, offset: number) => {
    breaks.push(offset - shrunk);
    shrunk += found.length - 1;
    return ' ';
  });
  return { joined, lineOf: (index) => 1 + breaks.filter((b) => b < index).length };
}

export function citationProblems(root: string, file: string, text: string): Problem[] {
  const problems: Problem[] = [];
  const add = (index: number, why: string) => problems.push({ file, line: lineAt(text, index), why });

  for (const m of text.matchAll(markdownRef)) {
    const r = resolveRef(root, file, m[1]!);
    if (r.outside) add(m.index, `${m[1]} is outside the repository`);
    else if (!r.path) add(m.index, `${m[1]} is not in the repository`);
  }
  for (const m of text.matchAll(docsRef)) {
    if (!existsSync(join(root, m[1]!.replace(/[.]+$/, '')))) add(m.index, `${m[1]} is not in the repository`);
  }
  const { joined, lineOf } = joinedLines(text);
  for (const m of joined.matchAll(sectionRef)) {
    const r = resolveRef(root, file, m[1]!);
    if (!r.path) continue; // rule 1 reports it
    const section = m[2]!.replaceAll('`', '');
    if (!headingsOf(readFileSync(join(root, r.path), 'utf8')).has(section))
      problems.push({ file, line: lineOf(m.index), why: `${r.path} has no section "${section}"` });
  }
  for (const m of text.matchAll(sharedRef)) {
    if (!fixturePath.test(m[0])) add(m.index, `${m[0]} names the folder outside the repository`);
  }
  return problems;
}
