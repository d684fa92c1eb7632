// The size of a Helm release as Helm stores it, and of its largest object, for a chart rendered with N
// instances (docs/kubernetes.md "How many instances one release holds"). Helm keeps a release in a Secret
// `sh.helm.release.v1.<name>.v<revision>` whose `release` key is base64(gzip(JSON of the release)): the
// chart (its templates, files and default values), the user's values (`config`) and the rendered
// manifest and hooks (helm/helm pkg/storage/driver/util.go encodeRelease, pkg/release/release.go). The
// Secret, like any object, must stay under 1 MiB (etcd's request limit, Kubernetes' ConfigMap/Secret limit).
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { parseAllDocuments, parse as parseYaml, stringify } from 'yaml';

// Not from ./helm.js: that imports the fixture, which starts a Bitwarden test server (bench/ uses this too).
const root = fileURLToPath(new URL('../..', import.meta.url));
const chart = join(root, 'helm', 'bwdc-runner');
const helm = join(root, '.cache', 'bin', 'helm');

export const MiB = 1024 * 1024;

/** N instances as an organization of many directories would write them: an LDAP block, a secret each. */
export function manyInstancesValues(n: number, mode: 'scheduler' | 'cronjob', extra: Record<string, unknown> = {}) {
  const instances: Record<string, unknown> = {};
  for (let i = 0; i < n; i++) {
    const name = `customer-${String(i).padStart(5, '0')}`;
    instances[name] = {
      directory: { type: 'ldap', hostname: `dc1.${name}.example.com`, rootPath: `dc=${name},dc=example,dc=com` },
      sync: { userFilter: '(&(objectClass=user)(memberOf=cn=bitwarden,ou=groups,dc=example,dc=com))' },
      directorySecret: `vault://secret/bwdc/${name}#bind_password`,
    };
  }
  return {
    mode,
    defaults: {
      schedule: 'H * * * *',
      clientId: 'organization.3f0c1a52-7d4e-4b8a-9c61-2e5f8a7b9d10',
      clientSecret: 'vault://secret/bwdc/org#client_secret',
      directory: { type: 'ldap', port: 636, ssl: true, username: 'CN=bwdc,OU=Service,DC=example,DC=com' },
      sync: { users: true, groups: true },
    },
    vault: { address: 'https://vault.example.com', role: 'bwdc' },
    instances,
    ...extra,
  };
}

function chartFiles(dir = chart): Array<{ name: string; data: string }> {
  const out: Array<{ name: string; data: string }> = [];
  for (const entry of readdirSync(dir)) {
    const p = join(dir, entry);
    if (entry === 'ci') continue; // .helmignore
    if (statSync(p).isDirectory()) out.push(...chartFiles(p));
    else out.push({ name: relative(chart, p), data: readFileSync(p).toString('base64') });
  }
  return out;
}

export interface ReleaseSize {
  instances: number;
  objects: number;
  /** The largest rendered object (its JSON), and which. */
  largest: { kind: string; name: string; bytes: number };
  configMaps: number;
  manifestBytes: number;
  valuesBytes: number;
  /** base64(gzip(release JSON)): the bytes of the release Secret's data. */
  releaseSecretBytes: number;
  renderMs: number;
}

/**
 * Renders the chart with `values` (helm template) and measures what Kubernetes and Helm would store;
 * `manifest` is the rendered text.
 */
export function measureRelease(values: Record<string, unknown>, workDir: string): ReleaseSize & { manifest: string } {
  const valuesPath = join(workDir, 'values.yaml');
  writeFileSync(valuesPath, stringify(values));
  const t0 = Date.now();
  const manifest = execFileSync(helm, ['template', 'rel', chart, '-f', valuesPath], {
    encoding: 'utf8',
    maxBuffer: 1024 * MiB,
  });
  const renderMs = Date.now() - t0;
  const objs = parseAllDocuments(manifest)
    .map((d) => d.toJS() as { kind: string; metadata: { name: string; annotations?: Record<string, string> } })
    .filter(Boolean);
  let largest = { kind: '', name: '', bytes: 0 };
  for (const o of objs) {
    const bytes = Buffer.byteLength(JSON.stringify(o));
    if (bytes > largest.bytes) largest = { kind: o.kind, name: o.metadata.name, bytes };
  }
  const files = chartFiles();
  const release = {
    name: 'rel',
    info: { status: 'deployed', description: 'Install complete' },
    chart: {
      metadata: parseYaml(readFileSync(join(chart, 'Chart.yaml'), 'utf8')),
      templates: files.filter((f) => f.name.startsWith('templates/')),
      values: parseYaml(readFileSync(join(chart, 'values.yaml'), 'utf8')),
      schema: readFileSync(join(chart, 'values.schema.json')).toString('base64'),
      files: files.filter((f) => !f.name.startsWith('templates/') && f.name !== 'values.schema.json'),
    },
    config: values,
    manifest,
    version: 1,
    namespace: 'default',
  };
  const json = JSON.stringify(release);
  return {
    instances: Object.keys(values.instances as object).length,
    objects: objs.length,
    largest,
    configMaps: objs.filter((o) => o.kind === 'ConfigMap').length,
    manifestBytes: Buffer.byteLength(manifest),
    valuesBytes: Buffer.byteLength(JSON.stringify(values)),
    releaseSecretBytes: Math.ceil(gzipSync(json, { level: 9 }).length / 3) * 4,
    renderMs,
    manifest,
  };
}
