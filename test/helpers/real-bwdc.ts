// The real bwdc for the real-bwdc tier (docs/image.md "The real bwdc in the tests"): a release zip laid out
// like the official `bwdc-linux-<version>.zip` (bwdc and dc_native.linux-x64-gnu.node at its root), named by
// a variable, unzipped once per content into the repository's git-ignored .cache/real-bwdc/<sha256>/.
//   BWDC_RELEASE_ZIP  the release the Dockerfile pins (CI: ../shared/bwdc/bwdc-linux-2026.6.1.zip; a user
//                     can point it at the official download)
//   BWDC_NEXT_ZIP     a build of upstream main, the next release (stateVersion 8, inviteUsersAfterProvisioning)
// Unset: the tests that need it are skipped with one loud line. Unset with CI=true: they fail.
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { unzipSync } from 'fflate';

// Not fixture.ts's root: importing fixture.ts starts a test server.
const root = fileURLToPath(new URL('../..', import.meta.url));

const cacheRoot = join(root, '.cache', 'real-bwdc');

interface Build {
  variable: 'BWDC_RELEASE_ZIP' | 'BWDC_NEXT_ZIP';
  what: string;
}
const RELEASE: Build = { variable: 'BWDC_RELEASE_ZIP', what: 'the real bwdc release (the tag the Dockerfile pins)' };
const NEXT: Build = { variable: 'BWDC_NEXT_ZIP', what: "the real bwdc of upstream main (the next release's changes)" };

const located = new Map<string, string | null>();
const warned = new Set<string>();

/** Unzips `zip` into .cache/real-bwdc/<sha256>/ unless already there; returns the absolute path of bwdc. */
export function unpackBwdc(zip: string): string {
  const bytes = readFileSync(zip);
  const sha = createHash('sha256').update(bytes).digest('hex');
  const dir = join(cacheRoot, sha);
  const bwdc = join(dir, 'bwdc');
  if (existsSync(bwdc)) return bwdc;
  const files = unzipSync(bytes);
  if (!files['bwdc']) throw new Error(`${zip}: no bwdc at the zip's root (found: ${Object.keys(files).join(', ')})`);
  // Unpacked beside the final folder and renamed into place: two test files may unpack at once.
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  for (const [name, data] of Object.entries(files)) {
    if (name.endsWith('/') || name.includes('..') || isAbsolute(name)) continue;
    const target = join(tmp, name);
    mkdirSync(join(target, '..'), { recursive: true });
    writeFileSync(target, data);
  }
  chmodSync(join(tmp, 'bwdc'), 0o755);
  try {
    renameSync(tmp, dir);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    if (!existsSync(bwdc)) throw e;
  }
  return bwdc;
}

function locate(build: Build): string | null {
  if (located.has(build.variable)) return located.get(build.variable)!;
  const value = process.env[build.variable];
  let path: string | null = null;
  if (value) {
    const zip = resolve(root, value);
    if (!existsSync(zip)) throw new Error(`${build.variable}=${value}: no such file (expected a bwdc-linux-*.zip)`);
    path = unpackBwdc(zip);
  } else if (process.env.CI === 'true') {
    throw new Error(
      `${build.variable} is not set and CI=true: the real-bwdc tier must run in CI (set it to the path of ${build.what}, a bwdc-linux-*.zip)`,
    );
  }
  located.set(build.variable, path);
  return path;
}

function skipReason(build: Build): string | false {
  if (locate(build)) return false;
  const reason = `NOT TESTED with ${build.what}: ${build.variable} is not set (a bwdc-linux-*.zip path)`;
  // scripts/test.mjs prints one line for the whole run and sets BWDC_TIER_NOTICE.
  if (!warned.has(build.variable) && !process.env.BWDC_TIER_NOTICE) {
    warned.add(build.variable);
    console.warn(`!!! real-bwdc tier skipped: ${reason}`);
  }
  return reason;
}

/** Absolute path of the release's bwdc, or null when BWDC_RELEASE_ZIP is unset (throws in CI). */
export function realBwdc(): string | null {
  return locate(RELEASE);
}

/** Absolute path of upstream main's bwdc, or null when BWDC_NEXT_ZIP is unset (throws in CI). */
export function nextBwdc(): string | null {
  return locate(NEXT);
}

/** For `test(name, { skip: realBwdcSkip() }, ...)`: false when the release's bwdc is there. */
export function realBwdcSkip(): string | false {
  return skipReason(RELEASE);
}

/** For `test(name, { skip: nextBwdcSkip() }, ...)`: false when main's bwdc is there. */
export function nextBwdcSkip(): string | false {
  return skipReason(NEXT);
}

/** The path of the release zip itself (for the image test's build context), or null. */
export function releaseZip(): string | null {
  if (!realBwdc()) return null;
  return resolve(root, process.env.BWDC_RELEASE_ZIP!);
}
