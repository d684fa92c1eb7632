// The real helm binary (scripts/ci/install-helm.sh) and the chart: `helm template` as parsed objects.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
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
