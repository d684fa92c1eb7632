// `check`, per instance: the steps a scheduled sync will take, each tried for real and timed
// (docs/kubernetes.md "check"): secrets resolve; the API key gets a token (the run's own identity request,
// runner/steps/token.ts, no bwdc start); the directory answers (`bwdc test` through the run's pipeline);
// the Public API the import gate reads answers; notification and heartbeat targets resolve and, asked to,
// receive one test message (notify-step.ts). A failed step says its class, its exit code and the fix.
import { setServer } from '../../bwdc/directory.js';
import type { OrgToken } from '../../bitwarden/identity.js';
import { PublicApi, apiUrlOf } from '../../bitwarden/public-api.js';
import type { InstanceConfig } from '../../config/model.js';
import { errorMessage } from '../../errors.js';
import { redactor } from '../../observability/redact.js';
import { duplicatesMessage } from '../../plan/guard.js';
import { OrgModel } from '../../plan/org-model.js';
import { noServerMessage, unreadableServer } from '../../shared/service-urls.js';
import { runInstance } from '../run-instance.js';
import { tokenRequest } from '../steps/token.js';
import type { RunDeps } from '../types.js';
import { notifySteps } from './notify-step.js';
import {
  failed,
  failedWith,
  passed,
  shown,
  skipped,
  type PreflightOptions,
  type SecretCheck,
  type StepReport,
} from './report.js';

export type { PreflightOptions, SecretCheck, StepName, StepReport } from './report.js';

/** The data.json bwdc will be given, as far as the server URLs go: the template with `server` applied. */
function bitwardenData(instance: InstanceConfig): Record<string, unknown> {
  const data = JSON.parse(instance.dataJson.text) as Record<string, unknown>;
  if (instance.server !== undefined) setServer(data, instance.server);
  return data;
}

export async function preflight(
  inst: InstanceConfig,
  deps: RunDeps,
  o: PreflightOptions,
): Promise<{ steps: StepReport[]; secrets: SecretCheck[] }> {
  const { step: secretsStep, secrets, clientSecret } = await resolveSecrets(inst, deps);
  const data = bitwardenData(inst);
  const token = await tokenStep(inst, deps, o, data, clientSecret);
  const unresolved = secrets.some((s) => !s.ok);
  const steps = [secretsStep, token.step];
  // The directory: `bwdc test` through the run pipeline (state folder, data.json, the token above).
  const noKey = inst.login === 'runner' ? !token.token : unresolved;
  if (o.offline) steps.push(skipped('directory', o.offlineWhy ?? '--offline: the directory is not contacted'));
  else if (unresolved || noKey) steps.push(skipped('directory', 'needs the secrets and the token'));
  else steps.push(await directoryStep(inst, deps, o));
  steps.push(await publicApiStep(inst, data, token.token));
  steps.push(...(await notifySteps(inst, deps, o)));
  return { steps, secrets };
}

/** The client secret and the directory secret, each resolved through the run's secret session. */
async function resolveSecrets(
  inst: InstanceConfig,
  deps: RunDeps,
): Promise<{ step: StepReport; secrets: SecretCheck[]; clientSecret: string | undefined }> {
  const started = Date.now();
  const secrets: SecretCheck[] = [];
  let clientSecret: string | undefined;
  for (const [field, text] of [
    ['clientSecret', inst.clientSecret],
    ['directorySecret', inst.directorySecret],
  ] as const) {
    if (text === undefined) continue;
    try {
      const value = await deps.secrets.resolve(text, `${inst.origin} ${field}`);
      if (field === 'clientSecret') clientSecret = value;
      secrets.push({ field, reference: shown(text), ok: true });
    } catch (err) {
      secrets.push({ field, reference: shown(text), ok: false, error: redactor.scrub(errorMessage(err)) });
    }
  }
  const unresolved = secrets.filter((s) => !s.ok);
  const step = unresolved.length
    ? failed('secrets', started, unresolved.map((s) => `${s.field}: ${s.error}`).join('; '), 'secret', inst.name)
    : passed('secrets', started, secrets.map((s) => `${s.field} (${s.reference})`).join(', ') + ' resolved');
  return { step, secrets, clientSecret };
}

/**
 * The token: the identity request a run makes (runner/steps/token.ts tokenRequest), from the identity URL
 * bwdc would use. Tried with login: bwdc too: every sync reads the Public API through the import gate
 * (with bwdc's token), so the key is tried here for it (docs/guard-rails.md).
 */
async function tokenStep(
  inst: InstanceConfig,
  deps: RunDeps,
  o: PreflightOptions,
  data: Record<string, unknown>,
  clientSecret: string | undefined,
): Promise<{ step: StepReport; token?: OrgToken }> {
  if (clientSecret === undefined) return { step: skipped('token', 'the client secret did not resolve') };
  // As a run refuses it (runner/steps/server.ts): the key never goes to Bitwarden's cloud by default.
  const serverUnreadable = unreadableServer(data);
  if (serverUnreadable)
    return { step: failed('token', Date.now(), noServerMessage(serverUnreadable), 'config', inst.name) };
  const started = Date.now();
  const request = tokenRequest(inst, deps, data, clientSecret);
  try {
    const token = await o.tokens.get(request);
    return {
      step: passed('token', started, `organization token from ${request.identityUrl} for ${inst.clientId}`),
      token,
    };
  } catch (err) {
    return { step: failedWith('token', started, err, inst.name) };
  }
}

/** The directory: one `bwdc test` through the run pipeline, one attempt (check reports at once). */
async function directoryStep(inst: InstanceConfig, deps: RunDeps, o: PreflightOptions): Promise<StepReport> {
  const started = Date.now();
  const once = { ...inst, retry: { ...inst.retry, attempts: 0 } };
  const r = await runInstance(once, { ...deps, tokens: o.tokens }, 'test');
  if (r.outcome === 'success')
    return {
      ...passed(
        'directory',
        started,
        `bwdc test: ${r.users ?? 0} user(s) and ${r.groups ?? 0} group(s) would be synced`,
      ),
      users: r.users ?? 0,
      groups: r.groups ?? 0,
    };
  if (r.outcome === 'skipped') return { ...skipped('directory', r.message), durationMs: r.durationMs };
  return failed('directory', started, r.message, r.failureClass ?? 'internal', inst.name);
}

/** The Public API, which the import gate reads for every import a sync sends (docs/guard-rails.md). */
async function publicApiStep(
  inst: InstanceConfig,
  data: Record<string, unknown>,
  token: OrgToken | undefined,
): Promise<StepReport> {
  if (!token) return skipped('public-api', 'needs the token');
  const started = Date.now();
  const api = new PublicApi({ apiUrl: apiUrlOf(data), accessToken: token.accessToken, retries: 0 });
  try {
    const org = await api.organization();
    // Every import would fail (HTTP 500) with these: said before any sync sends one (docs/guard-rails.md).
    const dups = new OrgModel(org).duplicateExternalIds;
    if (dups.length) return failed('public-api', started, duplicatesMessage(dups), 'config', inst.name);
    return passed(
      'public-api',
      started,
      `${apiUrlOf(data)}: ${org.members.length} member(s), ${org.groups.length} group(s)`,
    );
  } catch (err) {
    return failedWith('public-api', started, err, inst.name);
  }
}
