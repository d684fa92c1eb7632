// The image's bwdc installer (scripts/image/install-bwdc.mjs), run as the Dockerfile runs it: only the
// real bwdc executable goes into an image, unless a test build says otherwise, and then the image says so.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { binPath, root } from './helpers/fixture.js';
import { realBwdcSkip, releaseZip } from './helpers/real-bwdc.js';

const installer = join(root, 'scripts', 'image', 'install-bwdc.mjs');
const works: string[] = [];
after(() => works.forEach((w) => rmSync(w, { recursive: true, force: true })));

/** Runs the installer on `zip` (bytes or a path) in a fresh folder; returns its result and the target folder. */
function install(zip: Uint8Array | string, env: Record<string, string> = {}) {
  const work = mkdtempSync(join(tmpdir(), 'install-bwdc-'));
  works.push(work);
  if (typeof zip === 'string') copyFileSync(zip, join(work, 'bwdc.zip'));
  else writeFileSync(join(work, 'bwdc.zip'), zip);
  const dest = join(work, 'opt-bwdc');
  const r = spawnSync(process.execPath, [installer], {
    cwd: work,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, BWDC_DEST: dest, BWDC_VERSION: '2026.6.1', ...env },
  });
  return { ...r, dest };
}

const scriptZip = zipSync({
  bwdc: new TextEncoder().encode('#!/bin/sh\necho 2026.6.1\n'),
  'dc_native.linux-x64-gnu.node': new TextEncoder().encode('stand-in\n'),
});

test('install-bwdc refuses a zip whose bwdc is a script, naming what it found', () => {
  const r = install(scriptZip);
  assert.equal(r.status, 1, r.stdout);
  assert.match(
    r.stderr,
    /bwdc-linux-2026\.6\.1\.zip: its bwdc is not the real bwdc executable: found a script \(#!\/bin\/sh\), 24 bytes; expected an ELF x86-64 executable\. Refusing it\./,
  );
});

test('install-bwdc refuses an ELF file that is too small to be bwdc', () => {
  const elf = readFileSync('/bin/true');
  const r = install(zipSync({ bwdc: elf, 'dc_native.linux-x64-gnu.node': new Uint8Array(8) }));
  assert.equal(r.status, 1);
  assert.match(r.stderr, /found an ELF x86-64 file of \d+ bytes; expected at least 52428800/);
});

test('with BWDC_ALLOW_TEST_DOUBLE=1 the script is installed, marked, and bwdc-runner --version says so', () => {
  const r = install(scriptZip, { BWDC_ALLOW_TEST_DOUBLE: '1' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /installing a TEST bwdc/);
  assert.match(readFileSync(join(r.dest, 'TEST_DOUBLE'), 'utf8'), /found a script/);
  const v = spawnSync(process.execPath, [binPath, '--version'], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, BWDC_PATH: join(r.dest, 'bwdc') },
  });
  assert.equal(v.status, 0, v.stderr);
  assert.match(v.stdout, /^bwdc 2026\.6\.1 \(TEST DOUBLE, not the real bwdc: found a script/m);
});

test('the real bwdc release zip is accepted, unmarked', { skip: realBwdcSkip() }, () => {
  const r = install(releaseZip()!);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(existsSync(join(r.dest, 'TEST_DOUBLE')), false);
  const v = spawnSync(process.execPath, [binPath, '--version'], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, BWDC_PATH: join(r.dest, 'bwdc') },
  });
  assert.match(v.stdout, /^bwdc 2026\.6\.1$/m);
});
