// The real-bwdc tier, part two (docs/image.md "The real bwdc in the tests"): what changes with the next
// bwdc release (BWDC_NEXT_ZIP, a build of upstream main) and `schedule` driving the real release.
//  - main migrates the stateVersion-6 data.json the runner renders to stateVersion 8 and still syncs;
//  - main sends sync.inviteUsersAfterProvisioning as configured (false: new members staged, not invited);
//    v2026.6.1 never sends the field (directory-connector v2026.6.1 src/services/sync.service.ts builds the
//    import request without it).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { bitwarden, CANARY_CLIENT_SECRET, CANARY_DIRECTORY_SECRET, startCli, runCli } from './helpers/fixture.js';
import { freePort, samples } from './helpers/prometheus.js';
import { renderedStateVersion } from '../src/directory/render.js';
import { nextBwdc, nextBwdcSkip, realBwdc, realBwdcSkip } from './helpers/real-bwdc.js';
import { realInstance } from './helpers/real-instance.js';
import { SEED_USERS, startSlapd, type Slapd } from './helpers/slapd.js';

let slapd: Slapd | undefined;
after(() => slapd?.stop());
const ldap = async (): Promise<Slapd> => (slapd ??= await startSlapd({ bindPassword: CANARY_DIRECTORY_SECRET }));

/** An organization of its own (a fresh API key at the test server), so each test starts with no members. */
function newOrganization(): { clientId: string; org: ReturnType<typeof bitwarden.organization> } {
  const clientId = `organization.${randomUUID()}`;
  bitwarden.addClient(clientId, CANARY_CLIENT_SECRET);
  return { clientId, org: bitwarden.organization(clientId) };
}

const importsOf = (orgId: string) =>
  bitwarden.imports.filter((i) => i.orgId === orgId).map((i) => i.body as Record<string, unknown>);

test(
  "main's bwdc migrates the runner's stateVersion-6 data.json to 8 and still syncs",
  { skip: nextBwdcSkip() },
  async () => {
    const { clientId, org } = newOrganization();
    const s = await ldap();
    const inst = realInstance(nextBwdc()!, s, [{ name: 'next', clientId }]);
    assert.equal(renderedStateVersion, 6, 'the runner renders what v2026.6.1 writes');
    const r = await runCli(['run'], inst.env);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(inst.fx.dataJson('next').stateVersion, 8, 'bwdc migrated the rendered file');
    assert.deepEqual(org.members.map((m) => m.email).sort(), SEED_USERS.map((u) => u.mail).sort());
    // The migrated file is the one the next run starts from: it still syncs (a new user is imported).
    // bwdc's delta search asks for modifyTimestamp >= lastUserSync (milliseconds; taken just before its LDAP
    // search), and slapd's timestamps are whole seconds: an entry added in the same second is never found by
    // a later delta sync. Measured here; ldap-directory.service.ts buildRevisionFilter (directory-connector main).
    await new Promise((r) => setTimeout(r, 1100));
    await s.addUser({ uid: 'erin', cn: 'Erin Evans', mail: 'erin@example.com' });
    try {
      const again = await runCli(['run'], inst.env);
      assert.equal(again.code, 0, again.stdout + again.stderr);
      assert.ok(
        org.members.some((m) => m.email === 'erin@example.com'),
        again.stdout,
      );
    } finally {
      await s.remove('uid=erin,ou=people,dc=example,dc=com');
    }
  },
);

/** One run of `bwdc` for a new organization with sync.inviteUsersAfterProvisioning: false configured. */
async function syncConfiguredNotToInvite(bwdc: string, name: string) {
  const { clientId, org } = newOrganization();
  const s = await ldap();
  const inst = realInstance(bwdc, s, [{ name, clientId, sync: { ...s.sync, inviteUsersAfterProvisioning: false } }]);
  const r = await runCli(['run'], inst.env);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const [body] = importsOf(org.id);
  assert.ok(body, 'an import was sent');
  return { body, last: org.log.at(-1)! };
}

const seedMails = SEED_USERS.map((u) => u.mail).sort();

test(
  "main's bwdc sends inviteUsersAfterProvisioning: false as configured: members staged, no invitations",
  { skip: nextBwdcSkip() },
  async () => {
    const { body, last } = await syncConfiguredNotToInvite(nextBwdc()!, 'staged');
    assert.equal(body.inviteUsersAfterProvisioning, false);
    assert.deepEqual(last.invited, [], 'nobody invited');
    assert.deepEqual(last.staged.sort(), seedMails);
  },
);

test(
  'the release bwdc (v2026.6.1) never sends inviteUsersAfterProvisioning, even when configured',
  { skip: realBwdcSkip() },
  async () => {
    const { body, last } = await syncConfiguredNotToInvite(realBwdc()!, 'tag');
    assert.equal('inviteUsersAfterProvisioning' in body, false);
    assert.deepEqual(last.invited.sort(), seedMails, 'the server invites, as it always did');
  },
);

test(
  'schedule with two instances and the real bwdc: both sync on their ticks, /metrics counts them',
  { skip: realBwdcSkip() },
  async () => {
    const a = newOrganization();
    const b = newOrganization();
    const s = await ldap();
    const inst = realInstance(realBwdc()!, s, [
      { name: 'alpha', clientId: a.clientId, schedule: '*/4 * * * * *' },
      { name: 'beta', clientId: b.clientId, schedule: '2-59/4 * * * * *' },
    ]);
    const port = await freePort();
    const cli = startCli(['schedule'], { ...inst.env, BWDC_HTTP_PORT: String(port) });
    const successes = async (directory: string) => {
      // Before the scheduler's HTTP server listens, nothing is counted yet.
      const text = await fetch(`http://127.0.0.1:${port}/metrics`).then(
        (r) => r.text(),
        () => '',
      );
      return samples(text, 'bwdc_runner_runs_total', { directory, outcome: 'success' })[0]?.value ?? 0;
    };
    let counts = [0, 0];
    try {
      // A few ticks each: two successes per instance counted in /metrics (an overlapping tick is skipped).
      for (const end = Date.now() + 150_000; Date.now() < end && !(counts[0]! >= 2 && counts[1]! >= 2);) {
        await new Promise((r) => setTimeout(r, 500));
        counts = [await successes('alpha'), await successes('beta')].map(Number);
      }
    } finally {
      cli.kill('SIGTERM');
    }
    const done = await cli.done;
    assert.equal(done.code, 0, done.stderr);
    assert.ok(
      counts[0]! >= 2 && counts[1]! >= 2,
      `runs_total{outcome="success"}: alpha ${counts[0]}, beta ${counts[1]}`,
    );
    for (const [i, name] of ['alpha', 'beta'].entries()) {
      const logged = done.logs.filter((l) => l.instance === name && l.outcome === 'success').length;
      assert.ok(logged >= counts[i]!, `${name}: ${logged} successes logged, ${counts[i]} counted`);
    }
    assert.deepEqual(a.org.members.map((m) => m.email).sort(), SEED_USERS.map((u) => u.mail).sort());
    assert.deepEqual(b.org.members.map((m) => m.email).sort(), SEED_USERS.map((u) => u.mail).sort());
    assert.equal(importsOf(a.org.id).length, 1, 'later ticks import nothing new');
  },
);
