// Folder discovery, the layout of Bitwarden's own docs: every subfolder of BWDC_INSTANCES_DIR that
// holds a data.json (or a runner.yaml with a directory block) is an instance named after the folder.
// A runner.yaml beside the data.json overrides settings for that instance. A file `<name>.runner.yaml`
// (its template `<name>.data.json` beside it, if any) is the same as `<name>/runner.yaml`: a ConfigMap's
// keys are flat, so this is how the chart mounts a block of instances per ConfigMap (docs/kubernetes.md
// "Shards (scheduler mode)").
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { errorMessage } from '../errors.js';
import { folderInstanceSchema, type RawInstanceSettings } from './schema.js';
import type { Locate, PathKey } from './issues.js';
import { issueLines, validate } from './validate.js';
import { parseYamlWithLines } from './file.js';

export interface DiscoveredInstance {
  name: string;
  /** Undefined: the folder's runner.yaml has a directory block instead. */
  dataJsonPath: string | undefined;
  overrides: RawInstanceSettings;
  /** Fields of runner.yaml left out as invalid (already reported). */
  invalid: PathKey[][];
  locate: Locate;
  origin: string;
  /** Where its relative paths start: its folder, or the instances folder for a <name>.runner.yaml. */
  baseDir: string;
}

const flatSuffix = '.runner.yaml';

export function discoverInstances(root: string, where: string, errors: string[]): DiscoveredInstance[] {
  let entries: string[];
  try {
    if (!statSync(root).isDirectory()) throw new Error('not a folder');
    entries = readdirSync(root).sort();
  } catch (err) {
    errors.push(`instancesDir (${where}): cannot read folder "${root}": ${errorMessage(err)}`);
    return [];
  }
  const found: DiscoveredInstance[] = [];
  for (const entry of entries) {
    if (entry.startsWith('.')) continue;
    const flat = entry.endsWith(flatSuffix) ? entry.slice(0, -flatSuffix.length) : undefined;
    const dir = join(root, entry);
    if (flat === undefined && !statSync(dir).isDirectory()) continue;
    const name = flat ?? entry;
    const dataJsonPath = flat === undefined ? join(dir, 'data.json') : join(root, `${flat}.data.json`);
    const overridePath = flat === undefined ? join(dir, 'runner.yaml') : dir;
    const hasTemplate = existsSync(dataJsonPath);
    if (!hasTemplate && !existsSync(overridePath)) continue;
    let overrides: RawInstanceSettings = {};
    let invalid: PathKey[][] = [];
    const origin = flat === undefined ? dir : overridePath;
    let locate: Locate = () => origin;
    if (existsSync(overridePath)) {
      const yaml = parseYamlWithLines(readFileSync(overridePath, 'utf8'), overridePath);
      if (!yaml.ok) {
        errors.push(...yaml.issues);
        continue;
      }
      locate = yaml.locate;
      const checked = validate(folderInstanceSchema, yaml.data);
      errors.push(...issueLines(checked.issues, locate));
      overrides = checked.value ?? {};
      invalid = checked.issues.map((i) => i.path);
    }
    const baseDir = flat === undefined ? dir : root;
    found.push({
      name,
      dataJsonPath: hasTemplate ? dataJsonPath : undefined,
      overrides,
      invalid,
      locate,
      origin,
      baseDir,
    });
  }
  if (found.length === 0)
    errors.push(
      `instancesDir (${where}): no subfolder of "${root}" holds a data.json or a runner.yaml, and no <name>.runner.yaml is there`,
    );
  return found;
}
