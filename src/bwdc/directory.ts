// What bwdc does with data.json around a run: the session `bwdc login` would write, the directory
// secret where `bwdc config <secret>` would put it, and wiping both afterwards (docs/upstream/bwdc.md "What
// config rewrites").

import { directoryKind, type DirectoryKind } from '../directory/types.js';
import { sectionOf } from '../shared/json.js';
export { directoryKind, directoryKinds, storedSecurelyPlaceholder, type DirectoryKind } from '../directory/types.js';

/** Session material plaintext mode writes into data.json at login; `logout` removes exactly these. */
export const sessionKeys = ['accessToken', 'refreshToken', 'apiKeyClientId', 'apiKeyClientSecret'] as const;

/** The name of the variable that carries the directory secret to `config ... --secretenv`. */
export const directorySecretEnv = 'BWDC_RUNNER_DIRECTORY_SECRET';

type Json = Record<string, unknown>;

/**
 * Removes the session (what `bwdc logout` does) and the directory secret from a parsed data.json,
 * at any depth, so older nested layouts are covered too. Returns whether anything changed.
 */
export function wipeSecrets(data: Json, directoryType: number | undefined): boolean {
  let changed = false;
  const kind = directoryKind(directoryType);
  const visit = (node: unknown) => {
    if (!node || typeof node !== 'object') return;
    const obj = node as Json;
    for (const key of Object.keys(obj)) {
      if ((sessionKeys as readonly string[]).includes(key) && obj[key] !== null && obj[key] !== undefined) {
        delete obj[key];
        changed = true;
      } else if (kind && key === kind.path[0] && obj[key] && typeof obj[key] === 'object') {
        const section = obj[key] as Json;
        if (section[kind.path[1]] !== undefined && section[kind.path[1]] !== null && section[kind.path[1]] !== '') {
          delete section[kind.path[1]];
          changed = true;
        }
      } else visit(obj[key]);
    }
  };
  visit(data);
  return changed;
}

export interface Session {
  accessToken: string;
  clientId: string;
  clientSecret: string;
  /** The directory secret and where its kind keeps it. */
  directory?: { kind: DirectoryKind; value: string };
}

/**
 * Writes what `bwdc login` writes (the token, the organization, the API key so that bwdc can renew a
 * token that a long sync outlives) and the directory secret where `bwdc config <secret>` would put
 * it, without the side effects of that call (it rewrites every directory section and AD defaults
 * over the sync settings). A different organization resets the delta tokens and sync dates, as a
 * login does. Wiped again after the run (wipeSecrets).
 */
export function writeSession(data: Json, s: Session): boolean {
  const organizationId = s.clientId.replace(/^organization\./, '');
  if (data.organizationId !== undefined && data.organizationId !== null && data.organizationId !== organizationId) {
    for (const key of ['userDeltaToken', 'groupDeltaToken', 'lastUserSync', 'lastGroupSync']) data[key] = null;
  }
  Object.assign(data, {
    accessToken: s.accessToken,
    organizationId,
    entityId: organizationId,
    apiKeyClientId: s.clientId,
    apiKeyClientSecret: s.clientSecret,
  });
  if (s.directory) {
    const [section, field] = s.directory.kind.path;
    data[section] = { ...sectionOf(data, section), [field]: s.directory.value };
  }
  return true;
}

/** Points data.json at a server the way `bwdc config server URL` would. '' is the US cloud. */
export function setServer(data: Json, base: string): boolean {
  const urls = sectionOf(data, 'environmentUrls');
  const want = base === '' ? {} : { base };
  const same = JSON.stringify(Object.fromEntries(Object.entries(urls).filter(([, v]) => v))) === JSON.stringify(want);
  if (same) return false;
  data.environmentUrls = {
    base: base || null,
    api: null,
    identity: null,
    webVault: null,
    icons: null,
    notifications: null,
    events: null,
    keyConnector: null,
  };
  return true;
}
