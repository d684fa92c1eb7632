// The read and merge stages: where instances come from (a config file's list, the subfolders of an
// instances folder, or the environment alone) and the layers each one's settings are merged from.
import { dirname, isAbsolute, resolve } from 'node:path';
import { discoverInstances } from './discovery.js';
import type { Env, EnvLayer } from './env.js';
import type { ParsedConfigFile } from './file.js';
import type { PathKey } from './issues.js';
import type { DataJsonTemplate } from './model.js';
import type { InstanceInput } from './normalize.js';
import type { Layer } from './pick.js';
import { readTemplate, templateFromText } from './template.js';

type Template = InstanceInput['template'];

/** The invalid paths under `prefix`, relative to it. */
const under = (invalid: readonly PathKey[][], prefix: readonly PathKey[]) =>
  invalid.filter((p) => prefix.every((k, i) => p[i] === k)).map((p) => p.slice(prefix.length));

function templateFrom(read: () => DataJsonTemplate | undefined, where: string): Template {
  try {
    return read();
  } catch (err) {
    return { problem: (err as Error).message, where };
  }
}

/** The layers every instance starts from: the environment, then the file's defaults. */
export function baseLayers(envLayer: EnvLayer, file: ParsedConfigFile | undefined, cwd: string): Layer[] {
  const base: Layer[] = [
    { values: envLayer.values, locate: envLayer.locate, baseDir: cwd, label: [], invalid: envLayer.invalid },
  ];
  if (file?.raw.defaults)
    base.push({
      values: file.raw.defaults,
      locate: (p) => file.locate(['defaults', ...p]),
      baseDir: dirname(file.path),
      label: ['defaults'],
      invalid: under(file.invalid, ['defaults']),
    });
  return base;
}

/** The instances of a config file's `instances` list. */
export function fileInstances(file: ParsedConfigFile, base: Layer[], stateDir: string): InstanceInput[] {
  const fileDir = dirname(file.path);
  return (file.raw.instances ?? []).map((raw, i) => {
    const label: PathKey[] = ['instances', i];
    const locate = (p: readonly PathKey[]) => file.locate([...label, ...p]);
    const { name, dataJson, ...settings } = raw;
    const template = templateFrom(
      () => {
        if (typeof dataJson === 'string')
          return readTemplate(isAbsolute(dataJson) ? dataJson : resolve(fileDir, dataJson));
        if (dataJson === undefined) return undefined;
        return templateFromText(JSON.stringify(dataJson, null, 2), `inline in ${locate(['dataJson'])}`);
      },
      locate(['dataJson']),
    );
    const own: Layer = { values: settings, locate, baseDir: fileDir, label, invalid: under(file.invalid, label) };
    return {
      // A name the validate stage left out was reported there; the instance is still checked in full.
      name: name ?? `instances[${i}]`,
      nameWhere: locate(['name']),
      layers: [...base, own],
      template,
      stateDir,
      origin: locate([]),
      label,
    };
  });
}

/** One instance per subfolder of the instances folder (Bitwarden's documented layout). */
export function folderInstances(
  dir: string,
  where: string,
  base: Layer[],
  stateDir: string,
  errors: string[],
): InstanceInput[] {
  return discoverInstances(dir, where, errors).map((found) => {
    const label = [`instance ${found.name}`];
    const own: Layer = {
      values: found.overrides,
      locate: found.locate,
      baseDir: found.baseDir,
      label,
      invalid: found.invalid,
    };
    const path = found.dataJsonPath;
    return {
      name: found.name,
      nameWhere: found.origin,
      layers: [...base, own],
      template: templateFrom(() => (path ? readTemplate(path) : undefined), path ?? found.origin),
      stateDir,
      origin: found.origin,
      label,
    };
  });
}

/** Environment only: the single `docker run` instance. */
export function envInstance(env: Env, base: Layer[], cwd: string, stateDir: string): InstanceInput {
  const spec = env.BWDC_DATA_JSON;
  // Without BWDC_DATA_JSON, a directory block (BWDC_DIRECTORY_TYPE, ...).
  const template = templateFrom(() => {
    if (!spec) return undefined;
    return spec.trimStart().startsWith('{')
      ? templateFromText(spec, 'BWDC_DATA_JSON')
      : readTemplate(resolve(cwd, spec));
  }, 'BWDC_DATA_JSON');
  return {
    name: env.BWDC_INSTANCE || 'default',
    nameWhere: 'BWDC_INSTANCE',
    layers: base,
    template,
    stateDir,
    origin: 'environment',
    label: [],
  };
}
