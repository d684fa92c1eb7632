// A bwdc data.json (a desktop export, a hand-written template) -> the equivalent `directory` and `sync`
// blocks, with every secret left out and a note saying which reference to set instead: the way from
// a working desktop setup to declarative settings. The inverse of render.ts for every field bwdc reads.
import { directoryBlock, readSection, syncBlock } from './schema.js';
import { checkBlocks } from './check.js';
import { directoryKind } from './types.js';
import { importedServer } from './import-server.js';

export interface Imported {
  /** The instance settings to print: directory, sync, and where known clientId and server. */
  settings: Record<string, unknown>;
  /** Comments for the reader: the secrets to set as references, what was dropped and why. */
  notes: string[];
  /** Problems the blocks still have beyond their schema (the configuration would refuse them): fix by hand. */
  problems: string[];
}

type Json = Record<string, unknown>;

export function importDataJson(data: Json): Imported {
  if ('authenticatedAccounts' in data || 'activeUserId' in data)
    throw new Error(
      'is in the nested layout of bwdc before 2026.6 (authenticatedAccounts, activeUserId): start bwdc 2026.6 ' +
        'or later once with this file (it migrates it in place, so copy it first), then import the migrated file',
    );
  const kind = directoryKind(typeof data.directoryType === 'number' ? data.directoryType : Number(data.directoryType));
  if (!kind)
    throw new Error('has no directoryType from 0 to 4 (0 LDAP, 1 Entra ID, 2 Google Workspace, 3 Okta, 4 OneLogin)');
  const notes: string[] = [];
  const section = (data[kind.section] ?? {}) as Json;
  const read = readSection(section, kind.name, { skip: kind.path[1] }); // the secret stays out
  const directory: Json = { type: kind.name, ...read.fields };
  const syncRead = readSection((data.sync ?? {}) as Json, 'sync', { directoryType: kind.name });
  const sync: Json = syncRead.fields;
  if (typeof sync.interval === 'number' && sync.interval < 5) sync.interval = 5; // as bwdc reads it
  const dropped = [...read.unknown.map((k) => `${kind.section}.${k}`), ...syncRead.unknown.map((k) => `sync.${k}`)];
  if (sync.inviteUsersAfterProvisioning === undefined) {
    sync.inviteUsersAfterProvisioning = true;
    notes.push(
      'sync.inviteUsersAfterProvisioning: true was added (invitations, as bwdc always sent them); false creates new members staged, without an invitation',
    );
  }

  const settings: Json = {};
  if (typeof data.apiKeyClientId === 'string' && data.apiKeyClientId.startsWith('organization.'))
    settings.clientId = data.apiKeyClientId;
  const server = importedServer(data.environmentUrls);
  if (server !== undefined) settings.server = server;
  settings.directory = directory;
  settings.sync = sync;

  if (dropped.length) notes.push(`left out (not settings bwdc reads): ${dropped.join(', ')}`);
  const secretWas = section[kind.path[1]];
  const field = kind.path[1];
  const secretNote =
    typeof secretWas === 'string' && secretWas ? ` (it was in ${kind.path.join('.')}, left out here)` : '';
  notes.push(
    `directorySecret: set a reference to ${kind.secretLabel}${secretNote}, e.g. vault://secret/bwdc/NAME#${field}, ` +
      `awssm://bwdc/NAME#${field} or file:///var/run/secrets/bwdc/${field}`,
  );
  const clientNote =
    typeof data.apiKeyClientSecret === 'string' ? ' (it was in apiKeyClientSecret, left out here)' : '';
  notes.push(`clientSecret: set a reference to the organization API key's client secret${clientNote}`);

  // Schema problems are the caller's to word (config/validate.ts); these are the checks beyond the schema.
  const problems: string[] = [];
  const parsedDir = directoryBlock.safeParse(directory);
  const parsedSync = syncBlock.safeParse(sync);
  if (parsedDir.success && parsedSync.success)
    for (const p of checkBlocks(parsedDir.data, parsedSync.data, true, process.cwd()))
      problems.push(`${p.path.join('.')}: ${p.message}`);
  return { settings, notes, problems };
}
