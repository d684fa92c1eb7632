// `config import PATH`: a bwdc data.json -> a complete config file (YAML) with one instance: its
// directory and sync blocks, server and client id, and the secrets as references to fill in.
// `config render`: the data.json each selected instance gives bwdc, secrets masked. Both print to
// stdout only; neither changes a file.
import { readFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { Document } from 'yaml';
import { loadConfig, selectInstances } from '../../config/load.js';
import { parseJsonQuietly } from '../../config/template.js';
import { validate } from '../../config/validate.js';
import { dotPath } from '../../config/issues.js';
import { directoryBlock, syncBlock } from '../../directory/schema.js';
import { instanceNamePattern } from '../../config/schema.js';
import { importDataJson } from '../../directory/import.js';
import { maskSecrets } from '../../directory/mask.js';
import { setServer } from '../../bwdc/directory.js';
import { ConfigError, ExitCode, errorMessage } from '../../errors.js';
import type { CliOptions } from '../cli-options.js';

export function configCommand(options: CliOptions, env: NodeJS.ProcessEnv): number {
  return options.action === 'import' ? importCommand(resolve(options.operands[0]!)) : renderCommand(options, env);
}

/** What the schema says of the imported blocks, in the configuration's own words. */
function schemaProblems(directory: unknown, sync: unknown): string[] {
  const issues = [
    ...validate(directoryBlock, directory, ['directory']).issues,
    ...validate(syncBlock, sync, ['sync']).issues,
  ];
  return issues.map((i) => `${dotPath(i.path)}: ${i.message}`);
}

/**
 * An instance name from the file's folder (Corp_AD/data.json -> corp-ad), by the naming rule
 * (docs/kubernetes.md "Instance names"), else "imported".
 */
function instanceNameFor(path: string): string {
  const folder = basename(dirname(path))
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, 30)
    .replace(/^-+|-+$/g, '');
  return instanceNamePattern.test(folder) && !folder.includes('bitwarden') ? folder : 'imported';
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
  const name = instanceNameFor(path);
  const variable = name.toUpperCase().replace(/[^A-Z0-9]+/g, '_');
  const { clientId, server, directory, sync } = imported.settings;
  const block = directory as Record<string, unknown>;
  // An LDAP bind without a user is anonymous: no password then. Every other type has a secret.
  const needsSecret = block.type !== 'ldap' || block.username !== undefined;
  const placeholders = {
    clientSecret: `env://${variable}_CLIENT_SECRET`,
    ...(needsSecret ? { directorySecret: `env://${variable}_DIRECTORY_SECRET` } : {}),
  };
  const instance = {
    name,
    ...(clientId ? { clientId } : {}),
    ...placeholders,
    ...(server ? { server } : {}),
    directory,
    sync,
  };
  const doc = new Document({ instances: [instance] });
  for (const [key, ref] of Object.entries(placeholders)) {
    const node = doc.getIn(['instances', 0, key], true) as { comment?: string };
    node.comment = ` FILL IN: replace with where the secret is kept (vault://, awssm://, bws://, file:///), or set ${ref.slice(6)}`;
  }
  doc.commentBefore = [
    ` bwdc-runner configuration file: converted from ${path} by bwdc-runner config import.`,
    ` A complete file with one instance, "${name}" (rename it at will). No secret was copied from ${basename(path)}.`,
    ' Fill in before use, then try it: bwdc-runner check -c THIS-FILE',
    '   - the lines marked FILL IN: the secrets as references',
    ...(clientId
      ? []
      : ["   - clientId: the organization API key's client id, organization.<uuid> (none in the file)"]),
    '   - schedule: "0 */6 * * *" (a cron expression) for bwdc-runner schedule; run needs none',
  ].join('\n');
  doc.comment = [
    ...imported.notes.map((n) => ` ${n}`),
    ...[...schemaProblems(directory, sync), ...imported.problems].map((p) => ` NOT VALID YET, fix by hand: ${p}`),
  ].join('\n');
  process.stdout.write(`${doc.toString({ lineWidth: 0 }).trimEnd()}\n`);
  process.stderr.write(
    `config import: wrote a complete config file (instance "${name}") to stdout; fill in the lines marked FILL IN, then run bwdc-runner check -c FILE\n`,
  );
  return ExitCode.ok;
}

function renderCommand(options: CliOptions, env: NodeJS.ProcessEnv): number {
  // Nothing is resolved here, and the secrets are masked: the API key and secrets need not be set.
  const config = loadConfig(env, { configPath: options.config, credentials: 'optional' });
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
