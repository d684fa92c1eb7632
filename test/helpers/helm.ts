// The real helm binary (scripts/ci/install-helm.sh) and the chart: `helm template` as parsed objects.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { root } from './fixture.js';

export const helm = join(root, '.cache', 'bin', 'helm');
export const chart = join(root, 'helm', 'bwdc-runner');
export const ciDir = join(chart, 'ci');

export function ensureHelm(): void {
  if (!existsSync(helm)) execFileSync('bash', [join(root, 'scripts', 'ci', 'install-helm.sh')], { stdio: 'inherit' });
}

export type Obj = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: any;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
};

/** `helm template <release> <chart> [-f ci/<valuesFile>] ...extra`, parsed. */
export function render(valuesFile?: string, extra: string[] = [], release = 'rel'): Obj[] {
  const args = ['template', release, chart, ...(valuesFile ? ['-f', join(ciDir, valuesFile)] : []), ...extra];
  const out = execFileSync(helm, args, { encoding: 'utf8' });
  return parseAllDocuments(out)
    .map((d) => d.toJS() as Obj)
    .filter(Boolean);
}

export const byKind = (objs: Obj[], kind: string): Obj[] => objs.filter((o) => o.kind === kind);

/**
 * A scheduler-mode release's configuration as its pods read it, laid out in `dir`: config.yaml, and the
 * files of every `-instances-<k>` ConfigMap in one folder (the pod's projected volume). Returns config.yaml.
 */
export function schedulerConfigFiles(objs: Obj[], dir: string): string {
  const maps = byKind(objs, 'ConfigMap');
  const instancesDir = join(dir, 'instances');
  mkdirSync(instancesDir, { recursive: true });
  for (const m of maps.filter((c) => /-instances-\d+$/.test(c.metadata.name)))
    for (const [file, text] of Object.entries(m.data ?? {})) writeFileSync(join(instancesDir, file), text);
  const config = maps.find((c) => c.metadata.name.endsWith('-config'))!.data!['config.yaml']!;
  const path = join(dir, 'config.yaml');
  writeFileSync(path, config.replace('/etc/bwdc-runner-instances', instancesDir));
  return path;
}
