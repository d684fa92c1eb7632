// check's notification and heartbeat steps: each target resolved (they are secrets) and, asked to, sent
// one test message (docs/kubernetes.md "check").
import type { InstanceConfig } from '../../config/model.js';
import { errorMessage } from '../../errors.js';
import { defaultDelivery, deliver } from '../../notify/deliver.js';
import { pingUrl } from '../../notify/heartbeat.js';
import { body, type RunSummary } from '../../notify/payload.js';
import { resolveUrl } from '../tell.js';
import type { RunDeps } from '../types.js';
import { runnerVersion } from '../../version.js';
import { failed, shown, type PreflightOptions, type StepName, type StepReport } from './report.js';

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

/** Every notification target of the instance and its heartbeat, in that order. */
export async function notifySteps(inst: InstanceConfig, deps: RunDeps, o: PreflightOptions): Promise<StepReport[]> {
  const delivery = { ...defaultDelivery, timeoutMs: o.notifyTimeoutMs };
  const steps: StepReport[] = [];
  for (const target of inst.notify)
    steps.push(await notifyStep(inst, target.label, target.url, deps, o, delivery, target.format));
  if (inst.heartbeat) steps.push(await notifyStep(inst, 'heartbeat', inst.heartbeat, deps, o, delivery));
  return steps;
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
