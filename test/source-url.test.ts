// The image label org.opencontainers.image.source (scripts/image/source-url.mjs, used by build.sh):
// a web address derived from the git remote, or empty; never a local path, never credentials.
import { test } from 'node:test';
import assert from 'node:assert/strict';
// @ts-expect-error: a plain .mjs script without types
import { sourceUrl } from '../scripts/image/source-url.mjs';

test('the source label: a web URL from the remote, or empty', () => {
  const cases: Array<[string, string]> = [
    ['/home/me/src/bwdc-runner', ''],
    ['../bwdc-runner.git', ''],
    ['file:///srv/git/bwdc-runner.git', ''],
    ['', ''],
    ['git@github.com:acme/bwdc-runner.git', 'https://github.com/acme/bwdc-runner'],
    ['https://github.com/acme/bwdc-runner.git', 'https://github.com/acme/bwdc-runner'],
    ['https://user:token@gitlab.example.com/ops/bwdc-runner', 'https://gitlab.example.com/ops/bwdc-runner'],
    ['ssh://git@gitlab.example.com:2222/ops/bwdc-runner.git', 'https://gitlab.example.com/ops/bwdc-runner'],
  ];
  for (const [remote, want] of cases) assert.equal(sourceUrl(remote), want, remote);
});
