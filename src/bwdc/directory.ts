// What bwdc-contract.md says about data.json and directory types, in one table: which `config`
// setting takes a directory's secret, and where bwdc then keeps it (to wipe it after the run).

export interface DirectoryKind {
  type: number;
  label: string;
  /** The `bwdc config <setting>` that takes the secret. */
  setting: string;
  /** Where plaintext mode stores it in the v2026.6 flat data.json. */
  path: readonly [string, string];
}

export const directoryKinds: readonly DirectoryKind[] = [
  { type: 0, label: 'LDAP', setting: 'ldap.password', path: ['directoryLdap', 'password'] },
  { type: 1, label: 'Entra ID', setting: 'entra.key', path: ['directoryEntra', 'key'] },
  { type: 2, label: 'Google Workspace', setting: 'gsuite.key', path: ['directoryGsuite', 'privateKey'] },
  { type: 3, label: 'Okta', setting: 'okta.token', path: ['directoryOkta', 'token'] },
  { type: 4, label: 'OneLogin', setting: 'onelogin.secret', path: ['directoryOnelogin', 'clientSecret'] },
];

export function directoryKind(type: number | undefined): DirectoryKind | undefined {
  return directoryKinds.find((k) => k.type === type);
}

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

/** Points data.json at a server the way `bwdc config server URL` would. '' is the US cloud. */
export function setServer(data: Json, base: string): boolean {
  const urls = (data.environmentUrls && typeof data.environmentUrls === 'object' ? data.environmentUrls : {}) as Json;
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
