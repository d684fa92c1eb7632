// The five directory types bwdc syncs from, in one table (docs/upstream/bwdc.md "Directory and sync
// sections"): the name users write (`type: ldap`), bwdc's `directoryType` number, the data.json section that
// holds the settings, the field where plaintext mode keeps the secret, and the `bwdc config` setting that
// takes it. Everything else about directory settings reads this table.

export type DirectoryTypeName = 'ldap' | 'entra' | 'google' | 'okta' | 'onelogin';

export interface DirectoryKind {
  name: DirectoryTypeName;
  type: number;
  label: string;
  /** The data.json section of this type's settings. */
  section: string;
  /** The `bwdc config <setting>` that takes the secret. */
  setting: string;
  /** Where plaintext mode stores the secret in the v2026.6 flat data.json: [section, field]. */
  path: readonly [string, string];
  /** What the secret is, for messages. */
  secretLabel: string;
}

export const directoryKinds: readonly DirectoryKind[] = [
  {
    name: 'ldap',
    type: 0,
    label: 'LDAP',
    section: 'directoryLdap',
    setting: 'ldap.password',
    path: ['directoryLdap', 'password'],
    secretLabel: 'the bind password',
  },
  {
    name: 'entra',
    type: 1,
    label: 'Entra ID',
    section: 'directoryEntra',
    setting: 'entra.key',
    path: ['directoryEntra', 'key'],
    secretLabel: "the application's client secret",
  },
  {
    name: 'google',
    type: 2,
    label: 'Google Workspace',
    section: 'directoryGsuite',
    setting: 'gsuite.key',
    path: ['directoryGsuite', 'privateKey'],
    secretLabel: "the service account's private key (PEM)",
  },
  {
    name: 'okta',
    type: 3,
    label: 'Okta',
    section: 'directoryOkta',
    setting: 'okta.token',
    path: ['directoryOkta', 'token'],
    secretLabel: 'the API token',
  },
  {
    name: 'onelogin',
    type: 4,
    label: 'OneLogin',
    section: 'directoryOnelogin',
    setting: 'onelogin.secret',
    path: ['directoryOnelogin', 'clientSecret'],
    secretLabel: 'the API client secret',
  },
];

export const directoryTypeNames = directoryKinds.map((k) => k.name) as [DirectoryTypeName, ...DirectoryTypeName[]];

export function directoryKind(type: number | undefined): DirectoryKind | undefined {
  return directoryKinds.find((k) => k.type === type);
}

export function directoryKindNamed(name: string): DirectoryKind | undefined {
  return directoryKinds.find((k) => k.name === name);
}

/** What a desktop export holds in place of each secret (bwdc uses it literally, and fails). */
export const storedSecurelyPlaceholder = '[STORED SECURELY]';

/**
 * The directory secret as bwdc must store it. A Google private key copied out of the service account's
 * JSON key file has its newlines escaped (`\\n`); bwdc's plaintext mode would keep them so, and the key
 * would not parse: they become real newlines here. Other secrets are kept exactly.
 */
export function secretAsStored(kind: DirectoryKind, value: string): string {
  if (kind.name === 'google' && !value.includes('\n') && value.includes('\\n')) return value.replace(/\\n/g, '\n');
  return value;
}
