// schedule's view of the pauses (src/cli/schedule-admin.ts): re-read every 15 s, a pause file is read again only
// when it changed. A pause replaced between two refreshes, even by one of the same size, is what the view shows.
import assert from 'node:assert/strict';
import { mkdtempSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { ScheduleAdmin } from '../src/cli/schedule-admin.js';
import { clearPause, writePause } from '../src/state/pause.js';

function admin(stateDir: string) {
  const paused = new Map<string, boolean>();
  const config = { stateDir, controlDir: stateDir, instances: [{ name: 'a' }, { name: 'b' }] };
  const a = new ScheduleAdmin({
    config: () => config as never,
    scheduler: () => ({}) as never,
    metrics: { setPaused: (n: string, p: boolean) => paused.set(n, p) } as never,
    log: {} as never,
  });
  return { a, paused };
}

test('a pause resumed and re-paused with a same-length reason between refreshes shows the new reason', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'admin-pauses-'));
  const { a, paused } = admin(dir);
  const since = new Date().toISOString();
  await writePause(join(dir, 'a'), { since, by: 'alice', reason: 'first' });
  // Old enough times, so the first read is remembered (a file changed within 2 s is always read again).
  const old = new Date(Date.now() - 60_000);
  utimesSync(join(dir, 'a', 'pause.json'), old, old);
  await a.refresh();
  assert.equal(a.pausedOf('a')?.by, 'alice');
  assert.equal(paused.get('a'), true);
  assert.equal(paused.get('b'), false);
  await a.refresh();
  assert.equal(a.pausedOf('a')?.by, 'alice', 'unchanged: the remembered pause');

  await clearPause(join(dir, 'a'));
  await writePause(join(dir, 'a'), { since, by: 'bobby', reason: 'secnd' });
  utimesSync(join(dir, 'a', 'pause.json'), old, old); // even with the old mtime put back (as `cp -p` would)
  await a.refresh();
  assert.equal(a.pausedOf('a')?.by, 'bobby');

  await clearPause(join(dir, 'a'));
  await a.refresh();
  assert.equal(a.pausedOf('a'), undefined);
  assert.equal(paused.get('a'), false);
});
