// Merges the layers of one instance (environment < file defaults < the instance itself), applies
// the rules no schema can express, and returns a normalized InstanceConfig or the list of problems.
import { isAbsolute, join, resolve } from 'node:path';
import { Cron } from 'croner';
import { errorMessage } from '../errors.js';
import { parseSecretRef } from '../shared/secret-ref.js';
import { formatDuration, parseDuration } from '../shared/duration.js';
import { dotPath, type Locate, type PathKey } from './issues.js';
import type { DataJsonTemplate, InstanceConfig } from './model.js';
import { builtinDefaults, instanceNamePattern, instanceNameProblem, type RawInstanceSettings } from './schema.js';
import { templateFromText, parseJsonQuietly } from './template.js';
import type { DirectoryBlock, SyncBlock } from '../directory/schema.js';
import { checkBlocks, checkTemplate } from '../directory/check.js';
import { renderDataJsonText } from '../directory/render.js';
import { defaultGuard } from '../plan/guard.js';
import { isLiteralUrl, type NotifyTarget } from '../notify/decide.js';

export interface Layer {
  values: RawInstanceSettings;
  locate: Locate;
  /** Folder that relative paths in this layer are relative to. */
  baseDir: string;
  /** How the layer's fields are named in messages: ['defaults'], ['instances', 2], or [] for the environment. */
  label: PathKey[];
}

export const clientIdPattern = /^organization\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const cloudServers: Record<string, string> = {
  us: '',
  eu: 'https://vault.bitwarden.eu',
};

// Remembered: building an Intl formatter is costly, and many instances share a handful of zones.
const timezoneValidity = new Map<string, boolean>();

export function isValidTimezone(tz: string): boolean {
  let valid = timezoneValidity.get(tz);
  if (valid === undefined) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: tz });
      valid = true;
    } catch {
      valid = false;
    }
    timezoneValidity.set(tz, valid);
  }
  return valid;
}

/** Undefined when valid, else why not. */
export function cronProblem(expr: string, timezone?: string): string | undefined {
  const fields = expr.trim().split(/\s+/);
  if (!expr.trim().startsWith('@') && (fields.length < 5 || fields.length > 6)) {
    return `expected 5 fields (minute hour day month weekday) or 6 (seconds first), got ${fields.length}`;
  }
  try {
    const job = new Cron(expr, { timezone, paused: true });
    const next = job.nextRun();
    job.stop();
    if (!next) return 'it never fires';
    return undefined;
  } catch (err) {
    return errorMessage(err).replace(/^CronPattern: /, '');
  }
}

/** The shortest gap between a schedule's next runs (over a week of them, at most 50). */
export function shortestIntervalMs(expr: string, timezone?: string): number | undefined {
  const job = new Cron(expr, { timezone, paused: true });
  const runs = job.nextRuns(50, new Date());
  job.stop();
  let shortest: number | undefined;
  for (let i = 1; i < runs.length; i++) {
    const gap = runs[i]!.getTime() - runs[i - 1]!.getTime();
    if (shortest === undefined || gap < shortest) shortest = gap;
  }
  return shortest;
}

interface Picked<T> {
  value: T | undefined;
  where: string;
  layer: Layer | undefined;
  /** The field as named in the layer it came from. */
  path: PathKey[];
}

function pick<T>(layers: readonly Layer[], path: PathKey[]): Picked<T> {
  for (let i = layers.length - 1; i >= 0; i--) {
    const layer = layers[i]!;
    let v: unknown = layer.values;
    for (const k of path) v = v === undefined || v === null ? undefined : (v as Record<PathKey, unknown>)[k];
    if (v !== undefined) return { value: v as T, where: layer.locate(path), layer, path: [...layer.label, ...path] };
  }
  return { value: undefined, where: 'default', layer: undefined, path };
}

/**
 * A block merged over the layers, field by field (defaults give some fields, the instance the rest).
 * A `directory` of another type than the layers below it replaces theirs whole.
 */
