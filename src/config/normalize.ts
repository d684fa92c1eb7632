// The normalize stage: one instance's merged layers -> a frozen InstanceConfig, with the rules no single
// value's schema can express (a cron that fires in its time zone, the directory checks, what is required). Each part is a function of
// its own; all report into one InstanceProblems, so every problem of the instance is found in one pass.
import { isAbsolute, join, resolve } from 'node:path';
import { formatDuration } from '../shared/duration.js';
import { dotPath, type PathKey } from './issues.js';
import { computedSettings, type DataJsonTemplate, type InstanceConfig, type PlainSettings } from './model.js';
import { defaultsSchema, guardSchema, instanceNamePattern, instanceNameProblem } from './schema.js';
import { templateFromText, parseJsonQuietly } from './template.js';
import { InstanceProblems, mergeBlock, pick, type Layer } from './pick.js';
import { cronProblem, serverUrl, shortestIntervalMs } from './rules.js';
import { resolveH } from '../shared/cron-hash.js';
import type { DirectoryBlock, SyncBlock } from '../directory/schema.js';
import { checkBlocks, checkTemplate } from '../directory/check.js';
import { renderDataJsonText } from '../directory/render.js';
import type { GuardSettings } from '../plan/guard.js';
import type { NotifyTarget } from '../notify/decide.js';

export { cronProblem, isValidTimezone, shortestIntervalMs } from './rules.js';
export type { Layer } from './pick.js';

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

type Problems = InstanceProblems;

/** The instance's directory block, checked and rendered into the data.json bwdc gets. */
function renderDirectory(input: InstanceInput, hasSecret: boolean, out: Problems): DataJsonTemplate | undefined {
  const block = mergeBlock<DirectoryBlock>(input.layers, 'directory');
  const sync = mergeBlock<SyncBlock>(input.layers, 'sync') ?? {};
  const where = pick(input.layers, ['directory']);
  if (!block) {
    out.at(
      ['directory'],
      input.origin,
      'required: a directory block (type: ldap, entra, google, okta or onelogin, and its settings) ' +
        "or a data.json template (dataJson, BWDC_DATA_JSON, or a data.json in the instance's folder)",
      [['dataJson']],
    );
    return undefined;
  }
  const problems = checkBlocks(block, sync, hasSecret, where.layer?.baseDir ?? process.cwd());
  for (const p of problems) {
    const set = pick(input.layers, p.path);
    const parent = pick(input.layers, [p.path[0]!]);
    if (set.layer) out.atValue(set, p.message, p.path);
    else out.at(p.path, parent.layer ? parent.where : input.origin, p.message);
  }
  if (problems.length) return undefined;
  const rendered = templateFromText(renderDataJsonText(block, sync), `the directory block (${where.where})`);
  return { ...rendered, rendered: true };
}

/** The data.json bwdc gets: the instance's template (checked), or its directory block rendered. */
function dataJsonOf(input: InstanceInput, directorySecretSet: boolean, out: Problems): DataJsonTemplate | undefined {
  const own = input.layers[input.layers.length - 1];
  const given = input.template;
  if (given && 'problem' in given) {
    out.at(['dataJson'], given.where, given.problem);
    return undefined;
  }
  if (!given) return renderDirectory(input, directorySecretSet, out);
  for (const key of ['directory', 'sync'] as const) {
    if (own?.values[key] !== undefined)
      out.at(
        [key],
        own.locate([key]),
        `set either a directory block or a data.json template (${given.origin}), not both`,
      );
  }
  const data = parseJsonQuietly(given.text) as Record<string, unknown>;
  const findings = checkTemplate(data, directorySecretSet, own?.baseDir);
  for (const e of findings.errors) out.at(['dataJson'], given.origin, `${given.origin} ${e}`);
  for (const w of findings.warnings) out.warn(['dataJson'], given.origin, w);
  return given;
}

/** The API key, and the secrets as references (parsed now, resolved at every run). */
function credentialsOf(
  layers: readonly Layer[],
  template: DataJsonTemplate | undefined,
  out: Problems,
  needed: boolean,
) {
  const clientId = pick<string>(layers, ['clientId']);
  if (clientId.value === undefined && needed)
    out.at(
      ['clientId'],
      'BW_CLIENTID or clientId',
      'required: the organization API key client id, organization.<uuid>',
    );
  const clientSecret = pick<string>(layers, ['clientSecret']);
  if (clientSecret.value === undefined && needed)
    out.at(
      ['clientSecret'],
      'BW_CLIENTSECRET, BW_CLIENTSECRET_FILE or clientSecret',
      'required: the organization API key client secret, or a reference to it',
    );
  const directorySecret = pick<string>(layers, ['directorySecret']);
  const type = template?.directoryType;
  if (directorySecret.value !== undefined && template && type === undefined)
    out.atValue(
      directorySecret,
      `a directory secret is set but ${template.origin} has no directoryType (0 LDAP, 1 Entra ID, 2 Google Workspace, 3 Okta, 4 OneLogin)`,
    );
  else if (directorySecret.value !== undefined && template && (type! < 0 || type! > 4))
    out.atValue(directorySecret, `${template.origin} has directoryType ${type}; expected 0 to 4`);
  return { clientId: clientId.value, clientSecret: clientSecret.value, directorySecret: directorySecret.value };
}

