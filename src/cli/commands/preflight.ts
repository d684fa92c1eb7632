// `check`, per instance: the steps a scheduled sync will take, each tried for real and timed
// (docs/kubernetes.md "check"): secrets resolve; the API key gets a token (the runner's own identity
// request, no bwdc start); the directory answers (`bwdc test` through the runner's own run pipeline);
// the Public API the import gate reads answers; notification and heartbeat targets resolve and, asked to,
// receive one test message. A failed step says its class, its exit code and the fix.
import { randomUUID } from 'node:crypto';
import { setServer } from '../../bwdc/directory.js';
import { bundledVersion } from '../../bwdc/locate.js';
import { identityUrlOf, type OrgToken } from '../../bitwarden/identity.js';
import { BitwardenError } from '../../bitwarden/request-error.js';
import { PublicApi, apiUrlOf } from '../../bitwarden/public-api.js';
import { duplicatesMessage } from '../../plan/guard.js';
import { OrgModel } from '../../plan/org-model.js';
import { noServerMessage, unreadableServer } from '../../shared/service-urls.js';
import type { TokenCache } from '../../bitwarden/token-cache.js';
import type { InstanceConfig } from '../../config/model.js';
import { ExitCode, errorMessage, type ExitCodeValue, type FailureClass } from '../../errors.js';
import { isLiteralUrl } from '../../notify/decide.js';
import { defaultDelivery, deliver } from '../../notify/deliver.js';
import { pingUrl } from '../../notify/heartbeat.js';
import { body, type RunSummary } from '../../notify/payload.js';
import { redactor } from '../../observability/redact.js';
import { runInstance, type RunDeps } from '../../runner/run-instance.js';
import { resolveUrl } from '../../runner/tell.js';
import { parseSecretRef } from '../../shared/secret-ref.js';
import { runnerVersion } from '../../version.js';

export type StepName = 'secrets' | 'token' | 'directory' | 'public-api' | 'notify' | 'heartbeat';

export interface StepReport {
  step: StepName;
  status: 'ok' | 'failed' | 'skipped';
  durationMs: number;
  /** Secret-free: what was checked and what came back. */
  detail: string;
  failureClass?: FailureClass;
  exitCode?: ExitCodeValue;
  /** What to change, when the step failed. */
  fix?: string;
  users?: number;
  groups?: number;
}

export interface SecretCheck {
  field: string;
  reference: string;
  ok: boolean;
  error?: string;
}

export interface PreflightOptions {
  /** No `bwdc test`: the directory is not contacted. */
  offline: boolean;
  /** Why, when not --offline. */
  offlineWhy?: string;
  /** Send one test message to every notification target and the heartbeat. */
  notifyTest: boolean;
  notifyTimeoutMs: number;
  tokens: TokenCache;
}

/** What to change for a failed step, by step and class. */
function fixFor(step: StepName, cls: FailureClass, instance: string): string {
  if (cls === 'secret')
    return (
      'the reference must name an existing secret and key, and the runner must be allowed to read it (Vault' +
      ' role and policy, AWS IAM, bws access token, the mounted Secret)'
    );
  // The token step, or bwdc's own login in the directory step (login: bwdc): the key was refused.
  if (cls === 'auth' && step !== 'public-api')
    return (
      'Bitwarden refused the organization API key: copy client_id and client_secret again from the Admin ' +
      "Console (Settings > Organization info > API key) and check that `server` is the organization's " +
      'server (us, eu or the self-hosted URL)'
    );
  if (cls === 'auth')
    return 'the organization token was refused by the Public API: the API key must belong to this organization, on this server';
  if (cls === 'network')
    return (
      'the server could not be reached from here: check `server`, the proxy (HTTPS_PROXY, NO_PROXY), the CA' +
      ' bundle (NODE_EXTRA_CA_CERTS) and any NetworkPolicy or firewall'
    );
  if (cls === 'server') return 'the Bitwarden server answered with an error: try again later, or check its status';
  if (cls === 'directory')
    return (
      `bwdc could not read the directory: check the directory block (hostname, port, ssl, rootPath, ` +
      `filters), the bind user and directorySecret, and that this pod can reach the directory; ` +
      `\`bwdc-runner test -v --instance ${instance}\` lists what would be synced`
    );
  if (cls === 'timeout')
    return "bwdc test did not finish within the instance's timeout: the directory is slow, or a firewall drops the packets";
  if (cls === 'config') return 'correct the setting the message names';
  return 'LOG_LEVEL=debug shows every bwdc call and its output';
}

