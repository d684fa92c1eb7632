// Finds the bwdc executable and, cheaply, its version: the image writes a VERSION file beside the
// binary at build time, so `--version` need not start bwdc (a costly start: bench/README.md).
import { accessSync, constants, readFileSync } from 'node:fs';
import { delimiter, dirname, isAbsolute, join } from 'node:path';

export function resolveBwdcPath(
  configured: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): string | undefined {
  const name = configured ?? 'bwdc';
  if (isAbsolute(name) || name.includes('/')) return name;
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      /* next */
    }
  }
  return undefined;
}

export function bundledVersion(bwdcPath: string): string | undefined {
  try {
    const v = readFileSync(join(dirname(bwdcPath), 'VERSION'), 'utf8').trim();
    return /^\d+\.\d+/.test(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/**
 * What the image's bwdc stage recorded when a test build let it install a bwdc that is not the real
 * executable (scripts/image/install-bwdc.mjs, its test-only build argument), or undefined for a real one.
 */
export function testDoubleNote(bwdcPath: string): string | undefined {
  try {
    return readFileSync(join(dirname(bwdcPath), 'TEST_DOUBLE'), 'utf8').trim() || 'a test double';
  } catch {
    return undefined;
  }
}
