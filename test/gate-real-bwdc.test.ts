// The import gate with the REAL bwdc (test/helpers/real-bwdc.ts) reading a real slapd: bwdc takes the
// gate for the Bitwarden API, the gate judges the import it sends (here an overwriteExisting sync that
// would remove the members slapd does not list) and forwards it only within the guard rails. The
// build probe tells the two real builds apart (bwdc/capabilities.ts, docs/guard-rails.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CANARY_DIRECTORY_SECRET, bitwarden } from './helpers/fixture.js';
import { nextBwdc, nextBwdcSkip, realBwdc, realBwdcSkip } from './helpers/real-bwdc.js';
import { startSlapd } from './helpers/slapd.js';
import { slapdInstance } from './helpers/slapd-instance.js';
import { bwdcBuild } from '../src/bwdc/capabilities.js';

test(
  'real bwdc: an overwriting sync beyond maxRemovals is refused at the gate, organization untouched; --allow-removals lets it through',
  { skip: realBwdcSkip() },
  async () => {
    const slapd = await startSlapd({ bindPassword: CANARY_DIRECTORY_SECRET });
    try {
      const { org, fx, cli } = slapdInstance(slapd, {
        members: ['x1', 'x2', 'x3'],
        sync: { overwriteExisting: true },
        guard: { maxRemovals: 2 },
      });

      const plan = await cli(['plan', '--json']);
      assert.equal(plan.code, 0, plan.stderr + plan.stdout);
      const planned = JSON.parse(plan.stdout).instances[0];
      assert.deepEqual(planned.remove.map((r: { email: string }) => r.email).sort(), [
        'x1@example.com',
        'x2@example.com',
        'x3@example.com',
      ]);
      assert.equal(planned.guard.wouldStop, true);

      const stopped = await cli(['run']);
      assert.equal(stopped.code, 1, stopped.stdout + stopped.stderr);
      const end = stopped.logs.find((l) => l.outcome === 'failure')!;
      assert.equal(end.failureClass, 'guard', String(end.msg));
      assert.match(String(end.msg), /would remove 3 of 3 members/);
      assert.equal(bitwarden.imports.filter((i) => i.orgId === org.id).length, 0, 'nothing reached the server');
      assert.equal(org.members.length, 3);

      const allowed = await cli(['run', '--allow-removals', '3']);
      assert.equal(allowed.code, 0, allowed.stdout + allowed.stderr);
      assert.deepEqual(org.members.map((m) => m.email).sort(), [
        'alice@example.com',
        'bob@example.com',
        'carol@example.com',
      ]);
      const sent = bitwarden.imports.filter((i) => i.orgId === org.id);
      assert.equal(sent.length, 1);
      assert.equal('inviteUsersAfterProvisioning' in (sent[0]!.body as object), false, 'v2026.6.1 never sends it');
      assert.equal(
        (fx.dataJson() as { environmentUrls?: { api?: string } }).environmentUrls?.api ?? null,
        null,
        'data.json points at the real API again',
      );
      // Unchanged: bwdc's own check (its hash includes the API URL) finds nothing new through a new gate URL.
      const unchanged = await cli(['run']);
      assert.equal(unchanged.code, 0, unchanged.stdout + unchanged.stderr);
      assert.match(unchanged.stdout, /Synced 0 group\(s\) and 0 user\(s\)/);
      assert.equal(bitwarden.imports.filter((i) => i.orgId === org.id).length, 1, 'no second import');
    } finally {
      slapd.stop();
    }
  },
);

test(
  'the build probe tells the release (no inviteUsersAfterProvisioning) from main (sends it)',
  { skip: realBwdcSkip() || nextBwdcSkip() },
  async () => {
    const env = { PATH: process.env.PATH ?? '', BITWARDENCLI_CONNECTOR_PLAINTEXT_SECRETS: 'true' };
    assert.deepEqual(await bwdcBuild(realBwdc()!, env), { sendsInviteSetting: false });
    assert.deepEqual(await bwdcBuild(nextBwdc()!, env), { sendsInviteSetting: true });
  },
);