function failed(step: StepName, started: number, detail: string, cls: FailureClass, instance: string): StepReport {
  const exitCode = cls === 'secret' ? ExitCode.secret : cls === 'config' ? ExitCode.config : ExitCode.syncFailed;
  return {
    step,
    status: 'failed',
    durationMs: Date.now() - started,
    detail: redactor.scrub(detail),
    failureClass: cls,
    exitCode,
    fix: fixFor(step, cls, instance),
  };
}

const skipped = (step: StepName, detail: string): StepReport => ({ step, status: 'skipped', durationMs: 0, detail });

/** How a reference is shown: the reference text, never a value. */
function shown(text: string): string {
  if (isLiteralUrl(text)) return 'literal URL';
  return parseSecretRef(text).kind === 'ref' ? text : 'literal value';
}

/** The data.json bwdc will be given, as far as the server URLs go: the template with `server` applied. */
function bitwardenData(instance: InstanceConfig): Record<string, unknown> {
  const data = JSON.parse(instance.dataJson.text) as Record<string, unknown>;
  if (instance.server !== undefined) setServer(data, instance.server);
  return data;
}

function testSummary(instance: string): RunSummary {
  return {
    instance,
    runId: 'check',
    outcome: 'success',
    failureClass: undefined,
    exitCode: 0,
    message: 'a test message from bwdc-runner check --notify-test: notifications reach this target',
    users: undefined,
    groups: undefined,
    durationMs: 0,
    consecutiveFailures: 0,
    endedAt: new Date(),
  };
}

export async function preflight(
  inst: InstanceConfig,
  deps: RunDeps,
  o: PreflightOptions,
): Promise<{ steps: StepReport[]; secrets: SecretCheck[] }> {
  const steps: StepReport[] = [];
  const secrets: SecretCheck[] = [];

  // 1. secrets
  let started = Date.now();
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
  steps.push(
    unresolved.length
      ? failed('secrets', started, unresolved.map((s) => `${s.field}: ${s.error}`).join('; '), 'secret', inst.name)
      : {
          step: 'secrets',
          status: 'ok',
          durationMs: Date.now() - started,
          detail: secrets.map((s) => `${s.field} (${s.reference})`).join(', ') + ' resolved',
        },
  );

  // 2. token: the identity request a run makes, from the identity URL bwdc would use.
  const data = bitwardenData(inst);
  const serverUnreadable = unreadableServer(data);
  let token: OrgToken | undefined;
  // Tried with login: bwdc too: every sync reads the Public API through the import gate (with bwdc's
  // token), so the key is tried here for it (docs/guard-rails.md).
  if (clientSecret === undefined) steps.push(skipped('token', 'the client secret did not resolve'));
  else if (serverUnreadable) {
    // As a run refuses it (runner/steps/server.ts): the key never goes to Bitwarden's cloud by default.
    steps.push(failed('token', Date.now(), noServerMessage(serverUnreadable), 'config', inst.name));
  } else {
    started = Date.now();
    const identityUrl = identityUrlOf(data);
    try {
      token = await o.tokens.get({
        identityUrl,
        clientId: inst.clientId,
        clientSecret,
        deviceIdentifier: typeof data.appId === 'string' && data.appId ? data.appId : randomUUID(),
        clientVersion: (deps.config.bwdcPath && bundledVersion(deps.config.bwdcPath)) || 'unknown',
        timeoutMs: Math.min(inst.timeoutMs, 60_000),
      });
      steps.push({
        step: 'token',
        status: 'ok',
        durationMs: Date.now() - started,
        detail: `organization token from ${identityUrl} for ${inst.clientId}`,
      });
    } catch (err) {
      const cls = err instanceof BitwardenError ? err.failureClass : 'internal';
      steps.push(failed('token', started, errorMessage(err), cls, inst.name));
    }
  }

  // 3. directory: `bwdc test` through the run pipeline (state folder, data.json, the token above).
  const noKey = inst.login === 'runner' ? !token : unresolved.length > 0;
  if (o.offline) steps.push(skipped('directory', o.offlineWhy ?? '--offline: the directory is not contacted'));
  else if (unresolved.length || noKey) steps.push(skipped('directory', 'needs the secrets and the token'));
  else {
    started = Date.now();
    // One attempt: check reports at once, the run's retries are for scheduled syncs.
    const once = { ...inst, retry: { ...inst.retry, attempts: 0 } };
    const r = await runInstance(once, { ...deps, tokens: o.tokens }, 'test');
    if (r.outcome === 'success')
      steps.push({
        step: 'directory',
        status: 'ok',
        durationMs: Date.now() - started,
        detail: `bwdc test: ${r.users ?? 0} user(s) and ${r.groups ?? 0} group(s) would be synced`,
        users: r.users ?? 0,
        groups: r.groups ?? 0,
      });
    else if (r.outcome === 'skipped') steps.push({ ...skipped('directory', r.message), durationMs: r.durationMs });
    else steps.push(failed('directory', started, r.message, r.failureClass ?? 'internal', inst.name));
  }

  // 4. The Public API, which the import gate reads for every import a sync sends (docs/guard-rails.md).
  if (!token) steps.push(skipped('public-api', 'needs the token'));
  else {
    started = Date.now();
    const api = new PublicApi({ apiUrl: apiUrlOf(data), accessToken: token.accessToken, retries: 0 });
    try {
      const org = await api.organization();
      // Every import would fail (HTTP 500) with these: said before any sync sends one (docs/guard-rails.md).
      const dups = new OrgModel(org).duplicateExternalIds;
      if (dups.length) steps.push(failed('public-api', started, duplicatesMessage(dups), 'config', inst.name));
      else
        steps.push({
          step: 'public-api',
          status: 'ok',
          durationMs: Date.now() - started,
          detail: `${apiUrlOf(data)}: ${org.members.length} member(s), ${org.groups.length} group(s)`,
        });
    } catch (err) {
      const cls = err instanceof BitwardenError ? err.failureClass : 'internal';
      steps.push(failed('public-api', started, errorMessage(err), cls, inst.name));
    }
  }

  // 5. Notification targets and the heartbeat: resolved (they are secrets), tried only on request.
  const delivery = { ...defaultDelivery, timeoutMs: o.notifyTimeoutMs };
  for (const target of inst.notify)
    steps.push(await notifyStep(inst, target.label, target.url, deps, o, delivery, target.format));
  if (inst.heartbeat) steps.push(await notifyStep(inst, 'heartbeat', inst.heartbeat, deps, o, delivery));
  return { steps, secrets };
}

