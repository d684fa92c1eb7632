// What check's preflight reports per step (docs/kubernetes.md "check"): its status, time, a secret-free
// detail, and for a failed step its class, exit code (exitCodeOf, the run's mapping) and the fix.
import { errorMessage, exitCodeOf, failureClassOf, type ExitCodeValue, type FailureClass } from '../../errors.js';
import { isLiteralUrl } from '../../notify/decide.js';
import { redactor } from '../../observability/redact.js';
import { parseSecretRef } from '../../shared/secret-ref.js';
import type { TokenCache } from '../../bitwarden/token-cache.js';

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

/** A failed step: its class decides its exit code, as for a run. */
export function failed(
  step: StepName,
  started: number,
  detail: string,
  cls: FailureClass,
  instance: string,
): StepReport {
  return {
    step,
    status: 'failed',
    durationMs: Date.now() - started,
    detail: redactor.scrub(detail),
    failureClass: cls,
    exitCode: exitCodeOf(cls),
    fix: fixFor(step, cls, instance),
  };
}

/** A step that failed with `err`: its class if it has one (a BitwardenError's, a SecretError's), else internal. */
export function failedWith(step: StepName, started: number, err: unknown, instance: string): StepReport {
  return failed(step, started, errorMessage(err), failureClassOf(err), instance);
}

export const skipped = (step: StepName, detail: string): StepReport => ({
  step,
  status: 'skipped',
  durationMs: 0,
  detail,
});

export const passed = (step: StepName, started: number, detail: string): StepReport => ({
  step,
  status: 'ok',
  durationMs: Date.now() - started,
  detail,
});

/** How a reference is shown: the reference text, never a value. */
export function shown(text: string): string {
  if (isLiteralUrl(text)) return 'literal URL';
  return parseSecretRef(text).kind === 'ref' ? text : 'literal value';
}
