// The `directory` and `sync` blocks (docs/design.md "Declarative directory settings"): bwdc's own data.json
// field names, one schema per directory type. Part of the configuration's single zod source, so the
// published JSON Schema and the Helm chart's schema cover them. Every field is optional here: a
// `defaults` block may give some and the instance the rest; what must be present once merged is
// checked by check.ts, which names the field.
import * as z from 'zod';
import { declare } from '../shared/env-setting.js';

/** The variable that sets a field in the environment-only instance (docs/reference/environment.md). */
const env = <T extends z.ZodType>(schema: T, name: string, example?: number) => declare(schema, { env: name, example });

const guid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const email = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const text = (description: string) => z.string().min(1, 'expected a non-empty string').optional().describe(description);
const flag = (description: string) => z.boolean().optional().describe(description);
const path = (description: string) =>
  z.string().min(1, 'expected a file path').optional().describe(`${description} A file the runner can read.`);

export const ldapBlock = z
  .strictObject({
    type: env(z.literal('ldap'), 'BWDC_DIRECTORY_TYPE'),
    hostname: env(text('Server host name, e.g. dc1.corp.example. Required.'), 'BWDC_LDAP_HOSTNAME'),
    port: env(
      z
        .number()
        .int('expected a whole number')
        .min(1, 'expected a port from 1 to 65535')
        .max(65535, 'expected a port from 1 to 65535')
        .optional()
        .describe('Server port: 389 (LDAP, StartTLS) or 636 (LDAPS). Required.'),
      'BWDC_LDAP_PORT',
      636,
    ),
    ssl: env(flag('LDAPS (TLS from the first byte). Default false. Not with startTls.'), 'BWDC_LDAP_SSL'),
    startTls: flag('StartTLS on the plain port. Default false. Not with ssl.'),
    sslAllowUnauthorized: flag("Accept a server certificate that no trusted CA signed. Default false: don't."),
    tlsCaPath: path('CA certificate (PEM) that signed the server certificate, for StartTLS.'),
    sslCaPath: path('CA certificate (PEM) that signed the server certificate, for LDAPS.'),
    sslCertPath: path('Client certificate (PEM), for LDAPS with client authentication.'),
    sslKeyPath: path('Client key (PEM), for LDAPS with client authentication.'),
    domain: text('Domain, used by some servers to qualify the bind user.'),
    rootPath: env(text('Base DN searches start from, e.g. dc=corp,dc=example.'), 'BWDC_LDAP_ROOT_PATH'),
    currentUser: flag('Bind as the account bwdc runs under (Windows only). Default false.'),
    username: env(
      text('Bind DN (or user@domain for Active Directory). The password is directorySecret.'),
      'BWDC_LDAP_USERNAME',
    ),
    ad: env(flag('The server is Active Directory. Default true.'), 'BWDC_LDAP_AD'),
    pagedSearch: flag('Page search results (needed above the server size limit). Default true.'),
  })
  .describe('An LDAP directory (Active Directory, OpenLDAP, ...): directoryType 0, section directoryLdap.');

export const entraBlock = z
  .strictObject({
    type: z.literal('entra'),
    tenant: z
      .string()
      .regex(guid, 'expected the Directory (tenant) ID, a GUID such as 72f988bf-86f1-41af-91ab-2d7cd011db47')
      .optional()
      .describe('Directory (tenant) ID, a GUID. Required.'),
    applicationId: z
      .string()
      .regex(guid, 'expected the Application (client) ID, a GUID')
      .optional()
      .describe(
        'Application (client) ID of the app registration, a GUID. Required. The client secret is directorySecret.',
      ),
    identityAuthority: text('Sign-in authority host. Default login.microsoftonline.com.'),
  })
  .describe('Microsoft Entra ID: directoryType 1, section directoryEntra.');

export const googleBlock = z
  .strictObject({
    type: z.literal('google'),
    clientEmail: z
      .string()
      .regex(email, 'expected the service account e-mail address')
      .optional()
      .describe("The service account's e-mail address. Required. Its private key is directorySecret."),
    adminUser: z
      .string()
      .regex(email, "expected an administrator's e-mail address")
      .optional()
      .describe('A Workspace administrator the service account acts as. Required.'),
    domain: text('The Workspace domain, e.g. corp.example. Required.'),
    customer: text('Customer ID (optional).'),
  })
  .describe('Google Workspace: directoryType 2, section directoryGsuite.');

export const oktaBlock = z
  .strictObject({
    type: z.literal('okta'),
    orgUrl: z
      .string()
      .regex(/^https:\/\/[^\s/]+/, 'expected an https:// URL such as https://corp.okta.com')
      .optional()
      .describe('Okta organization URL, https://. Required. The API token is directorySecret.'),
  })
  .describe('Okta: directoryType 3, section directoryOkta.');

export const oneloginBlock = z
  .strictObject({
    type: z.literal('onelogin'),
    clientId: text('API client id. Required. The client secret is directorySecret.'),
    region: z.enum(['us', 'eu'], 'expected us or eu').optional().describe('API region: us (default) or eu.'),
  })
  .describe('OneLogin: directoryType 4, section directoryOnelogin.');

