// Validates rendered Kubernetes objects two ways: kubernetes-models (types and enum values, by
// apiVersion/kind) and a strict check of our own that rejects fields the object does not have,
// which kubernetes-models lets through. The strict check walks each object alongside its
// TypeScript interface from kubernetes-models' declarations, with the TypeScript compiler.
import ts from 'typescript';
import { join } from 'node:path';
import { root } from './fixture.js';

type K8sObject = { apiVersion: string; kind: string; [k: string]: unknown };

const kinds: Record<string, { module: string; iface: string }> = {
  'v1/ServiceAccount': { module: 'kubernetes-models/v1/ServiceAccount', iface: 'IServiceAccount' },
  'v1/ConfigMap': { module: 'kubernetes-models/v1/ConfigMap', iface: 'IConfigMap' },
  'v1/Secret': { module: 'kubernetes-models/v1/Secret', iface: 'ISecret' },
  'v1/Service': { module: 'kubernetes-models/v1/Service', iface: 'IService' },
  'v1/Pod': { module: 'kubernetes-models/v1/Pod', iface: 'IPod' },
  'v1/PersistentVolumeClaim': { module: 'kubernetes-models/v1/PersistentVolumeClaim', iface: 'IPersistentVolumeClaim' },
  'batch/v1/CronJob': { module: 'kubernetes-models/batch/v1/CronJob', iface: 'ICronJob' },
  'apps/v1/Deployment': { module: 'kubernetes-models/apps/v1/Deployment', iface: 'IDeployment' },
  'apps/v1/StatefulSet': { module: 'kubernetes-models/apps/v1/StatefulSet', iface: 'IStatefulSet' },
  'policy/v1/PodDisruptionBudget': {
    module: 'kubernetes-models/policy/v1/PodDisruptionBudget',
    iface: 'IPodDisruptionBudget',
  },
  'monitoring.coreos.com/v1/ServiceMonitor': {
    module: '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor',
    iface: 'IServiceMonitor',
  },
  'monitoring.coreos.com/v1/PrometheusRule': {
    module: '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule',
    iface: 'IPrometheusRule',
  },
};

/** kubernetes-models' own validation (throws with the failing paths). */
export async function validateModel(obj: K8sObject): Promise<void> {
  const spec = kinds[`${obj.apiVersion}/${obj.kind}`];
  if (!spec) throw new Error(`no model for ${obj.apiVersion} ${obj.kind}`);
  const mod = (await import(spec.module)) as Record<string, new (data: unknown) => { validate(): void }>;
  new mod[obj.kind]!(obj).validate();
}

let cached: { checker: ts.TypeChecker; types: Map<string, ts.Type> } | undefined;

function program() {
  if (cached) return cached;
  const file = join(root, '__k8s_types__.ts');
  const source = Object.entries(kinds)
    .map(([k, s], n) => `import type { ${s.iface} as T${n} } from '${s.module}';\nexport type K${n} = T${n}; // ${k}`)
    .join('\n');
  const options: ts.CompilerOptions = {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const original = host.getSourceFile.bind(host);
  host.getSourceFile = (name, lang, ...rest) =>
    name === file ? ts.createSourceFile(name, source, lang) : original(name, lang, ...rest);
  const origExists = host.fileExists.bind(host);
  host.fileExists = (name) => name === file || origExists(name);
  const prog = ts.createProgram([file], options, host);
  const checker = prog.getTypeChecker();
  const sf = prog.getSourceFile(file)!;
  const types = new Map<string, ts.Type>();
  const keys = Object.keys(kinds);
  ts.forEachChild(sf, (node) => {
    if (ts.isTypeAliasDeclaration(node)) {
      const n = Number(node.name.text.slice(1));
      types.set(keys[n]!, checker.getTypeAtLocation(node.name));
    }
  });
  cached = { checker, types };
  return cached;
}

function members(t: ts.Type): ts.Type[] {
  return t.isUnion() ? t.types : [t];
}

/** Returns the paths of fields that do not exist on the object's type. */
export function unknownFields(obj: K8sObject): string[] {
  const { checker, types } = program();
  const rootType = types.get(`${obj.apiVersion}/${obj.kind}`);
  if (!rootType) return [`no type for ${obj.apiVersion} ${obj.kind}`];
  const problems: string[] = [];
  const walk = (value: unknown, type: ts.Type, path: string) => {
    if (value === null || typeof value !== 'object') return;
    const candidates = members(type).filter((m) => !(m.flags & (ts.TypeFlags.Undefined | ts.TypeFlags.Null)));
    if (candidates.some((m) => m.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown))) return;
    if (Array.isArray(value)) {
      const arrayType = candidates.find((m) => checker.isArrayType(m));
      if (!arrayType) return void problems.push(`${path}: an array where the type has none`);
      const element = checker.getTypeArguments(arrayType as ts.TypeReference)[0]!;
      value.forEach((v, n) => walk(v, element, `${path}[${n}]`));
      return;
    }
    const objectTypes = candidates.filter((m) => m.flags & ts.TypeFlags.Object && !checker.isArrayType(m));
    if (objectTypes.length === 0) return;
    for (const [key, v] of Object.entries(value)) {
      const indexed = objectTypes.map((m) => checker.getIndexTypeOfType(m, ts.IndexKind.String)).find(Boolean);
      const prop = objectTypes.map((m) => m.getProperty(key)).find(Boolean);
      if (prop)
        walk(
          v,
          checker.getTypeOfSymbolAtLocation(prop, prop.valueDeclaration ?? prop.declarations![0]!),
          `${path}.${key}`,
        );
      else if (indexed) walk(v, indexed, `${path}.${key}`);
      else problems.push(`${path}.${key}: no such field`);
    }
  };
  walk(obj, rootType, `${obj.kind}`);
  return problems;
}
