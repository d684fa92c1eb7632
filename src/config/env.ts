// The environment variables of docs/design.md "Configuration", read into the same raw shapes the config file
// uses, each value remembering the variable it came from.
import { defaultsSchema, type RawInstanceSettings } from './schema.js';
import type { Locate, PathKey } from './issues.js';
import { issueLines, validate } from './validate.js';

export type Env = Readonly<Record<string, string | undefined>>;

type Kind = 'string' | 'boolean' | 'number';
/** A block's fields -> the variable that sets each, and how its text is read. */
type EnvFields = Record<string, { name: string; kind: Kind }>;
/** The directory block from the environment: the single-instance `docker run` case (others via the file). */
const directoryEnv: EnvFields = {
  type: { name: 'BWDC_DIRECTORY_TYPE', kind: 'string' },
  hostname: { name: 'BWDC_LDAP_HOSTNAME', kind: 'string' },
  port: { name: 'BWDC_LDAP_PORT', kind: 'number' },
  ssl: { name: 'BWDC_LDAP_SSL', kind: 'boolean' },
  rootPath: { name: 'BWDC_LDAP_ROOT_PATH', kind: 'string' },
  username: { name: 'BWDC_LDAP_USERNAME', kind: 'string' },
  ad: { name: 'BWDC_LDAP_AD', kind: 'boolean' },
};
const syncEnv: EnvFields = {
  users: { name: 'BWDC_SYNC_USERS', kind: 'boolean' },
  groups: { name: 'BWDC_SYNC_GROUPS', kind: 'boolean' },
  userFilter: { name: 'BWDC_SYNC_USER_FILTER', kind: 'string' },
  groupFilter: { name: 'BWDC_SYNC_GROUP_FILTER', kind: 'string' },
};

const guardEnv: EnvFields = {
  maxRemovals: { name: 'BWDC_GUARD_MAX_REMOVALS', kind: 'number' },
  maxRemovalsPerDay: { name: 'BWDC_GUARD_MAX_REMOVALS_PER_DAY', kind: 'number' },
  maxMembershipRemovals: { name: 'BWDC_GUARD_MAX_MEMBERSHIP_REMOVALS', kind: 'number' },
  refuseEmptiedGroups: { name: 'BWDC_GUARD_REFUSE_EMPTIED_GROUPS', kind: 'boolean' },
  refuseEmptyDirectory: { name: 'BWDC_GUARD_REFUSE_EMPTY', kind: 'boolean' },
  requireSeats: { name: 'BWDC_GUARD_REQUIRE_SEATS', kind: 'boolean' },
  always: { name: 'BWDC_GUARD_ALWAYS', kind: 'boolean' },
};

/**
 * Notification targets from the environment: BWDC_NOTIFY, a JSON list as in the file (the chart's
 * CronJobs use it), or one target from BWDC_NOTIFY_URL, _FORMAT, _ON (comma-separated), _AFTER.
 */
function notifyFromEnv(env: Env, errors: string[]): unknown {
  const list = val(env, 'BWDC_NOTIFY');
  const url = val(env, 'BWDC_NOTIFY_URL');
  if (list !== undefined && url !== undefined) {
    errors.push('notify (BWDC_NOTIFY, BWDC_NOTIFY_URL): both are set; set only one');
    return undefined;
  }
  // They only shape BWDC_NOTIFY_URL's target: alone they would do nothing, silently.
  const loose = ['BWDC_NOTIFY_FORMAT', 'BWDC_NOTIFY_ON', 'BWDC_NOTIFY_AFTER'].filter((n) => val(env, n) !== undefined);
  if (url === undefined && loose.length)
    errors.push(
      `notify (${loose.join(', ')}): set without BWDC_NOTIFY_URL, so no notification would use it; expected ` +
        'BWDC_NOTIFY_URL as well (the webhook, e.g. env://SLACK_WEBHOOK_URL)' +
        (list === undefined ? '' : ", or the setting inside BWDC_NOTIFY's list"),
    );
  if (list !== undefined) {
    try {
      return JSON.parse(list) as unknown;
    } catch {
      errors.push(
        'notify (BWDC_NOTIFY): not valid JSON; expected a list such as [{"url": "env://SLACK_URL", "format": "slack"}]',
      );
      return undefined;
    }
  }
  if (url === undefined) return undefined;
  const target: Record<string, unknown> = { url };
  const format = val(env, 'BWDC_NOTIFY_FORMAT');
  if (format !== undefined) target.format = format;
  const on = val(env, 'BWDC_NOTIFY_ON');
  if (on !== undefined)
    target.on = on
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean);
  const after = val(env, 'BWDC_NOTIFY_AFTER');
  if (after !== undefined) target.after = typed(after, 'number');
  return [target];
}

