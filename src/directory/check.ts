// The checks no schema can express, on merged blocks and on data.json templates. Each problem names
// the field (a path under the instance) and what is expected; messages never quote a secret.
import { accessSync, constants } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import {
  directoryBlock,
  fitsField,
  ldapOnlySyncFields,
  readSection,
  syncBlock,
  type DirectoryBlock,
  type SyncBlock,
} from './schema.js';
// ldapts's RFC 4515 parser (ldapts is a maintained LDAP client); the bundle keeps only the parser.
import { FilterParser } from 'ldapts';
import { directoryKind, directoryKindNamed, storedSecurelyPlaceholder } from './types.js';

export interface Problem {
  /** The field, relative to the instance: ['directory', 'port']. */
  path: (string | number)[];
  message: string;
}

/** Undefined when `filter` is a well-formed LDAP filter, else why not. */
export function ldapFilterProblem(filter: string): string | undefined {
  const f = filter.trim();
  if (!f.startsWith('(') || !f.endsWith(')'))
    return 'expected an LDAP filter in parentheses, e.g. (objectClass=person)';
  // Values escape parentheses as \28 and \29 (RFC 4515), so raw ones must balance.
  let depth = 0;
  for (const c of f) {
    depth += c === '(' ? 1 : c === ')' ? -1 : 0;
    if (depth < 0) break;
  }
  if (depth !== 0) return 'unbalanced parentheses';
  try {
    FilterParser.parseString(f);
    return undefined;
  } catch (err) {
    return (err as Error).message.replace(/\.$/, '');
  }
}

const readable = (p: string, baseDir: string): boolean => {
  try {
    accessSync(isAbsolute(p) ? p : resolve(baseDir, p), constants.R_OK);
    return true;
  } catch {
    return false;
  }
};

/**
 * Merged blocks, before rendering. `hasSecret`: the instance sets directorySecret. `baseDir`: where
 * relative CA paths are looked up (bwdc gets them as written).
 */
export function checkBlocks(block: DirectoryBlock, sync: SyncBlock, hasSecret: boolean, baseDir: string): Problem[] {
  const problems: Problem[] = [];
  const need = (field: string, what: string) => {
    if ((block as Record<string, unknown>)[field] === undefined)
      problems.push({ path: ['directory', field], message: `required for type ${block.type}: ${what}` });
  };
  const kind = directoryKindNamed(block.type)!;
  switch (block.type) {
    case 'ldap':
      need('hostname', 'the LDAP server host name');
      need('port', 'the LDAP server port (389, or 636 with ssl)');
      if (block.ssl && block.startTls)
        problems.push({
          path: ['directory', 'startTls'],
          message: 'ssl and startTls are both true; use ssl (LDAPS, usually port 636) or startTls (port 389), not both',
        });
      for (const field of ['tlsCaPath', 'sslCaPath', 'sslCertPath', 'sslKeyPath'] as const) {
        const p = block[field];
        if (p !== undefined && !readable(p, baseDir))
          problems.push({ path: ['directory', field], message: `"${p}" cannot be read; expected a readable PEM file` });
      }
      if (block.username !== undefined && !block.currentUser && !hasSecret)
        problems.push({
          path: ['directorySecret'],
          message: `required with directory.username: a reference to ${kind.secretLabel}`,
        });
      for (const field of ['userFilter', 'groupFilter'] as const) {
        const f = sync[field];
        const why = f === undefined ? undefined : ldapFilterProblem(f);
        if (why) problems.push({ path: ['sync', field], message: `not a valid LDAP filter: ${why}` });
      }
      break;
    case 'entra':
      need('tenant', 'the Directory (tenant) ID, a GUID');
      need('applicationId', 'the Application (client) ID, a GUID');
      break;
    case 'google':
      need('clientEmail', "the service account's e-mail address");
      need('adminUser', "a Workspace administrator's e-mail address");
      need('domain', 'the Workspace domain');
      break;
    case 'okta':
      need('orgUrl', 'the Okta organization URL, https://...');
      break;
    case 'onelogin':
      need('clientId', 'the API client id');
      break;
  }
  if (block.type !== 'ldap') {
    for (const field of ldapOnlySyncFields)
      if (sync[field] !== undefined)
        problems.push({ path: ['sync', field], message: `an LDAP setting; type ${block.type} does not read it` });
    if (!hasSecret)
      problems.push({
        path: ['directorySecret'],
        message: `required for type ${block.type}: a reference to ${kind.secretLabel}`,
      });
  }
  return problems;
}

