// What a rendered release's pods reference: every ConfigMap, Secret and key projected (volumes,
// projected sources) or referenced (envFrom, env valueFrom), and which of those are not in the release.
import type { Obj } from './helm.js';

/** Every pod spec of a release: CronJobs', the StatefulSet's, the `helm test` pods'. */
export function podSpecs(objs: Obj[]): Array<{ owner: string; spec: any; test: boolean }> {
  const out: Array<{ owner: string; spec: any; test: boolean }> = [];
  for (const o of objs) {
    if (o.kind === 'CronJob')
      out.push({ owner: `CronJob/${o.metadata.name}`, spec: o.spec.jobTemplate.spec.template.spec, test: false });
    if (o.kind === 'StatefulSet')
      out.push({ owner: `StatefulSet/${o.metadata.name}`, spec: o.spec.template.spec, test: false });
    if (o.kind === 'Pod') out.push({ owner: `Pod/${o.metadata.name}`, spec: o.spec, test: true });
  }
  return out;
}

export interface Ref {
  kind: 'ConfigMap' | 'Secret';
  name: string;
  /** undefined: the whole object (no items). */
  key: string | undefined;
  via: string;
}

/** Every ConfigMap and Secret (and key) a pod spec projects or references: volumes, envFrom, env valueFrom. */
export function references(spec: any): Ref[] {
  const refs: Ref[] = [];
  const items = (kind: Ref['kind'], name: string, list: Array<{ key: string }> | undefined, via: string) => {
    if (!list) refs.push({ kind, name, key: undefined, via });
    else for (const i of list) refs.push({ kind, name, key: i.key, via });
  };
  for (const v of spec.volumes ?? []) {
    if (v.configMap) items('ConfigMap', v.configMap.name, v.configMap.items, `volume ${v.name}`);
    if (v.secret) items('Secret', v.secret.secretName, v.secret.items, `volume ${v.name}`);
    for (const s of v.projected?.sources ?? []) {
      if (s.configMap) items('ConfigMap', s.configMap.name, s.configMap.items, `volume ${v.name}`);
      if (s.secret) items('Secret', s.secret.name, s.secret.items, `volume ${v.name}`);
    }
  }
  for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
    for (const e of c.envFrom ?? []) {
      if (e.configMapRef) items('ConfigMap', e.configMapRef.name, undefined, `envFrom of ${c.name}`);
      if (e.secretRef) items('Secret', e.secretRef.name, undefined, `envFrom of ${c.name}`);
    }
    for (const e of c.env ?? []) {
      const cm = e.valueFrom?.configMapKeyRef;
      const sk = e.valueFrom?.secretKeyRef;
      if (cm) refs.push({ kind: 'ConfigMap', name: cm.name, key: cm.key, via: `env ${e.name}` });
      if (sk) refs.push({ kind: 'Secret', name: sk.name, key: sk.key, via: `env ${e.name}` });
    }
  }
  return refs;
}

/** Problems: a reference to an object that is neither rendered nor named as existing, or to a key it lacks. */
export function missingReferences(objs: Obj[], externals: Set<string>): string[] {
  const keys = new Map<string, Set<string>>();
  for (const o of objs)
    if (o.kind === 'ConfigMap' || o.kind === 'Secret')
      keys.set(`${o.kind}/${o.metadata.name}`, new Set(Object.keys({ ...o.data, ...o.stringData })));
  const problems: string[] = [];
  for (const { owner, spec } of podSpecs(objs)) {
    for (const r of references(spec)) {
      const id = `${r.kind}/${r.name}`;
      const have = keys.get(id);
      if (!have) {
        if (!externals.has(id)) problems.push(`${owner} ${r.via}: ${id} is not in the release`);
      } else if (r.key !== undefined && !have.has(r.key))
        problems.push(`${owner} ${r.via}: ${id} has no key "${r.key}" (it has ${[...have].join(', ')})`);
    }
  }
  return problems;
}
