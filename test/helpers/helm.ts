// The real helm binary (scripts/ci/install-helm.sh) and the chart: `helm template` as parsed objects.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
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

/**
 * The configuration one pod reads, laid out in `dir` as its volumes mount it: config.yaml from its
 * `config` volume, and its `instances` volume (a projection of ConfigMaps, whole or by item) as a folder.
 * ConfigMaps outside the release come from `external` (name -> data). Returns config.yaml's path, its
 * instancesDir pointed at the folder; the pod's state folder stays where BWDC_STATE_DIR says.
 */
export function podConfigFiles(
  objs: Obj[],
  pod: { volumes: Array<{ name: string; configMap?: any; projected?: any }> },
  dir: string,
  external: Record<string, Record<string, string>> | ((name: string) => Record<string, string>) = {},
): string {
  const data = (name: string): Record<string, string> | undefined => {
    const map =
      byKind(objs, 'ConfigMap').find((c) => c.metadata.name === name)?.data ??
      (typeof external === 'function' ? external(name) : external[name]);
    if (!map) throw new Error(`ConfigMap ${name} is neither in the release nor given`);
    return map;
  };
  const project = (source: { name: string; items?: Array<{ key: string; path: string }> }, into: string) => {
    mkdirSync(into, { recursive: true });
    const map = data(source.name)!;
    const items = source.items ?? Object.keys(map).map((key) => ({ key, path: key }));
    for (const { key, path } of items) {
      if (map[key] === undefined) throw new Error(`ConfigMap ${source.name} has no key ${key}`);
      writeFileSync(join(into, path), map[key]);
    }
  };
  const volume = (name: string) => pod.volumes.find((v) => v.name === name)!;
  project(volume('config').configMap, join(dir, 'config'));
  for (const s of volume('instances').projected.sources) project(s.configMap, join(dir, 'instances'));
  const path = join(dir, 'config', 'config.yaml');
  writeFileSync(path, readFileSync(path, 'utf8').replace('/etc/bwdc-runner-instances', join(dir, 'instances')));
  return path;
}
