// Every kubectl and helm command in the documentation (README.md, docs/**/*.md, the chart's and k8s/'s
// READMEs) names what the documented install renders: `--from=cronjob/NAME` a CronJob it has, `helm
// test RELEASE` a release it installs, and a Secret the docs create holds every key the install's pods
// read from it. The documented install of a file is its own `helm install` (with the file's values
// blocks) or `kubectl apply -k k8s/`; a file with none is held to every other file's installs.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { root } from './helpers/fixture.js';
import { ensureHelm, render, type Obj } from './helpers/helm.js';
import { podSpecs, references } from './helpers/k8s-refs.js';

before(ensureHelm);

function markdownFiles(): string[] {
  const files = ['README.md', 'helm/bwdc-runner/README.md', 'k8s/README.md'].map((f) => join(root, f));
  const walk = (dir: string): void => {
    if (!existsSync(dir)) return;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(dir, e.name));
      else if (e.name.endsWith('.md')) files.push(join(dir, e.name));
    }
  };
  walk(join(root, 'docs'));
  return files.filter((f) => existsSync(f));
}

/** The kubectl and helm commands of a markdown text: code block lines (continuations joined) and code spans. */
export function commandsOf(text: string): string[] {
  const out: string[] = [];
  const blocks = text.split(/^```/m);
  blocks.forEach((part, i) => {
    if (i % 2 === 1) {
      const joined = part.replace(/\\\n\s*/g, ' ');
      for (const line of joined.split('\n')) out.push(line.replace(/\s+#.*$/, '').trim());
    } else for (const m of part.matchAll(/`([^`\n]+)`/g)) out.push(m[1]!.trim());
  });
  // A pipeline is several commands.
  return out.flatMap((c) => c.split(/\s\|\s/)).filter((c) => /^(kubectl|helm) /.test(c));
}

/** The chart values blocks of a markdown text (```yaml with an `instances` map). */
function valuesBlocks(text: string): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  for (const m of text.matchAll(/^```ya?ml\n([\s\S]*?)^```/gm)) {
    try {
      const v = parseYaml(m[1]!) as Record<string, unknown> | null;
      if (v && typeof v.instances === 'object' && !Array.isArray(v.instances)) out.push(v);
    } catch {
      /* not YAML on its own */
    }
  }
  return out;
}

interface Install {
  what: string;
  release?: string;
  /** The namespace it installs into: helm's `-n`, or the kustomization's. */
  namespace?: string;
  objs: Obj[];
}

/** The namespace a command names with `-n` / `--namespace`. */
const namespaceOf = (c: string) => /(?:^|\s)(?:-n|--namespace)(?:\s+|=)(\S+)/.exec(c)?.[1];

function installsOf(file: string, text: string, commands: string[]): Install[] {
  const installs: Install[] = [];
  for (const c of commands) {
    const helm = /^helm (?:install|upgrade --install) (\S+) \.\/helm\/bwdc-runner/.exec(c);
    if (helm) {
      const dir = mkdtempSync(join(tmpdir(), 'bwdc-docs-'));
      const extra = valuesBlocks(text).flatMap((v, i) => {
        const path = join(dir, `values-${i}.yaml`);
        writeFileSync(path, JSON.stringify(v));
        return ['-f', path];
      });
      const sets = [...c.matchAll(/--set (secrets\.existingSecret=\S+)/g)].flatMap((m) => ['--set', m[1]!]);
      // Placeholders (organization.<uuid>) stand for a real id: the names do not depend on it.
      const id = ['--set', 'defaults.clientId=organization.3f0c1a52-7d4e-4b8a-9c61-2e5f8a7b9d10'];
      const objs = render(undefined, [...extra, ...sets, ...id], helm[1]);
      installs.push({ what: `${relative(root, file)}: ${c}`, release: helm[1], namespace: namespaceOf(c), objs });
    }
    if (/^kubectl (?:apply -k|kustomize) k8s\/?$/.test(c)) {
      const kubectl = join(root, '.cache', 'bin', 'kubectl');
      const out = execFileSync(kubectl, ['kustomize', join(root, 'k8s')], { encoding: 'utf8' });
      const objs = parseAllDocuments(out)
        .map((d) => d.toJS() as Obj)
        .filter(Boolean);
      installs.push({
        what: `${relative(root, file)}: ${c}`,
        namespace: (objs[0]?.metadata as { namespace?: string } | undefined)?.namespace,
        objs,
      });
    }
  }
  return installs;
}

const kinds: Record<string, string> = {
  cronjob: 'CronJob',
  cronjobs: 'CronJob',
  cj: 'CronJob',
  deployment: 'Deployment',
  deploy: 'Deployment',
  configmap: 'ConfigMap',
  cm: 'ConfigMap',
  service: 'Service',
  svc: 'Service',
  pod: 'Pod',
};

