// Generates the plain manifests in k8s/base/ from the Helm chart and k8s/example-values.yaml, so the
// two never drift (test/k8s.test.ts fails when k8s/base/ differs from what this produces).
//   npm run k8s:generate
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments, stringify } from 'yaml';

const root = fileURLToPath(new URL('..', import.meta.url));
export const helmBin = join(root, '.cache', 'bin', 'helm');

type Obj = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [k: string]: unknown;
};

function relabel(labels: Record<string, string> | undefined): void {
  if (!labels) return;
  delete labels['helm.sh/chart'];
  if (labels['app.kubernetes.io/managed-by']) labels['app.kubernetes.io/managed-by'] = 'kustomize';
}

/**
 * Written so that YAML 1.1 readers (kubectl's and many tools' parsers) read the same values as YAML 1.2
 * ones: the 1.1 writer quotes every scalar 1.1 would take for something else (`off`, `yes`, `0755`...).
 */
const yamlBoth = { lineWidth: 0, version: '1.1' } as const;

/** The generated files: name -> content. */
export function renderK8s(): Map<string, string> {
  const out = execFileSync(
    helmBin,
    ['template', 'bwdc', join(root, 'helm', 'bwdc-runner'), '-f', join(root, 'k8s', 'example-values.yaml')],
    { encoding: 'utf8' },
  );
  const files = new Map<string, string>();
  const header =
    '# Generated from helm/bwdc-runner with k8s/example-values.yaml by scripts/generate-k8s.ts: do not edit.\n';
  for (const doc of parseAllDocuments(out)) {
    const obj = doc.toJS() as Obj | null;
    if (!obj) continue;
    if (obj.metadata.annotations?.['helm.sh/hook']) continue; // `helm test` pods have no place here
    const visit = (node: unknown) => {
      if (!node || typeof node !== 'object') return;
      for (const [k, v] of Object.entries(node)) {
        if (k === 'labels') relabel(v as Record<string, string>);
        else visit(v);
      }
    };
    visit(obj);
    files.set(`${obj.kind.toLowerCase()}-${obj.metadata.name}.yaml`, header + stringify(obj, yamlBoth));
  }
  const resources = [...files.keys()].sort();
  files.set(
    'kustomization.yaml',
    `${header}${stringify({ apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources }, yamlBoth)}`,
  );
  return files;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dir = join(root, 'k8s', 'base');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of renderK8s()) writeFileSync(join(dir, name), text);
  console.log(`wrote ${readdirSync(dir).length} files to k8s/base/`);
}