export const directoryBlock = z
  .discriminatedUnion('type', [ldapBlock, entraBlock, googleBlock, oktaBlock, oneloginBlock], {
    error: 'expected type: ldap, entra, google, okta or onelogin',
  })
  .describe(
    "The directory to sync from, instead of a data.json template. Field names are bwdc's own data.json names. The secret stays in directorySecret.",
  );

/** Fields of `sync` that bwdc reads only for LDAP. */
export const ldapOnlySyncFields = [
  'userObjectClass',
  'groupObjectClass',
  'userPath',
  'groupPath',
  'groupNameAttribute',
  'userEmailAttribute',
  'memberAttribute',
  'useEmailPrefixSuffix',
  'emailPrefixAttribute',
  'emailSuffix',
  'creationDateAttribute',
  'revisionDateAttribute',
] as const;

export const syncBlock = z
  .strictObject({
    users: env(flag('Sync users. Default false.'), 'BWDC_SYNC_USERS'),
    groups: env(flag('Sync groups. Default false.'), 'BWDC_SYNC_GROUPS'),
    interval: z
      .number()
      .int('expected a whole number of minutes')
      .min(5, 'expected 5 minutes or more (bwdc raises anything lower to 5)')
      .optional()
      .describe("bwdc's own sync interval in minutes (desktop app only; the runner's schedule decides). Default 5."),
    userFilter: env(
      text('Which users: an LDAP filter for ldap, include:/exclude: lists for the others.'),
      'BWDC_SYNC_USER_FILTER',
    ),
    groupFilter: env(
      text('Which groups: an LDAP filter for ldap, include:/exclude: lists for the others.'),
      'BWDC_SYNC_GROUP_FILTER',
    ),
    removeDisabled: flag('Remove members disabled in the directory from the organization. Default false.'),
    overwriteExisting: flag(
      "Replace the organization's directory-managed members and groups with exactly what this sync finds: members not found are removed. Default false.",
    ),
    largeImport: flag('Send big imports in chunks (more than 2,000 users). Default false.'),
    inviteUsersAfterProvisioning: flag(
      'Invite new members by e-mail. Default true (as bwdc always did). false: with the ' +
        "server's staged-users feature, new members are created staged and get no invitation; " +
        'honoured by bwdc releases after v2026.6.1 only (v2026.6.1 never sends it: the server ' +
        'invites; docs/guard-rails.md).',
    ),
    userObjectClass: text('LDAP: object class of users. Default person.'),
    groupObjectClass: text('LDAP: object class of groups. Default group.'),
    userPath: text('LDAP: where users are, relative to rootPath, e.g. ou=People.'),
    groupPath: text('LDAP: where groups are, relative to rootPath, e.g. ou=Groups.'),
    groupNameAttribute: text('LDAP: attribute with the group name. Default name.'),
    userEmailAttribute: text('LDAP: attribute with the e-mail address. Default mail.'),
    memberAttribute: text("LDAP: attribute listing a group's members. Default member."),
    useEmailPrefixSuffix: flag('LDAP: build e-mail addresses from emailPrefixAttribute + emailSuffix. Default false.'),
    emailPrefixAttribute: text('LDAP: attribute for the address prefix. Default sAMAccountName.'),
    emailSuffix: text('LDAP: the address suffix, e.g. @corp.example.'),
    creationDateAttribute: text('LDAP: attribute with the creation date. Default whenCreated.'),
    revisionDateAttribute: text('LDAP: attribute with the change date (delta syncs). Default whenChanged.'),
  })
  .describe("What to sync and how: bwdc's data.json `sync` section.");

export type DirectoryBlock = z.infer<typeof directoryBlock>;
export type SyncBlock = z.infer<typeof syncBlock>;

/** The fields of a directory type's block (by its name), or of `sync`. */
function shapeOf(of: string): Record<string, z.ZodType> {
  return of === 'sync'
    ? syncBlock.shape
    : (directoryBlock.def.options.find((b) => b.shape.type.value === of)?.shape ?? {});
}

/**
 * A data.json section read as the fields of a block: `of` is a directory type's name or 'sync'.
 * `fields`: the set values (no null, '' or undefined) of keys the block knows, `type` and `skip`
 * left out; `unknown`: the other set keys. A non-LDAP type's sync leaves the LDAP-only sync fields out
 * (a desktop export carries them for every type; bwdc ignores them there). Values are not checked.
 */
export function readSection(
  from: Record<string, unknown>,
  of: string,
  o: { skip?: string; directoryType?: string } = {},
): { fields: Record<string, unknown>; unknown: string[] } {
  const shape = shapeOf(of);
  const fields: Record<string, unknown> = {};
  const unknown: string[] = [];
  for (const [k, v] of Object.entries(from)) {
    if (v === null || v === undefined || v === '' || k === 'type' || k === o.skip) continue;
    if (!Object.hasOwn(shape, k)) unknown.push(k);
    else if (of === 'sync' && o.directoryType !== 'ldap' && (ldapOnlySyncFields as readonly string[]).includes(k))
      continue;
    else fields[k] = v;
  }
  return { fields, unknown };
}

/** Whether `value` is of the kind the block's field `key` takes (`of` as in readSection). */
export function fitsField(of: string, key: string, value: unknown): boolean {
  return shapeOf(of)[key]?.safeParse(value).success ?? false;
}
