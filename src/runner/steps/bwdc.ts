// Step "bwdc": one attempt's bwdc calls. The session goes into data.json (login: runner) or through
// `bwdc login` (login: bwdc), the directory secret with it; then `plan` (guard.ts), `bwdc sync` through
// the import gate (guard.ts), or `bwdc test`.
import { BwdcClient, childBaseEnv } from '../../bwdc/client.js';
import { directoryKind, wipeSecrets, writeSession } from '../../bwdc/directory.js';
import { parseSyncCounts, parseTestReport } from '../../bwdc/response.js';
import type { JsonObject } from '../../state/instance-state.js';
import type { Effort, Held, Report, RunContext, RunSecrets, SessionToken } from '../types.js';
import { fail } from './failure.js';
import { gatedSyncStep, planStep } from './guard.js';

export async function driveBwdc(
  run: RunContext,
  { state, lock }: Held,
  { clientSecret, directorySecret }: RunSecrets,
  token: SessionToken | undefined,
  effort: Effort,
): Promise<Report> {
  const { instance, deps, mode, wipeType, log } = run;
  const bwdc = new BwdcClient({
    path: deps.config.bwdcPath ?? 'bwdc',
    baseEnv: childBaseEnv(deps.env, state.dir, deps.config.passEnv),
    timeoutMs: instance.timeoutMs,
    killGraceMs: deps.killGraceMs ?? 5000,
    nice: deps.config.bwdcNice,
    signal: deps.signal,
    log,
    // The lock names the running bwdc: held while it lives, even if this process dies (state/lock.ts).
    onSpawn: (pid) => lock.recordChild(pid),
  });
  try {
    const kind = directorySecret !== undefined ? directoryKind(wipeType) : undefined;
    // One bwdc start: what `bwdc login` and `bwdc config <secret>` would write goes into data.json in one
    // write (with the device id the identity request used, when this run made it); for a sync, the same
    // write that points bwdc at the import gate (gate/gated-sync.ts `prepare`).
    const directory = kind && directorySecret !== undefined ? { kind, value: directorySecret } : undefined;
    const session = token
      ? (d: JsonObject) => {
          if (typeof d.appId !== 'string' || !d.appId) d.appId = token.appId;
          return writeSession(d, {
            accessToken: token.accessToken,
            clientId: instance.clientId,
            clientSecret,
            directory,
          });
        }
      : undefined;
    if (session && mode !== 'sync') {
      await state.update(session);
      log.debug({ login: 'runner' }, 'session and directory secret written to data.json');
    } else if (!session) {
      // The fallback (login: bwdc). No logout first: the state was wiped in preparation.
      let login = await bwdc.login(instance.clientId, clientSecret);
      if (!login.ok && /already logged in/i.test(login.message)) {
        log.warn('bwdc still had a session; ending it and logging in again');
        await state.update((d) => wipeSecrets(d, undefined));
        login = await bwdc.login(instance.clientId, clientSecret);
      }
      if (!login.ok) fail('login', login);
      log.debug('logged in');
      if (kind && directorySecret !== undefined) {
        const set = await bwdc.setDirectorySecret(kind.setting, directorySecret);
        if (!set.ok) fail(`config ${kind.setting}`, set);
        log.debug({ setting: kind.setting }, 'directory secret set');
      }
    }

    const inputs = { state, bwdc, token, clientSecret, effort, session };
    if (mode === 'plan') return await planStep(run, inputs);
    const done = mode === 'sync' ? await gatedSyncStep(run, inputs) : await bwdc.test();
    if (!done.ok) fail(mode, done);
    if (mode === 'sync') {
      const counts = parseSyncCounts(done.message);
      return {
        message: done.message || 'sync complete',
        users: counts?.users,
        groups: counts?.groups,
        test: undefined,
      };
    }
    const test = parseTestReport(done.response?.data);
    return {
      message: test
        ? `test: would sync ${test.groups.length} group(s), ${test.enabledUsers.length} enabled, ` +
          `${test.disabledUsers.length} disabled and ${test.deletedUsers.length} deleted user(s)`
        : 'test complete',
      users: test?.enabledUsers.length,
      groups: test?.groups.length,
      test,
    };
  } finally {
    effort.bwdcCalls += bwdc.calls;
    effort.bwdcKilled ||= bwdc.killed;
  }
}
