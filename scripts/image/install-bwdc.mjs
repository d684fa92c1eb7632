// Runs inside the Dockerfile's bwdc stages with nothing but Node (the official Node images have no
// unzip, curl or sha256sum to rely on): verifies bwdc.zip in the current folder against BWDC_SHA256
// when given (a loud warning and the computed digest otherwise: never an invented one), unpacks it
// into /opt/bwdc keeping bwdc and its native module together, records the version and digest, and
// checks that bwdc is the real executable (ELF x86-64 of a plausible size: the official Node binary plus
// bwdc's bundle is ~160 MB; a script or a stub is not bwdc) and with ldd that every shared library the
// binaries need is in this (the runtime) base (docs/image.md).
// BWDC_ALLOW_TEST_DOUBLE=1 (tests only) takes any bwdc and marks it: /opt/bwdc/TEST_DOUBLE, which
// `bwdc-runner --version` reports.
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { unzipSync } from 'fflate';

const dest = process.env.BWDC_DEST || '/opt/bwdc';
const version = process.env.BWDC_VERSION || 'unknown';
const pinned = process.env.BWDC_SHA256 || '';
const allowTestDouble = process.env.BWDC_ALLOW_TEST_DOUBLE === '1';
// The smallest bwdc accepted: the Node 25 binary alone is over 100 MB; v2026.6.1's bwdc is 167 MB.
const MIN_BWDC_BYTES = 50 * 1024 * 1024;

/** Why these bytes are not a plausible bwdc executable (ELF 64-bit x86-64, big enough), or '' when they are. */
function whyNotRealBwdc(bytes) {
  const head = bytes.subarray(0, 4);
  if (!(head[0] === 0x7f && head.toString('latin1', 1, 4) === 'ELF')) {
    const start = bytes.subarray(0, 32).toString('latin1');
    const what = start.startsWith('#!')
      ? `a script (${start.split('\n')[0]})`
      : `not an ELF file (starts with ${JSON.stringify(start.slice(0, 16))})`;
    return `found ${what}, ${bytes.length} bytes; expected an ELF x86-64 executable`;
  }
  if (bytes[4] !== 2 || bytes[5] !== 1 || bytes.readUInt16LE(18) !== 62)
    return `found an ELF file for another machine (class ${bytes[4]}, data ${bytes[5]}, e_machine ${bytes.readUInt16LE(18)}); expected ELF 64-bit little-endian x86-64 (e_machine 62)`;
  if (bytes.length < MIN_BWDC_BYTES)
    return `found an ELF x86-64 file of ${bytes.length} bytes; expected at least ${MIN_BWDC_BYTES} (the real bwdc is ~160 MB)`;
  return '';
}

function die(message) {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

const zip = readFileSync('bwdc.zip');
const sha = createHash('sha256').update(zip).digest('hex');
if (pinned) {
  if (sha !== pinned) die(`bwdc-linux-${version}.zip has SHA-256 ${sha}, expected BWDC_SHA256=${pinned}: refusing it`);
  process.stdout.write(`bwdc ${version}: SHA-256 verified (${sha})\n`);
} else {
  const bar = '#'.repeat(80);
  process.stderr.write(
    `${bar}\nWARNING: BWDC_SHA256 not given: bwdc ${version} is NOT verified.\nIts SHA-256 is ${sha}; compare it with the digest GitHub shows for the release\nasset and pin it with --build-arg BWDC_SHA256=${sha}\n${bar}\n`,
  );
}

mkdirSync(dest, { recursive: true });
for (const [name, bytes] of Object.entries(unzipSync(zip))) {
  const target = normalize(join(dest, name));
  if (!target.startsWith(`${dest}/`)) die(`the zip holds a path outside the target folder: ${name}`);
  if (name.endsWith('/')) {
    mkdirSync(target, { recursive: true });
    continue;
  }
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, bytes, { mode: 0o644 });
}
rmSync('bwdc.zip');

const bwdc = join(dest, 'bwdc');
const native = join(dest, 'dc_native.linux-x64-gnu.node');
if (!existsSync(bwdc)) die('the zip holds no bwdc executable');
// v2026.6+: the native module is loaded from the executable's folder at start-up, even in plaintext mode.
if (!existsSync(native)) die('the zip holds no dc_native.linux-x64-gnu.node (needed beside bwdc from v2026.6.0)');
chmodSync(bwdc, 0o755);
const notReal = whyNotRealBwdc(readFileSync(bwdc));
if (notReal && !allowTestDouble)
  die(`bwdc-linux-${version}.zip: its bwdc is not the real bwdc executable: ${notReal}. Refusing it.`);
if (notReal) {
  process.stderr.write(`WARNING: BWDC_ALLOW_TEST_DOUBLE=1: installing a TEST bwdc (${notReal})\n`);
  writeFileSync(join(dest, 'TEST_DOUBLE'), `${notReal}\n`);
}
writeFileSync(join(dest, 'VERSION'), `${version}\n`);
writeFileSync(join(dest, 'SHA256'), `${sha}\n`);

for (const file of [bwdc, native]) {
  const ldd = spawnSync('ldd', [file], { encoding: 'utf8' });
  const missing = `${ldd.stdout}`.split('\n').filter((l) => l.includes('not found'));
  if (missing.length) die(`${file} needs shared libraries this base image lacks:\n${missing.join('\n')}`);
}
process.stdout.write(`bwdc ${version} installed in ${dest}\n`);