/** Typed where the text is unambiguous; anything else is left as text for the schema to name. */
function typed(v: string, kind: Kind): unknown {
  if (kind === 'boolean') return v === 'true' ? true : v === 'false' ? false : v;
  if (kind === 'number') return /^\d+$/.test(v) ? Number(v) : v;
  return v;
}

function block(env: Env, names: EnvFields): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  for (const [field, { name, kind }] of Object.entries(names)) {
    const v = val(env, name);
    if (v !== undefined) out[field] = typed(v, kind);
  }
  return Object.keys(out).length ? out : undefined;
}

/** Instance field -> the variable(s) that set it, for messages. */
export const instanceEnvNames: Record<string, string> = {
  clientId: 'BW_CLIENTID',
  clientSecret: 'BW_CLIENTSECRET',
  directorySecret: 'BWDC_DIRECTORY_SECRET',
  schedule: 'BWDC_SCHEDULE',
  timezone: 'TZ',
  server: 'BW_SERVER',
  timeout: 'BWDC_TIMEOUT',
  login: 'BWDC_LOGIN',
  logFile: 'BWDC_LOG_FILE',
  'retry.attempts': 'BWDC_RETRY_ATTEMPTS',
  'retry.backoff': 'BWDC_RETRY_BACKOFF',
  'retry.maxBackoff': 'BWDC_RETRY_MAX_BACKOFF',
  'guard.maxRemovals': 'BWDC_GUARD_MAX_REMOVALS',
  'guard.maxRemovalsPerDay': 'BWDC_GUARD_MAX_REMOVALS_PER_DAY',
  'guard.maxMembershipRemovals': 'BWDC_GUARD_MAX_MEMBERSHIP_REMOVALS',
  'guard.refuseEmptiedGroups': 'BWDC_GUARD_REFUSE_EMPTIED_GROUPS',
  'guard.refuseEmptyDirectory': 'BWDC_GUARD_REFUSE_EMPTY',
  'guard.requireSeats': 'BWDC_GUARD_REQUIRE_SEATS',
  'guard.always': 'BWDC_GUARD_ALWAYS',
  notify: 'BWDC_NOTIFY or BWDC_NOTIFY_URL',
  heartbeat: 'BWDC_HEARTBEAT_URL',
  spread: 'BWDC_SPREAD',
  jitter: 'BWDC_JITTER',
  staleAfter: 'BWDC_STALE_AFTER',
  ...Object.fromEntries(Object.entries(directoryEnv).map(([k, v]) => [`directory.${k}`, v.name])),
  ...Object.fromEntries(Object.entries(syncEnv).map(([k, v]) => [`sync.${k}`, v.name])),
};

function val(env: Env, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v === '' ? undefined : v;
}

export interface EnvLayer {
  values: RawInstanceSettings;
  locate: Locate;
  errors: string[];
  /** Fields left out as invalid (already reported): later stages say nothing more about them. */
  invalid: PathKey[][];
}

/** A secret given either directly or as NAME_FILE (the Docker secrets convention). */
function secretFromEnv(
  env: Env,
  name: string,
  field: string,
  errors: string[],
  used: Map<string, string>,
): string | undefined {
  const direct = val(env, name);
  const file = val(env, `${name}_FILE`);
  if (direct !== undefined && file !== undefined) {
    errors.push(`${field} (${name}, ${name}_FILE): both are set; set only one`);
    return undefined;
  }
  if (file !== undefined) {
    if (!file.startsWith('/')) {
      errors.push(`${field} (${name}_FILE): expected an absolute path, got "${file}"`);
      return undefined;
    }
    used.set(field, `${name}_FILE`);
    return `file://${file}`;
  }
  if (direct !== undefined) used.set(field, name);
  return direct;
}

