import { bundledVersion, resolveBwdcPath, testDoubleNote } from '../../bwdc/locate.js';
import { runnerVersion } from '../../version.js';

export async function printVersion(env: NodeJS.ProcessEnv): Promise<number> {
  // Read here, not through the configuration: --version answers without loading (or needing) one.
  const path = resolveBwdcPath(env.BWDC_PATH || undefined, env);
  let bwdc = 'not found';
  if (path) {
    bwdc = bundledVersion(path) ?? '';
    if (!bwdc) {
      const { bwdcVersion } = await import('../../bwdc/client.js');
      bwdc = await bwdcVersion(path, { PATH: env.PATH ?? '' }, 10_000).catch(() => 'unusable');
    }
    const double = testDoubleNote(path);
    if (double) bwdc += ` (TEST DOUBLE, not the real bwdc: ${double})`;
  }
  process.stdout.write(`bwdc-runner ${runnerVersion()}\nbwdc ${bwdc}\n`);
  return 0;
}