/**
 * One notification target (`format` set) or the heartbeat. The heartbeat's test is a POST to
 * `<url>/log`: in the healthchecks.io convention a logged event that changes nothing of the check's
 * state (docs/kubernetes.md "check").
 */
async function notifyStep(
  inst: InstanceConfig,
  label: string,
  text: string,
  deps: RunDeps,
  o: PreflightOptions,
  delivery: typeof defaultDelivery,
  format?: Parameters<typeof body>[0],
): Promise<StepReport> {
  const step: StepName = format ? 'notify' : 'heartbeat';
  const started = Date.now();
  const field = format ? `notify ${label}` : 'heartbeat';
  let url: string;
  try {
    url = await resolveUrl(text, deps.secrets, `${inst.origin} ${field}`);
    new URL(url);
  } catch (err) {
    return failed(step, started, `${field} (${shown(text)}): ${errorMessage(err)}`, 'secret', inst.name);
  }
  if (!o.notifyTest)
    return { step, status: 'ok', durationMs: Date.now() - started, detail: `${field} (${shown(text)}) resolved` };
  const d = format
    ? await deliver(
        url,
        { method: 'POST', json: body(format, 'test', testSummary(inst.name), runnerVersion()) },
        delivery,
      )
    : await deliver(
        pingUrl(url, 'log'),
        { method: 'POST', text: `bwdc-runner check --notify-test: instance ${inst.name} (no run, no state change)\n` },
        delivery,
      );
  if (!d.ok) {
    const r = failed(step, started, `${field}: the test message was not delivered: ${d.detail}`, 'network', inst.name);
    return {
      ...r,
      fix: `the ${format ? 'webhook' : 'check URL (<url>/log)'} must accept a POST from here: check the URL and the proxy`,
    };
  }
  return {
    step,
    status: 'ok',
    durationMs: Date.now() - started,
    detail: `${field} (${shown(text)}): test message delivered${format ? '' : ' to <url>/log'} (${d.detail})`,
  };
}