function mergeBlock<T extends object>(layers: readonly Layer[], key: 'directory' | 'sync'): T | undefined {
  let merged: Record<string, unknown> | undefined;
  for (const layer of layers) {
    const v = layer.values[key] as Record<string, unknown> | undefined;
    if (v === undefined) continue;
    merged = key === 'directory' && merged && merged.type !== v.type ? { ...v } : { ...merged, ...v };
  }
  return merged as T | undefined;
}

export interface InstanceInput {
  name: string;
  nameWhere: string;
  /** Lowest precedence first; the last is the instance's own (where its template was given, if any). */
  layers: readonly Layer[];
  /** The template, the problem reading it (with where it was set), or none (a directory block then). */
  template: DataJsonTemplate | { problem: string; where: string } | undefined;
  stateDir: string;
  origin: string;
  /** Prefix for messages: "instances[2]" or "instance default". */
  label: PathKey[];
}

/** The instance's directory block, checked and rendered into the data.json bwdc gets. */
function renderDirectory(input: InstanceInput, hasSecret: boolean, errors: string[]): DataJsonTemplate | undefined {
  const block = mergeBlock<DirectoryBlock>(input.layers, 'directory');
  const sync = mergeBlock<SyncBlock>(input.layers, 'sync') ?? {};
  const where = pick(input.layers, ['directory']);
  if (!block) {
    errors.push(
      `${dotPath([...input.label, 'directory'])} (${input.origin}): required: a directory block (type: ldap, ` +
        `entra, google, okta or onelogin, and its settings) or a data.json template (dataJson, BWDC_DATA_JSON, or a data.json in the instance's folder)`,
    );
    return undefined;
  }
  const problems = checkBlocks(block, sync, hasSecret, where.layer?.baseDir ?? process.cwd());
  for (const p of problems) {
    const set = pick(input.layers, p.path);
    const field = set.layer ? set.path : [...input.label, ...p.path];
    const parent = pick(input.layers, [p.path[0]!]);
    const loc = set.layer ? set.where : parent.layer ? parent.where : input.origin;
    errors.push(`${dotPath(field)} (${loc}): ${p.message}`);
  }
  if (problems.length) return undefined;
  const rendered = templateFromText(renderDataJsonText(block, sync), `the directory block (${where.where})`);
  return { ...rendered, rendered: true };
}

