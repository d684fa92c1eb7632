// `config import PATH`: a bwdc data.json -> the directory and sync blocks (YAML), secrets left out.
// `config render`: the data.json each selected instance gives bwdc, secrets masked. Both print to
// stdout only; neither changes a file.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Document } from 'yaml';
import { loadConfig, selectInstances } from '../../config/load.js';
import { parseJsonQuietly } from '../../config/template.js';
import { importDataJson } from '../../directory/import.js';
import { maskSecrets } from '../../directory/mask.js';
import { setServer } from '../../bwdc/directory.js';
import { ConfigError, ExitCode, errorMessage } from '../../errors.js';
import type { CliOptions } from '../args.js';

export function configCommand(options: CliOptions, env: NodeJS.ProcessEnv): number {
  return options.action === 'import' ? importCommand(resolve(options.operands[0]!)) : renderCommand(options, env);
}

function importCommand(path: string): number {
  let data: unknown;
  try {
    data = parseJsonQuietly(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ConfigError(`config import: ${path}: ${errorMessage(err)}`);
  }
  if (!data || typeof data !== 'object' || Array.isArray(data))
    throw new ConfigError(`config import: ${path}: expected a JSON object (a bwdc data.json)`);
  let imported;
  try {
    imported = importDataJson(data as Record<string, unknown>);
  } catch (err) {
    throw new ConfigError(`config import: ${path} ${errorMessage(err)}`);
  }
  const doc = new Document(imported.settings);
  doc.commentBefore = [
    ` Converted from ${path} by bwdc-runner config import: the settings of one instance`,
    ' (add name: and schedule:, or put them under defaults:). No secret is in here.',
  ].join('\n');
  doc.comment = [
    ...imported.notes.map((n) => ` ${n}`),
    ...imported.problems.map((p) => ` NOT VALID YET, fix by hand: ${p}`),
  ].join('\n');
  process.stdout.write(doc.toString({ lineWidth: 0 }));
  return ExitCode.ok;
}

function renderCommand(options: CliOptions, env: NodeJS.ProcessEnv): number {
  const config = loadConfig(env, { configPath: options.config });
  const instances = selectInstances(config, options.instances);
  const rendered = instances.map((i) => {
    const data = parseJsonQuietly(i.dataJson.text) as Record<string, unknown>;
    // What a run adds before bwdc starts, besides the session and the secret: the server.
    if (i.server !== undefined) setServer(data, i.server);
    return { name: i.name, data: maskSecrets(data) };
  });
  // One instance: the data.json itself (pipe it to a file); several: keyed by instance name.
  const out = rendered.length === 1 ? rendered[0]!.data : Object.fromEntries(rendered.map((r) => [r.name, r.data]));
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  for (const w of config.warnings) process.stderr.write(`warning: ${w}\n`);
  return ExitCode.ok;
}