export function readEnvLayer(env: Env): EnvLayer {
  const errors: string[] = [];
  const used = new Map<string, string>();
  const raw: Record<string, unknown> = {};
  raw.clientId = val(env, 'BW_CLIENTID');
  raw.clientSecret = secretFromEnv(env, 'BW_CLIENTSECRET', 'clientSecret', errors, used);
  raw.directorySecret = secretFromEnv(env, 'BWDC_DIRECTORY_SECRET', 'directorySecret', errors, used);
  raw.schedule = val(env, 'BWDC_SCHEDULE');
  // glibc's ":/etc/localtime" form of TZ is not an IANA name: leave it to the process default.
  const tz = val(env, 'TZ');
  raw.timezone = tz && !tz.startsWith(':') ? tz : undefined;
  raw.server = val(env, 'BW_SERVER');
  raw.timeout = val(env, 'BWDC_TIMEOUT');
  raw.login = val(env, 'BWDC_LOGIN');
  const logFile = val(env, 'BWDC_LOG_FILE');
  raw.logFile = logFile === undefined ? undefined : typed(logFile, 'boolean');
  raw.spread = val(env, 'BWDC_SPREAD');
  raw.jitter = val(env, 'BWDC_JITTER');
  const stale = val(env, 'BWDC_STALE_AFTER');
  raw.staleAfter = stale !== undefined && /^\d+(\.\d+)?$/.test(stale) ? Number(stale) : stale;
  const retry: Record<string, unknown> = {};
  const attempts = val(env, 'BWDC_RETRY_ATTEMPTS');
  if (attempts !== undefined) retry.attempts = /^\d+$/.test(attempts) ? Number(attempts) : attempts;
  if (val(env, 'BWDC_RETRY_BACKOFF')) retry.backoff = val(env, 'BWDC_RETRY_BACKOFF');
  if (val(env, 'BWDC_RETRY_MAX_BACKOFF')) retry.maxBackoff = val(env, 'BWDC_RETRY_MAX_BACKOFF');
  if (Object.keys(retry).length) raw.retry = retry;
  const directory = block(env, directoryEnv);
  raw.directory = directory;
  if (directory && directory.type === undefined) {
    errors.push(
      `directory (${Object.values(directoryEnv)
        .filter((d) => val(env, d.name) !== undefined)
        .map((d) => d.name)
        .join(', ')}): set BWDC_DIRECTORY_TYPE too (ldap, entra, google, okta or onelogin)`,
    );
    delete raw.directory;
  }
  raw.sync = block(env, syncEnv);
  raw.guard = block(env, guardEnv);
  raw.heartbeat = val(env, 'BWDC_HEARTBEAT_URL');
  raw.notify = notifyFromEnv(env, errors);
  for (const k of Object.keys(raw)) if (raw[k] === undefined) delete raw[k];

  const locate: Locate = (path: readonly PathKey[]) => {
    if (path[0] === 'notify' && path.length > 2 && val(env, 'BWDC_NOTIFY') === undefined)
      return `BWDC_NOTIFY_${String(path[2]).toUpperCase()}`; // one target: BWDC_NOTIFY_URL, _FORMAT, _ON, _AFTER
    if (path[0] === 'notify') return val(env, 'BWDC_NOTIFY') === undefined ? 'BWDC_NOTIFY_URL' : 'BWDC_NOTIFY';
    const field = path.map(String).join('.');
    return used.get(field) ?? instanceEnvNames[field] ?? 'environment';
  };
  // The problems found so far each left a field out (clientSecret, directory, notify): named first in each.
  const leftOut = errors.map((e) => [e.slice(0, e.indexOf(' '))]);
  const checked = validate(defaultsSchema, raw);
  errors.push(...issueLines(checked.issues, locate));
  return { values: checked.value ?? {}, locate, errors, invalid: [...leftOut, ...checked.issues.map((i) => i.path)] };
}
