// The documentation stays true: the generated reference pages match the schema, every variable the
// runner reads is documented, the README stays a front door, links resolve, and every `bwdc-runner`
// command written in the README or docs/ parses (with its help), so no page shows a command that fails.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { generated } from '../scripts/generate-docs.js';
import { parseCli } from '../src/cli/args.js';
import { commandHelp } from '../src/cli/help.js';
import { root, runCli } from './helpers/fixture.js';

const pages = [
  'README.md',
  ...readdirSync(join(root, 'docs'), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.md'))
    .map((f) => join('docs', f)),
];
const text = (page: string) => readFileSync(join(root, page), 'utf8');

test('the generated reference pages are what the generator writes (run `npm run docs`)', () => {
  for (const [path, render] of Object.entries(generated)) assert.equal(text(path), render(), path);
});

test('every variable the runner reads is documented in README.md or docs/', () => {
  const files = readdirSync(join(root, 'src'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
  const source = files.map((f) => readFileSync(join(root, 'src', f), 'utf8')).join('\n');
  // bwdc's own variables (set by the runner for bwdc), a constant and the variable that carries the
  // directory secret to `bwdc config --secretenv`: none of them is a setting of the runner.
  const notSettings = new Set([
    'BW_NOINTERACTION',
    'BW_RESPONSE',
    'BW_SESSION',
    'BW_PASSWORD',
    'BWDC_LOCK_STALE_MS',
    'BWDC_RUNNER_DIRECTORY_SECRET',
    'BWDC_NOTIFY_', // the prefix of BWDC_NOTIFY_URL, _FORMAT, _ON, _AFTER in a message
  ]);
  const names = new Set(source.match(/\b(?:BWDC|BW|BWS|PUSHGATEWAY|VAULT)_[A-Z0-9_]+\b/g));
  const docs = pages.map(text).join('\n');
  const missing = [...names].filter((n) => !notSettings.has(n) && !new RegExp(`\\b${n}\\b`).test(docs));
  assert.deepEqual(missing, [], 'document these in docs/ (scripts/docs/variables.ts for the generated table)');
  assert.ok(names.size > 40, 'the scan found the variables');
});

test('the README is a front door: at most 300 lines, both set-up commands, the cron-script page linked', () => {
  const readme = text('README.md');
  assert.ok(readme.split('\n').length <= 300, `${readme.split('\n').length} lines`);
  assert.match(readme, /^npm ci && npm run demo/m);
  assert.match(readme, /^\.ci\/run/m);
  assert.match(readme, /\(docs\/from-cron-script\.md\)/);
  assert.match(readme, /about 60 Debian packages/);
});

test('every relative link in README.md and docs/ points at a file that exists', () => {
  const broken: string[] = [];
  for (const page of pages)
    for (const [, target] of text(page).matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
      if (/^[a-z]+:/.test(target!)) continue;
      if (!existsSync(join(root, dirname(page), target!))) broken.push(`${page}: ${target}`);
    }
  assert.deepEqual(broken, []);
});

/** The places a command can be written: code-block lines (comments cut) and inline code spans. */
function codeIn(markdown: string): string[] {
  const out: string[] = [];
  let inBlock = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) inBlock = !inBlock;
    else if (inBlock) out.push(line.replace(/(^|\s)#.*$/, ''));
    else for (const [, span] of line.matchAll(/`([^`]+)`/g)) out.push(span!);
  }
  return out;
}

/** `bwdc-runner ...` as written in a page, as argv (placeholders such as NAME made concrete). */
function commandsIn(markdown: string): string[][] {
  const found: string[][] = [];
  // `vault policy write bwdc-runner ...` names a Vault policy, not this program.
  for (const code of codeIn(markdown).filter((c) => !/^\s*vault /.test(c)))
    for (const [, rest] of code.matchAll(/(?:^|[\s(]|\/bin\/)bwdc-runner ([a-z-][^|;&>]*)/g)) {
      const argv = rest!
        .replace(/\\\s*$/, '')
        .replace(/\[|\]|\.\.\./g, ' ')
        .split(/\s+/)
        .filter(Boolean)
        .map((a) => a.replace(/^["']|["']$/g, ''))
        .map((a) => ({ N: '250', NAME: 'corp-ad', PATH: 'data.json', FILE: 'config.yaml' })[a] ?? a);
      if (argv.some((a) => a.startsWith('<'))) continue;
      found.push(argv);
    }
  return found;
}

test('every bwdc-runner command in README.md and docs/ parses, and its command has help', () => {
  let count = 0;
  for (const page of pages)
    for (const argv of commandsIn(text(page))) {
      count++;
      let options;
      try {
        options = parseCli(argv);
      } catch (err) {
        assert.fail(`${page}: bwdc-runner ${argv.join(' ')}: ${(err as Error).message}`);
      }
      const topic = options.command === 'config' && options.action ? `config ${options.action}` : options.command;
      if (topic && topic !== 'help') assert.match(commandHelp(topic as never), /^Usage: bwdc-runner /);
    }
  assert.ok(count > 30, `found ${count} commands`);
});

test("<command> --help prints that command's help and exits 0; an unknown option names the valid ones", async () => {
  const env = { PATH: process.env.PATH! };
  for (const command of [
    'run',
    'check',
    'config import',
    'schedule',
    'plan',
    'test',
    'config',
    'config render',
    'version',
  ]) {
    const r = await runCli([...command.split(' '), '--help'], env);
    assert.equal(r.code, 0, `${command}: ${r.stderr}`);
    assert.match(r.stdout, new RegExp(`^Usage: bwdc-runner ${command}`), command);
    assert.match(r.stdout, /Example:\n {2}\S/, command);
  }
  const check = await runCli(['check', '--help'], env);
  for (const option of ['--json', '--offline', '--notify-test', '--instance'])
    assert.ok(check.stdout.includes(option), option);
  const bad = await runCli(['run', '--json'], env);
  assert.equal(bad.code, 2);
  assert.match(
    bad.stderr,
    /run: unknown option "--json"; its options: -c, --config PATH, -i, --instance NAME, --allow-removals N/,
  );
  // An option without its value: the option and what it takes, in this project's words.
  for (const [argv, form] of [
    [['check', '-c'], '-c, --config PATH'],
    [['check', '--instance'], '-i, --instance NAME'],
    [['run', '--allow-removals', '-1'], '--allow-removals N'],
  ] as const) {
    const r = await runCli([...argv], env);
    assert.equal(r.code, 2, r.stderr);
    assert.ok(r.stderr.startsWith(`bwdc-runner: ${argv[0]}: ${form} needs a value`), r.stderr);
    assert.doesNotMatch(r.stderr, /argument missing|ambiguous|<value>/);
  }
  // help of a topic that is a built-in property of objects: an unknown command, not a crash.
  const proto = await runCli(['help', 'constructor'], env);
  assert.equal(proto.code, 2, proto.stderr);
  assert.match(proto.stderr, /unknown command "constructor"/);
});
