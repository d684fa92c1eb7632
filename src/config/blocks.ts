// The blocks of an instance's settings (notification targets, retry, guard) and its name's rule,
// declared as schema.ts declares the rest (src/shared/env-setting.ts).
import * as z from 'zod';
import { declare, duration, setting } from '../shared/env-setting.js';
import { parseSecretRef, secretSchemeList } from '../shared/secret-ref.js';
import { errorMessage } from '../errors.js';
import { notifyEvents, notifyFormats } from '../notify/decide.js';
import { maxRemovalsPattern } from '../plan/guard.js';
import { urlProblem } from './rules.js';

const text = z.string().min(1, `expected a secret reference (${secretSchemeList}) or a literal value`);
/** A secret reference, its syntax checked by its scheme's rules now (resolved at every run). */
export const secretRef = text.superRefine((v, ctx) => {
  try {
    parseSecretRef(v);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: errorMessage(err) });
  }
});
/** A webhook or check URL: a literal http(s) URL or a secret reference (URLs carry tokens). */
export const url = text.superRefine((v, ctx) => {
  const problem = urlProblem(v);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/** "a, b or c": the names a message lists, from the list the code uses. */
const oneOf = (names: readonly string[]) => `${names.slice(0, -1).join(', ')} or ${names.at(-1)}`;

/** One target; its variables set the one target of BWDC_NOTIFY_URL (src/config/env.ts). */
export const notifyTarget = z
  .strictObject({
    url: declare(
      url.describe(`The webhook URL, or a secret reference to it (${secretSchemeList}): webhook URLs carry tokens.`),
      { secret: true, env: 'BWDC_NOTIFY_URL' },
    ),
    format: setting(
      z.enum(notifyFormats, `expected ${oneOf(notifyFormats)}`),
      'json (the documented payload), slack (incoming webhook), teams (Workflows webhook). Default json.',
      { env: 'BWDC_NOTIFY_FORMAT' },
    ),
    on: setting(
      z.array(z.enum(notifyEvents, `expected ${oneOf(notifyEvents)}`)).min(1),
      'When (comma-separated in the variable): failure (after `after` consecutive failures, once until a recovery), ' +
        'recovery (the first success after a failure notice), always (every run). Default [failure, recovery].',
      { env: 'BWDC_NOTIFY_ON' },
    ),
    after: setting(z.number().int().min(1).max(1000), 'Consecutive failed runs before the first failure notice.', {
      env: 'BWDC_NOTIFY_AFTER',
      default: 1,
      example: 3,
    }),
  })
  .describe('One notification target.');

/**
 * The one rule for instance names, here, in the Helm chart and in k8s/ (docs/kubernetes.md "Instance
 * names"): a DNS-1123 label of at most 30 characters, because the chart names each instance's CronJob
 * `<release full name>-<instance>`, and Kubernetes allows a CronJob name 52 characters (21 + 1 + 30).
 */
export const instanceNamePattern = /^[a-z0-9]([-a-z0-9]{0,28}[a-z0-9])?$/;
export const instanceNameRule =
  'expected lowercase letters, digits and "-", starting and ending with a letter or digit, at most 30 characters (it names Kubernetes resources)';
/** The one message for a refused name, naming it (the chart's `bwdc-runner.checkName` says the same). */
export const instanceNameProblem = (name: unknown): string =>
  `${JSON.stringify(name)} is not a valid instance name; ${instanceNameRule}`;

export const retry = z
  .strictObject({
    attempts: setting(
      z.number().int().min(0).max(10),
      'Extra attempts after a transient failure (network, server, timeout).',
      { env: 'BWDC_RETRY_ATTEMPTS', default: 2, example: 2 },
    ),
    backoff: setting(duration, 'First backoff; doubled per attempt, with jitter.', {
      env: 'BWDC_RETRY_BACKOFF',
      default: '30s',
    }),
    maxBackoff: setting(duration, 'Upper bound of one backoff.', { env: 'BWDC_RETRY_MAX_BACKOFF', default: '10m' }),
  })
  .describe('Retry policy for transient failures. Never applied to auth, config or secret failures.');

const limit = (doc: string, env: string, percentOf = 'of the members ') =>
  setting(
    z.union([
      z.number().int().min(0),
      z.string().regex(maxRemovalsPattern, `expected a count such as 10 or a percentage ${percentOf}such as "5%"`),
    ]),
    doc,
    { env },
  );
const flag = (doc: string, env: string) => setting(z.boolean(), doc, { env, default: true });

export const guardSchema = z
  .strictObject({
    maxRemovals: limit(
      'Most members one sync may remove: a count, or a percentage of the current members ("5%"). Default: the larger of 10 and 5%.',
      'BWDC_GUARD_MAX_REMOVALS',
    ),
    maxRemovalsPerDay: limit(
      'Most removals in any 24 hours (rolling): the removals the server accepted for this instance in the last ' +
        '24 hours (kept in its state folder) plus this sync\'s; a count or a percentage of the members ("10%"). Default: no day budget.',
      'BWDC_GUARD_MAX_REMOVALS_PER_DAY',
      '',
    ),
    maxMembershipRemovals: limit(
      'Most group memberships one sync may end: a count, or a percentage of the memberships of the ' +
        'organization\'s directory groups ("10%"). Default: no limit.',
      'BWDC_GUARD_MAX_MEMBERSHIP_REMOVALS',
      '',
    ),
    refuseEmptiedGroups: flag(
      'Refuse a sync that would leave a group that had members with none (approve it, or set false).',
      'BWDC_GUARD_REFUSE_EMPTIED_GROUPS',
    ),
    refuseEmptyDirectory: flag(
      'Refuse an import that lists no users and removes someone from an organization that has ' +
        'directory-managed members (a groups-only instance removes nobody and passes).',
      'BWDC_GUARD_REFUSE_EMPTY',
    ),
    requireSeats: flag(
      'Refuse an import whose new members the free seats cannot cover when autoscaling is capped, or ' +
        'when whether the server may autoscale cannot be known (sponsorships, provider billing).',
      'BWDC_GUARD_REQUIRE_SEATS',
    ),
    // Deprecated: read by nobody; load.ts warns that it does nothing. Kept so older configs still load.
    always: setting(
      z.boolean(),
      'Deprecated: does nothing (every import is judged by the gate, docs/guard-rails.md).',
      {
        env: 'BWDC_GUARD_ALWAYS',
      },
    ),
  })
  .describe(
    "Guard rails: every import bwdc sends passes through the runner's import gate, which plans it " +
      'against the organization (Public API) and refuses it, class guard, if it breaks one ' +
      '(docs/guard-rails.md). One-time override: run --allow-removals N.',
  );
