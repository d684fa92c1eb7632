// The rules of single values no schema can express: a cron expression that fires, a known time zone,
// a server, a URL or a secret reference. Each answers undefined (fine) or why not.
import { Cron } from 'croner';
import { errorMessage } from '../errors.js';
import { parseSecretRef, secretSchemeList } from '../shared/secret-ref.js';
import { isLiteralUrl } from '../notify/decide.js';

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

/** A notification or heartbeat URL: a literal http(s) URL or a secret reference (URLs carry tokens). */
export function urlProblem(text: string): string | undefined {
  if (isLiteralUrl(text)) {
    try {
      new URL(text);
      return undefined;
    } catch {
      return 'is not a valid URL';
    }
  }
  const expected = `expected an http(s) URL or a secret reference (${secretSchemeList})`;
  try {
    return parseSecretRef(text).kind === 'literal' ? expected : undefined;
  } catch {
    return expected;
  }
}

/** `us`, `eu` or an http(s) URL -> the server's base URL ('' is the US cloud), or undefined when invalid. */
export function serverUrl(value: string): string | undefined {
  const key = value.toLowerCase();
  if (Object.hasOwn(cloudServers, key)) return cloudServers[key];
  try {
    const u = new URL(value);
    return u.protocol === 'https:' || u.protocol === 'http:' ? value.replace(/\/+$/, '') : undefined;
  } catch {
    return undefined;
  }
}