/** What a template can hold in place of a secret: the desktop app's export marker and hand-written stand-ins. */
export function isSecretPlaceholder(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  const v = value.trim();
  return (
    v.toUpperCase() === storedSecurelyPlaceholder ||
    /^\*{3,}$/.test(v) ||
    /^<[^<>]*>$/.test(v) ||
    /^\$\{[^}]*\}$/.test(v) ||
    /^(changeme|change_me|change-me|replace_?me|xxx+|todo|secret|password)$/i.test(v)
  );
}

export interface TemplateFindings {
  errors: string[];
  warnings: string[];
}

/**
 * A data.json template: the layout (flat, v2026.6+), the stateVersion, and the secret field of the
 * active directory type. `hasSecret`: the instance sets directorySecret, which replaces that field
 * at every run (a desktop export's placeholder there is then harmless).
 */
export function checkTemplate(
  data: Record<string, unknown>,
  hasSecret: boolean,
  baseDir = process.cwd(),
): TemplateFindings {
  const errors: string[] = [];
  const warnings: string[] = [];
  if ('authenticatedAccounts' in data || 'activeUserId' in data) {
    errors.push(
      'is in the nested layout of bwdc before 2026.6 (authenticatedAccounts, activeUserId): open it once ' +
        'with bwdc 2026.6 or later (which migrates it in place) and use the migrated file, ' +
        'or better, convert it with "bwdc-runner config import PATH" into a directory block',
    );
    return { errors, warnings };
  }
  const version = data.stateVersion;
  if (version === undefined || version === null) {
    warnings.push(
      'has no stateVersion: bwdc 2026.6 stamps 6 and carries on, but the next bwdc release takes such a file ' +
        "as new, leaves sync.inviteUsersAfterProvisioning unset (false) and, with the server's staged-users " +
        'feature, creates new members "Staged" without an invitation; add "stateVersion": 6 and ' +
        '"inviteUsersAfterProvisioning": true to sync (or use a directory block, which writes both)',
    );
  } else if (typeof version !== 'number' || version < 5) {
    errors.push(
      `has stateVersion ${JSON.stringify(version)}; bwdc refuses anything below 5 ("too ` +
        `old to migrate"): use a data.json from bwdc 2026.6 or later, or a directory block`,
    );
  }
  const kind = directoryKind(typeof data.directoryType === 'number' ? data.directoryType : undefined);
  if (data.directoryType != null && !kind)
    errors.push(
      `has directoryType ${JSON.stringify(data.directoryType)}, a type that bwdc does not know; ` +
        'expected 0 LDAP, 1 Entra ID, 2 Google Workspace, 3 Okta or 4 OneLogin',
    );
  if (kind && !hasSecret) {
    const [section, field] = kind.path;
    const value = (data[section] as Record<string, unknown> | undefined)?.[field];
    if (isSecretPlaceholder(value))
      errors.push(
        `${section}.${field} holds a placeholder (as a desktop export writes in place of ${kind.secretLabel}), ` +
          `which bwdc would use literally: set directorySecret to a reference to the real secret`,
      );
  }
  // The checks of a directory block where they apply: what bwdc needs in the active section, TLS
  // settings, LDAP filters. Read as `config import` reads it, so a template is judged as its block would be.
  if (kind) {
    // A template may hold extras and values of the wrong kind: judge what a block would take.
    const known = (from: unknown, of: string) =>
      Object.fromEntries(
        Object.entries(
          readSection((from ?? {}) as Record<string, unknown>, of, { directoryType: kind.name }).fields,
        ).filter(([k, v]) => fitsField(of, k, v)),
      );
    const block = directoryBlock.safeParse({ type: kind.name, ...known(data[kind.section], kind.name) });
    const syncFields = known(data.sync, 'sync');
    const sync = syncBlock.safeParse(syncFields);
    if (block.success && sync.success) {
      for (const p of checkBlocks(block.data, sync.data, true, baseDir)) {
        const field = p.path[0] === 'directory' ? [kind.section, ...p.path.slice(1)] : p.path;
        errors.push(`${field.join('.')}: ${p.message}`);
      }
    }
  }
  return { errors, warnings };
}
