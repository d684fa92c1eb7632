// The real bwdc (test/helpers/real-bwdc.ts) starts on this host: both builds print their version. A
// failure here is a missing shared library (libatomic1, scripts/ci/install-slapd.sh) or a bad zip.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nextBwdc, nextBwdcSkip, realBwdc, realBwdcSkip } from './helpers/real-bwdc.js';

function version(bwdc: string): string {
  const appdata = mkdtempSync(join(tmpdir(), 'bwdc-appdata-'));
  const r = spawnSync(bwdc, ['--version'], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, BITWARDENCLI_CONNECTOR_APPDATA_DIR: appdata },
  });
  assert.equal(r.status, 0, `${bwdc} --version: ${r.stderr}`);
  return r.stdout.trim();
}

test('the real bwdc release starts and prints its version', { skip: realBwdcSkip() }, () => {
  assert.match(version(realBwdc()!), /^\d{4}\.\d+\.\d+$/);
});

test("upstream main's bwdc starts and prints its version", { skip: nextBwdcSkip() }, () => {
  assert.match(version(nextBwdc()!), /^\d{4}\.\d+\.\d+$/);
});