export function normalizeInstance(
  input: InstanceInput,
  errors: string[],
  warnings: string[] = [],
): InstanceConfig | undefined {
  const before = errors.length;
  const at = (field: PathKey[], where: string, msg: string) =>
    errors.push(`${dotPath([...input.label, ...field])} (${where}): ${msg}`);
  // A value that came from a shared layer (defaults, environment) is named as it is written there.
  const atValue = (p: Picked<unknown>, msg: string) =>
    errors.push(`${dotPath(p.layer ? p.path : [...input.label, ...p.path])} (${p.where}): ${msg}`);

  if (!instanceNamePattern.test(input.name)) {
    at(['name'], input.nameWhere, instanceNameProblem(input.name));
  }
  const own = input.layers[input.layers.length - 1];
  const directorySecretSet = pick<string>(input.layers, ['directorySecret']).value !== undefined;
  let template: DataJsonTemplate | undefined;
  if (input.template && 'problem' in input.template) at(['dataJson'], input.template.where, input.template.problem);
  else if (input.template) {
    template = input.template;
    for (const key of ['directory', 'sync'] as const) {
      if (own?.values[key] !== undefined)
        at(
          [key],
          own.locate([key]),
          `set either a directory block or a data.json template (${template.origin}), not both`,
        );
    }
    const findings = checkTemplate(
      parseJsonQuietly(template.text) as Record<string, unknown>,
      directorySecretSet,
      own?.baseDir,
    );
    for (const e of findings.errors) at(['dataJson'], template.origin, `${template.origin} ${e}`);
    for (const w of findings.warnings)
      warnings.push(`${dotPath([...input.label, 'dataJson'])} (${template.origin}): ${w}`);
  } else template = renderDirectory(input, directorySecretSet, errors);

  const clientId = pick<string>(input.layers, ['clientId']);
  if (clientId.value === undefined)
    at(['clientId'], 'BW_CLIENTID or clientId', 'required: the organization API key client id, organization.<uuid>');
  else if (!clientIdPattern.test(clientId.value))
    atValue(
      clientId,
      `"${clientId.value}" is not a valid client id; expected organization.<uuid> (Admin Console > Settings > Organization info > API key)`,
    );

  const clientSecret = pick<string>(input.layers, ['clientSecret']);
  if (clientSecret.value === undefined)
    at(
      ['clientSecret'],
      'BW_CLIENTSECRET, BW_CLIENTSECRET_FILE or clientSecret',
      'required: the organization API key client secret, or a reference to it',
    );
  for (const [_field, p] of [
    ['clientSecret', clientSecret],
    ['directorySecret', pick<string>(input.layers, ['directorySecret'])],
  ] as const) {
    if (p.value === undefined) continue;
    try {
      parseSecretRef(p.value);
    } catch (err) {
      atValue(p, errorMessage(err));
    }
  }
  const directorySecret = pick<string>(input.layers, ['directorySecret']);
  if (directorySecret.value !== undefined && template && template.directoryType === undefined) {
    atValue(
      directorySecret,
      `a directory secret is set but ${template.origin} has no directoryType (0 LDAP, 1 Entra ID, 2 Google Workspace, 3 Okta, 4 OneLogin)`,
    );
  } else if (
    directorySecret.value !== undefined &&
    template &&
    (template.directoryType! < 0 || template.directoryType! > 4)
  ) {
    atValue(directorySecret, `${template.origin} has directoryType ${template.directoryType}; expected 0 to 4`);
  }

  const timezone = pick<string>(input.layers, ['timezone']);
  if (timezone.value !== undefined && !isValidTimezone(timezone.value)) {
    atValue(
      timezone,
      `"${timezone.value}" is not a known time zone; expected an IANA name such as Europe/Berlin or UTC`,
    );
  }
  const schedule = pick<string>(input.layers, ['schedule']);
  if (schedule.value !== undefined) {
    const tzOk = timezone.value === undefined || isValidTimezone(timezone.value);
    const problem = cronProblem(schedule.value, tzOk ? timezone.value : undefined);
    if (problem)
      atValue(schedule, `"${schedule.value}" is not a valid cron expression: ${problem}; e.g. "0 */6 * * *"`);
  }

  const server = pick<string>(input.layers, ['server']);
  let serverUrl: string | undefined;
  if (server.value !== undefined) {
    const key = server.value.toLowerCase();
    if (key in cloudServers) serverUrl = cloudServers[key];
    else {
      try {
        const u = new URL(server.value);
        if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error('protocol');
        serverUrl = server.value.replace(/\/+$/, '');
      } catch {
        atValue(server, `"${server.value}" is not a server; expected us, eu or an http(s) URL of a self-hosted server`);
      }
    }
  }

  const durationField = (path: PathKey[], fallback: string, min = 0): number => {
    const p = pick<string | number>(input.layers, path);
    const ms = parseDuration(p.value ?? fallback);
    if (ms === undefined || ms < min) {
      atValue(p, `"${p.value}" is not a valid duration${min ? ' above zero' : ''}; expected e.g. 90s, 15m or 1h`);
      return 0;
    }
    return ms;
  };
  const timeoutMs = durationField(['timeout'], builtinDefaults.timeout, 1);
  const backoffMs = durationField(['retry', 'backoff'], builtinDefaults.retryBackoff);
  const maxBackoffMs = durationField(['retry', 'maxBackoff'], builtinDefaults.retryMaxBackoff);
  const attempts = pick<number>(input.layers, ['retry', 'attempts']).value ?? builtinDefaults.retryAttempts;
  const spreadMs = durationField(['spread'], '0');
  if (spreadMs > 0 && schedule.value !== undefined && errors.length === before) {
    // Each run is delayed by up to the spread: at the interval or beyond, a run is still going (or
    // waiting) at the next tick, which is then skipped as an overlap: half the runs silently lost.
    const interval = shortestIntervalMs(schedule.value, timezone.value);
    if (interval !== undefined && spreadMs >= interval) {
      atValue(
        pick(input.layers, ['spread']),
        `${formatDuration(spreadMs)} is not shorter than the schedule's interval (${formatDuration(interval)}): ` +
          `every other run would be skipped; use a spread below ${formatDuration(interval)}`,
      );
    }
  }
  const jitterMs = durationField(['jitter'], '0');
  const staleAfter = pick<number>(input.layers, ['staleAfter']).value ?? builtinDefaults.staleAfter;

  // Notification targets and the heartbeat: URLs are secrets (they carry tokens), so a reference or a
  // literal http(s) URL; never echoed in a message.
  const urlProblem = (text: string): string | undefined => {
    if (isLiteralUrl(text)) {
      try {
        new URL(text);
        return undefined;
      } catch {
        return 'is not a valid URL';
      }
    }
    const expected = 'expected an http(s) URL or a secret reference (vault://, awssm://, bws://, file://, env://)';
    try {
      return parseSecretRef(text).kind === 'literal' ? expected : undefined;
    } catch {
      return expected;
    }
  };
  const notifyPicked = pick<Array<{ url: string; format?: string; on?: string[]; after?: number }>>(input.layers, [
    'notify',
  ]);
  const notify = (notifyPicked.value ?? []).map((t, i) => {
    const problem = urlProblem(t.url);
    if (problem)
      errors.push(
        // A target list comes from a layer (picked.path names it there): notify[i].url as written.
        `${dotPath([...notifyPicked.path, i, 'url'])} (${notifyPicked.where}): ${problem}`,
      );
    const format = (t.format ?? 'json') as NotifyTarget['format'];
    return Object.freeze({
      url: t.url,
      format,
      on: Object.freeze((t.on ?? ['failure', 'recovery']) as NotifyTarget['on'][number][]),
      after: t.after ?? 1,
      label: `${format}-${i}`,
    });
  });
  const heartbeat = pick<string>(input.layers, ['heartbeat']);
  if (heartbeat.value !== undefined) {
    const problem = urlProblem(heartbeat.value);
    if (problem) atValue(heartbeat, problem);
  }

  const logFile = pick<boolean | string>(input.layers, ['logFile']);
  let logFilePath: string | undefined;
  if (logFile.value === true) logFilePath = join(input.stateDir, input.name, 'bwdc.log');
  else if (typeof logFile.value === 'string')
    logFilePath = isAbsolute(logFile.value) ? logFile.value : resolve(logFile.layer!.baseDir, logFile.value);

  if (errors.length > before || !template) return undefined;
  return Object.freeze({
    name: input.name,
    dataJson: template,
    schedule: schedule.value,
    timezone: timezone.value,
    clientId: clientId.value!,
    clientSecret: clientSecret.value!,
    directorySecret: directorySecret.value,
    server: serverUrl,
    timeoutMs,
    login: pick<'runner' | 'bwdc'>(input.layers, ['login']).value ?? 'runner',
    retry: Object.freeze({ attempts, backoffMs, maxBackoffMs }),
    guard: Object.freeze({
      maxRemovals: pick<number | string>(input.layers, ['guard', 'maxRemovals']).value,
      refuseEmptyDirectory:
        pick<boolean>(input.layers, ['guard', 'refuseEmptyDirectory']).value ?? defaultGuard.refuseEmptyDirectory,
      requireSeats: pick<boolean>(input.layers, ['guard', 'requireSeats']).value ?? defaultGuard.requireSeats,
      always: pick<boolean>(input.layers, ['guard', 'always']).value ?? defaultGuard.always,
    }),
    notify: Object.freeze(notify),
    heartbeat: heartbeat.value,
    logFile: logFilePath,
    spreadMs,
    jitterMs,
    staleAfter,
    origin: input.origin,
  });
}