/** Schedule (H resolved), time zone, spread and jitter: when the scheduler starts the instance's runs. */
function timingOf(layers: readonly Layer[], name: string, out: Problems) {
  const timezone = pick<string>(layers, ['timezone']);
  const written = pick<string>(layers, ['schedule']);
  // H resolved here, once: the scheduler, /status and the chart's CronJob all see the concrete schedule.
  const key = pick<string>(layers, ['scheduleKey']).value ?? name;
  const resolved = written.value === undefined ? undefined : resolveH(written.value, key);
  const schedule = resolved && 'schedule' in resolved ? resolved.schedule : written.value;
  let problem: string | undefined;
  if (resolved && 'problem' in resolved) {
    problem = resolved.problem;
    out.atValue(written, `"${written.value}" is not a schedule: ${problem}`);
  } else if (schedule !== undefined && (problem = cronProblem(schedule, timezone.value)))
    out.atValue(written, `"${written.value}" is not a valid cron expression: ${problem}; e.g. "0 */6 * * *"`);
  const spreadMs = pick<number>(layers, ['spread']).value!;
  if (spreadMs > 0 && schedule !== undefined && !problem) {
    // Each run is delayed by up to the spread: at the interval or beyond, a run is still going (or
    // waiting) at the next tick, which is then skipped as an overlap: half the runs silently lost.
    const interval = shortestIntervalMs(schedule, timezone.value);
    if (interval !== undefined && spreadMs >= interval)
      out.atValue(
        pick(layers, ['spread']),
        `${formatDuration(spreadMs)} is not shorter than the schedule's interval (${formatDuration(interval)}): ` +
          `every other run would be skipped; use a spread below ${formatDuration(interval)}`,
      );
  }
  const jitterMs = pick<number>(layers, ['jitter']).value!;
  return { schedule, timezone: timezone.value, spreadMs, jitterMs };
}

/** Notification targets (their URLs checked by the schema: secrets, never echoed). */
function notificationsOf(layers: readonly Layer[]) {
  type RawTarget = { url: string; format?: string; on?: string[]; after?: number };
  const notify = (pick<RawTarget[]>(layers, ['notify']).value ?? []).map((t, i) => {
    const format = (t.format ?? 'json') as NotifyTarget['format'];
    return Object.freeze({
      url: t.url,
      format,
      on: Object.freeze((t.on ?? ['failure', 'recovery']) as NotifyTarget['on'][number][]),
      after: t.after ?? 1,
      label: `${format}-${i}`,
    });
  });
  return Object.freeze(notify);
}

function logFileOf(input: InstanceInput): string | undefined {
  const logFile = pick<boolean | string>(input.layers, ['logFile']);
  if (logFile.value === true) return join(input.stateDir, input.name, 'bwdc.log');
  if (typeof logFile.value !== 'string') return undefined;
  return isAbsolute(logFile.value) ? logFile.value : resolve(logFile.layer!.baseDir, logFile.value);
}

function guardOf(layers: readonly Layer[], out: Problems): GuardSettings {
  const always = pick(layers, ['guard', 'always']);
  if (always.layer)
    out.warnings.push(
      `${dotPath(always.path)} (${always.where}): does nothing any more (every import is judged by the gate, docs/guard-rails.md); remove it`,
    );
  const keys = Object.keys(guardSchema.shape).filter((k) => k !== 'always');
  return Object.freeze(
    Object.fromEntries(keys.map((k) => [k, pick(layers, ['guard', k]).value])),
  ) as unknown as GuardSettings;
}

/** The settings used as declared (their value, else their default): a new one needs no code here. */
function plainSettings(layers: readonly Layer[]): PlainSettings {
  const keys = Object.keys(defaultsSchema.shape).filter((k) => !(computedSettings as readonly string[]).includes(k));
  return Object.fromEntries(keys.map((k) => [k, pick(layers, [k]).value])) as PlainSettings;
}

/**
 * `credentials: 'optional'` (config render): the API key and the directory secret may be missing; what
 * is there is still checked.
 */
export function normalizeInstance(
  input: InstanceInput,
  errors: string[],
  warnings: string[] = [],
  credentials: 'required' | 'optional' = 'required',
): InstanceConfig | undefined {
  const { layers } = input;
  const out = new InstanceProblems(layers, input.label, errors, warnings);
  if (!instanceNamePattern.test(input.name)) out.at(['name'], input.nameWhere, instanceNameProblem(input.name));
  const needed = credentials === 'required';
  const secretSet = !needed || pick<string>(layers, ['directorySecret']).value !== undefined;
  const dataJson = dataJsonOf(input, secretSet, out);
  const keys = credentialsOf(layers, dataJson, out, needed);
  const timing = timingOf(layers, input.name, out);
  const server = pick<string>(layers, ['server']).value;
  const retry = Object.freeze({
    attempts: pick<number>(layers, ['retry', 'attempts']).value!,
    backoffMs: pick<number>(layers, ['retry', 'backoff']).value!,
    maxBackoffMs: pick<number>(layers, ['retry', 'maxBackoff']).value!,
  });
  if (out.failed || !dataJson) return undefined;
  return Object.freeze({
    ...plainSettings(layers),
    name: input.name,
    dataJson,
    ...timing,
    clientId: keys.clientId ?? '',
    clientSecret: keys.clientSecret ?? '',
    directorySecret: keys.directorySecret,
    server: server === undefined ? undefined : serverUrl(server),
    timeoutMs: pick<number>(layers, ['timeout']).value!,
    retry,
    guard: guardOf(layers, out),
    notify: notificationsOf(layers),
    heartbeat: pick<string>(layers, ['heartbeat']).value,
    logFile: logFileOf(input),
    origin: input.origin,
  });
}
