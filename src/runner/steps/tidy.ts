// Step "tidy": after the attempts, whatever they did: bwdc's lock if ours, a data.json bwdc broke put
// back from the backup, the session and the directory secret removed (logging out without a bwdc start).
import { wipeSecrets } from '../../bwdc/directory.js';
import { errorMessage, exitCodeOf } from '../../errors.js';
import type { InstanceState } from '../../state/instance-state.js';
import type { Ending, RunContext } from '../types.js';

export interface Tidy {
  /** bwdc left data.json empty or unparsable and the backup was put back: why. */
  restored: boolean;
  brokenWhy: string | undefined;
  /** The state folder could not be tidied. */
  error: string | undefined;
}

export async function tidyState(
  { wipeType, log }: RunContext,
  state: InstanceState,
  bwdcKilled: boolean,
): Promise<Tidy> {
  try {
    await state.clearBwdcLock({ ours: bwdcKilled });
    // A bwdc killed (by us, or by the kernel's OOM killer) mid-write leaves its whole data.json, session included.
    const swept = await state.sweepTemp();
    if (swept) log.warn({ tempFilesRemoved: swept }, 'removed temporary files left by an interrupted write');
    const status = await state.restoreIfBroken();
    const brokenWhy = !status.ok ? status.why : undefined;
    if (status.restored) log.error({ why: brokenWhy }, 'bwdc left data.json unusable; restored it from the backup');
    // Logging out is removing the session from data.json (all `bwdc logout` does), done here
    // without paying for another bwdc start; the directory secret goes too.
    await state.update((d) => wipeSecrets(d, wipeType));
    return { restored: status.restored, brokenWhy, error: undefined };
  } catch (err) {
    log.error({ err: errorMessage(err) }, 'could not tidy the state folder after the run');
    return { restored: false, brokenWhy: undefined, error: errorMessage(err) };
  }
}

/** A run whose tidying found a broken data.json, or could not tidy, did not succeed. */
export function afterTidy(ending: Ending, tidy: Tidy): Ending {
  if (tidy.restored) {
    const said = ending.outcome === 'success' ? ending.report.message : 'message' in ending ? ending.message : '';
    const message = `${said ? `${said}; ` : ''}bwdc left data.json ${tidy.brokenWhy ?? 'broken'}; restored from the backup`;
    if (ending.outcome === 'success')
      return {
        outcome: 'failure',
        failureClass: 'internal',
        transient: false,
        exitCode: exitCodeOf('internal'),
        message,
      };
    if (ending.outcome === 'not-started') return ending;
    return { ...ending, message };
  }
  if (tidy.error && ending.outcome === 'success') {
    return {
      outcome: 'failure',
      failureClass: 'internal',
      transient: false,
      exitCode: exitCodeOf('internal'),
      message: `could not tidy the state folder: ${tidy.error}`,
    };
  }
  return ending;
}
