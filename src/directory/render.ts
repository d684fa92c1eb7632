// A `directory` + `sync` block -> the data.json bwdc reads. bwdc applies its defaults only when it
// creates a section itself (`bwdc config`); a section it finds is read as is, so an omitted boolean
// is false and a missing host fails (docs/upstream/bwdc.md "Directory and sync sections"). Every field bwdc
// reads is therefore written here, with the default the desktop app would have used. Deterministic: the same
// blocks give the same text, whose hash decides when the state folder is re-seeded.
import type { DirectoryBlock, SyncBlock } from './schema.js';
import { directoryKindNamed } from './types.js';

/**
 * The stateVersion a rendered file carries: v2026.6.x's own. v2026.6.1 uses it as is; the next
 * release migrates 6 -> 8 on its first start and keeps an explicit inviteUsersAfterProvisioning
 * (which is always written). A file without stateVersion would be taken as new by the next release,
 * which then leaves invitations off: never rendered that way.
 */
export const renderedStateVersion = 6;

/** Active Directory's attribute names: bwdc's defaults for an AD server. */
export const adSyncDefaults = {
  userObjectClass: 'person',
  groupObjectClass: 'group',
  groupNameAttribute: 'name',
  memberAttribute: 'member',
  userEmailAttribute: 'mail',
  emailPrefixAttribute: 'sAMAccountName',
  creationDateAttribute: 'whenCreated',
  revisionDateAttribute: 'whenChanged',
} as const;

/** The standard LDAP schema's names (OpenLDAP, 389 DS, ...), for `ad: false`. */
export const ldapSyncDefaults = {
  userObjectClass: 'inetOrgPerson',
  groupObjectClass: 'groupOfNames',
  groupNameAttribute: 'cn',
  memberAttribute: 'member',
  userEmailAttribute: 'mail',
  emailPrefixAttribute: 'uid',
  creationDateAttribute: 'createTimestamp',
  revisionDateAttribute: 'modifyTimestamp',
} as const;

type Json = Record<string, unknown>;

/** Copies the fields that are set, in the order given. */
function pick(from: Json, keys: readonly string[]): Json {
  const out: Json = {};
  for (const k of keys) if (from[k] !== undefined) out[k] = from[k];
  return out;
}

function section(block: DirectoryBlock): Json {
  const b = block as Json;
  switch (block.type) {
    case 'ldap':
      return {
        hostname: block.hostname,
        port: block.port,
        ssl: block.ssl ?? false,
        startTls: block.startTls ?? false,
        sslAllowUnauthorized: block.sslAllowUnauthorized ?? false,
        ...pick(b, ['tlsCaPath', 'sslCaPath', 'sslCertPath', 'sslKeyPath', 'domain', 'rootPath']),
        currentUser: block.currentUser ?? false,
        ...pick(b, ['username']),
        ad: block.ad ?? true,
        pagedSearch: block.pagedSearch ?? true,
      };
    case 'entra':
      return {
        identityAuthority: block.identityAuthority ?? 'login.microsoftonline.com',
        tenant: block.tenant,
        applicationId: block.applicationId,
      };
    case 'google':
      return pick(b, ['clientEmail', 'adminUser', 'domain', 'customer']);
    case 'okta':
      return { orgUrl: block.orgUrl };
    case 'onelogin':
      return { clientId: block.clientId, region: block.region ?? 'us' };
  }
}

function syncSection(block: DirectoryBlock, sync: SyncBlock): Json {
  const s = sync as Json;
  const out: Json = {
    users: sync.users ?? false,
    groups: sync.groups ?? false,
    interval: sync.interval ?? 5,
    ...pick(s, ['userFilter', 'groupFilter']),
    removeDisabled: sync.removeDisabled ?? false,
    overwriteExisting: sync.overwriteExisting ?? false,
    largeImport: sync.largeImport ?? false,
    inviteUsersAfterProvisioning: sync.inviteUsersAfterProvisioning ?? true,
  };
  if (block.type === 'ldap') {
    const defaults = block.ad === false ? ldapSyncDefaults : adSyncDefaults;
    Object.assign(out, {
      userObjectClass: sync.userObjectClass ?? defaults.userObjectClass,
      groupObjectClass: sync.groupObjectClass ?? defaults.groupObjectClass,
      ...pick(s, ['userPath', 'groupPath']),
      groupNameAttribute: sync.groupNameAttribute ?? defaults.groupNameAttribute,
      userEmailAttribute: sync.userEmailAttribute ?? defaults.userEmailAttribute,
      memberAttribute: sync.memberAttribute ?? defaults.memberAttribute,
      useEmailPrefixSuffix: sync.useEmailPrefixSuffix ?? false,
      emailPrefixAttribute: sync.emailPrefixAttribute ?? defaults.emailPrefixAttribute,
      ...pick(s, ['emailSuffix']),
      creationDateAttribute: sync.creationDateAttribute ?? defaults.creationDateAttribute,
      revisionDateAttribute: sync.revisionDateAttribute ?? defaults.revisionDateAttribute,
    });
  }
  return out;
}

/** The data.json object for checked blocks (check.ts found nothing wrong). No secret is in it. */
export function renderDataJson(block: DirectoryBlock, sync: SyncBlock = {}): Json {
  const kind = directoryKindNamed(block.type)!;
  return {
    stateVersion: renderedStateVersion,
    directoryType: kind.type,
    [kind.section]: section(block),
    sync: syncSection(block, sync),
  };
}

export function renderDataJsonText(block: DirectoryBlock, sync: SyncBlock = {}): string {
  return `${JSON.stringify(renderDataJson(block, sync), null, 2)}\n`;
}