/** What a set of commands says about a set of installs: each problem found. */
export function problems(commands: string[], installs: Install[]): string[] {
  const found: string[] = [];
  const has = (kind: string, name: string) =>
    installs.some((i) => i.objs.some((o) => o.kind === kind && o.metadata.name === name));
  const releases = new Set(installs.map((i) => i.release).filter(Boolean));
  const namespaces = new Set(installs.map((i) => i.namespace).filter(Boolean));
  for (const c of commands) {
    const ns = namespaceOf(c);
    if (ns && namespaces.size && !namespaces.has(ns))
      found.push(`"${c}": namespace ${ns}, but the documented install is in ${[...namespaces].join(', ')}`);
    for (const m of c.matchAll(/(?:^|[\s=])([a-z]+)\/([a-z0-9][-a-z0-9.]*)/g)) {
      const kind = kinds[m[1]!];
      if (kind && !has(kind, m[2]!))
        found.push(`"${c}": no ${kind} ${m[2]} in ${installs.map((i) => i.what).join('; ')}`);
    }
    const rel = /^helm (?:test|status|uninstall|upgrade|rollback) (\S+)/.exec(c);
    if (rel && !/^helm upgrade --install/.test(c) && !releases.has(rel[1]))
      found.push(`"${c}": no documented \`helm install ${rel[1]}\``);
    const secret = /^kubectl .*create secret generic (\S+)/.exec(c);
    if (secret) {
      const created = new Set([...c.matchAll(/--from-(?:file|literal)=([-._a-zA-Z0-9]+)=/g)].map((m) => m[1]!));
      // Of the installs that read this Secret, one must find every key it reads here.
      const reads = installs
        .map((i) =>
          podSpecs(i.objs).flatMap((p) =>
            references(p.spec).filter((r) => r.kind === 'Secret' && r.name === secret[1]),
          ),
        )
        .filter((r) => r.length);
      if (!reads.length) found.push(`"${c}": no pod of the documented install reads Secret ${secret[1]}`);
      const missing = reads.map((r) => [...new Set(r.map((x) => x.key ?? ''))].filter((k) => k && !created.has(k)));
      if (reads.length && missing.every((m) => m.length))
        found.push(
          `"${c}": the install reads key(s) ${missing[0]!.join(', ')} of ${secret[1]}, which this does not create`,
        );
    }
  }
  return found;
}

test('every kubectl and helm command in the documentation names what the documented install renders', () => {
  const files = markdownFiles().map((f) => {
    const text = readFileSync(f, 'utf8');
    const commands = commandsOf(text);
    return { f, commands, installs: installsOf(f, text, commands) };
  });
  const everyInstall = files.flatMap((x) => x.installs);
  assert.ok(everyInstall.length >= 2, 'the README documents a helm install and k8s/ a kustomize one');
  let checked = 0;
  for (const { f, commands, installs } of files) {
    checked += commands.length;
    assert.deepEqual(problems(commands, installs.length ? installs : everyInstall), [], relative(root, f));
  }
  assert.ok(checked >= 10, `${checked} commands checked`);
});

test('the check is not vacuous: the one-off Job the README used to show names no CronJob of `helm install bwdc`', () => {
  const text = readFileSync(join(root, 'helm', 'bwdc-runner', 'README.md'), 'utf8');
  const installs = installsOf('chart README', text, commandsOf(text));
  assert.deepEqual(
    problems(['kubectl create job corp-ad-once --from=cronjob/bwdc-corp-ad --dry-run=client -o yaml'], installs),
    [
      `"kubectl create job corp-ad-once --from=cronjob/bwdc-corp-ad --dry-run=client -o yaml": no CronJob bwdc-corp-ad in ${installs[0]!.what}`,
    ],
  );
  assert.deepEqual(
    problems(['kubectl -n bwdc create job --from=cronjob/bwdc-bwdc-runner-instance-1 now'], installs),
    [],
  );
  assert.equal(problems(['helm test other -n bwdc'], installs).length, 1);
  assert.deepEqual(problems(['kubectl -n other create job --from=cronjob/bwdc-bwdc-runner-instance-1 now'], installs), [
    `"kubectl -n other create job --from=cronjob/bwdc-bwdc-runner-instance-1 now": namespace other, but the documented install is in bwdc`,
  ]);
  assert.equal(
    problems(['kubectl -n bwdc create secret generic bwdc-credentials --from-file=client-secret=./x'], installs).length,
    1,
    'instance-1-ldap is read but not created',
  );
});
