// Step "verify" (inside a sync's attempt, after the gate): the organization read back after the server
// accepted an import, with the token in hand, and held against the plan the gate forwarded
// (plan/verify.ts). A difference fails the run with class `unverified` (docs/operations.md "Verification").
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { lastImportFile } from '../../gate/gated-sync.js';
import { readRoster } from '../../gate/read-organization.js';
import type { Plan } from '../../plan/compute.js';
import { differences, isVerified } from '../../plan/verify.js';
import type { InstanceState } from '../../state/instance-state.js';
import type { Effort, RunContext, SessionToken } from '../types.js';
import { RunFailure } from './failure.js';
import { bitwardenTimeoutMs } from './token.js';

/**
 * The organization read back after the server accepted the import (the token in hand): the plan must
 * show in it, else the run fails with class `unverified` (docs/operations.md "Verification").
 */
export async function verifyImport(
  run: RunContext,
  g: { state: InstanceState; token: SessionToken | undefined; effort: Effort },
  apiUrl: string,
  plan: Plan,
  freshToken: (() => Promise<string>) | undefined,
): Promise<void> {
  const { instance, deps, log } = run;
  const started = Date.now();
  const stored = await g.state.readDataJson();
  const accessToken = g.token?.accessToken ?? (stored.ok ? stored.data.accessToken : undefined);
  if (typeof accessToken !== 'string')
    throw new RunFailure('verifying the import: no organization token to read the organization with', 'auth');
  let org;
  try {
    org = await readRoster({
      apiUrl,
      accessToken,
      freshToken,
      timeoutMs: bitwardenTimeoutMs(instance),
      signal: deps.signal,
    });
  } catch (err) {
    // Transient trouble reading back is not retried: the import is in; a retry would send nothing to check.
    const message = `verifying the import: the organization could not be read back: ${(err as Error).message}`;
    g.effort.verification = {
      ok: false,
      notInvited: [],
      notRemoved: [],
      groupsMissing: [],
      durationMs: Date.now() - started,
    };
    await forgetImport(g.state);
    throw new RunFailure(message, 'unverified', false);
  }
  const d = differences(plan, org);
  const ok = isVerified(d);
  g.effort.verification = { ok, ...d, durationMs: Date.now() - started };
  if (ok) {
    log.info({ durationMs: Date.now() - started }, 'verified: the organization shows the import');
    return;
  }
  const parts = [
    d.notInvited.length && `${d.notInvited.length} invited member(s) missing (${sample(d.notInvited)})`,
    d.notRemoved.length && `${d.notRemoved.length} removed member(s) still there (${sample(d.notRemoved)})`,
    d.groupsMissing.length && `${d.groupsMissing.length} created group(s) missing (${sample(d.groupsMissing)})`,
  ].filter(Boolean);
  await forgetImport(g.state);
  throw new RunFailure(
    `the server accepted the import but the organization does not show it: ${parts.join('; ')}`,
    'unverified',
    false,
  );
}

/**
 * An import that did not show: bwdc's sync markers go, as `bwdc clear-cache` clears them (the hash, the
 * sync dates an LDAP revisionDateAttribute or Okta reads only changes since, the Entra ID delta tokens;
 * docs/upstream/bwdc.md "What must survive between runs"), so the next run reads the whole directory and
 * sends the import again.
 */
async function forgetImport(state: InstanceState): Promise<void> {
  await state.update((d) => {
    for (const k of ['lastSyncHash', 'lastUserSync', 'lastGroupSync', 'userDeltaToken', 'groupDeltaToken']) delete d[k];
    return true;
  });
  await rm(join(state.dir, lastImportFile), { force: true });
}

const sample = (ids: string[]) => ids.slice(0, 5).join(', ') + (ids.length > 5 ? `, and ${ids.length - 5} more` : '');
