// The import gate (docs/guard-rails.md): every sync's import passes through a loopback API of the
// runner's own that judges exactly what bwdc sends. Deleted users (Google Workspace, Okta, Entra ID
// report them in ordinary syncs) are removed by the server whatever overwriteExisting and removeDisabled
// say (bitwarden/server v2026.8.0 ImportOrganizationUsersAndGroupsCommand.RemoveExistingExternalUsers),
// so a sync with default settings must be judged too. bwdc here is the double (the real bwdc's LDAP
// service cannot report deleted users from slapd); gate-real-bwdc.test.ts runs the real one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertNoCanary, bitwarden } from './helpers/fixture.js';
import { setup as planSetup, type DirUser } from './helpers/plan-setup.js';
import { restoreApiUrl } from '../src/gate/gated-sync.js';
import type { Organization } from './bitwarden-server/organization.js';

/** plan-setup's instance over an organization of `members` members u0..u(n-1), each with its externalId. */
function setup(opts: {
  users: DirUser[];
  sync?: Record<string, unknown>;
  guard?: Record<string, unknown>;
  members: number;
  batchSize?: number;
}) {
  return planSetup({
    ...opts,
    control: opts.batchSize ? { batchSize: opts.batchSize } : undefined,
    org: (org) => {
      for (let i = 0; i < opts.members; i++) org.addMember({ email: `u${i}@corp.example`, externalId: `u${i}` });
    },
  });
}

const importsOf = (org: Organization) => bitwarden.imports.filter((i) => i.orgId === org.id);

test('deleted users with default sync settings: stopped by maxRemovals, organization untouched, the removals plan --json prints; --allow-removals lets them through', async () => {
  // 9 members; the directory reports 4 of them and 5 deleted; overwriteExisting and removeDisabled off.
  const users: DirUser[] = Array.from({ length: 9 }, (_, i) => ({
    externalId: `u${i}`,
    email: `u${i}@corp.example`,
    deleted: i >= 4,
  }));
  const s = setup({ users, members: 9, guard: { maxRemovals: 2 } });
  const plan = await s.cli(['plan', '--json']);
  assert.equal(plan.code, 0, plan.stderr);
  const planned = JSON.parse(plan.stdout).instances[0];
  const removals = planned.remove.map((r: { email: string }) => r.email).sort();
  assert.deepEqual(
    removals,
    ['u4', 'u5', 'u6', 'u7', 'u8'].map((u) => `${u}@corp.example`),
  );
  assert.equal(planned.guard.wouldStop, true);

  const stopped = await s.cli(['run']);
  assert.equal(stopped.code, 1, stopped.stdout);
  const end = stopped.logs.find((l) => l.outcome === 'failure')!;
  assert.equal(end.failureClass, 'guard');
  assert.match(String(end.msg), /would remove 5 of 9 members, above guard\.maxRemovals \(2\)/);
  const said = stopped.logs.find((l) => Array.isArray(l.remove))!.remove as Array<{ email: string }>;
  assert.deepEqual(said.map((r) => r.email).sort(), removals, 'the run names the removals plan --json printed');
  assert.equal(s.org.members.length, 9, 'nobody removed');
  assert.equal(importsOf(s.org).length, 0, 'the import never reached the server');
  // data.json points at the real API again, and bwdc saved no hash for the refused import.
  const data = JSON.parse(readFileSync(join(s.fx.stateDir, 'corp', 'data.json'), 'utf8'));
  assert.equal(data.environmentUrls.api ?? null, null);

  const allowed = await s.cli(['run', '--allow-removals', '5']);
  assert.equal(allowed.code, 0, allowed.stdout + allowed.stderr);
  assert.deepEqual(
    s.org.members.map((m) => m.email).sort(),
    ['u0', 'u1', 'u2', 'u3'].map((u) => `${u}@corp.example`),
  );
  assertNoCanary('gate runs', stopped.stdout, stopped.stderr, allowed.stdout, allowed.stderr);
});

test('largeImport batches are judged as one sync: past the limit, none of them reaches the server', async () => {
  // 8 users, one live, sent 2 per request: the first request alone removes 1 (within 2), the whole sync 7.
  const users = Array.from({ length: 8 }, (_, i) => ({
    externalId: `u${i}`,
    email: `u${i}@corp.example`,
    deleted: i > 0,
  }));
  const s = setup({ users, members: 8, sync: { largeImport: true }, guard: { maxRemovals: 2 }, batchSize: 2 });
  const r = await s.cli(['run']);
  assert.equal(r.code, 1, r.stdout);
  assert.equal(r.logs.find((l) => l.outcome === 'failure')!.failureClass, 'guard');
  assert.equal(importsOf(s.org).length, 0, 'no batch went through');
  assert.equal(s.org.members.length, 8, 'nobody removed');
});

test("an unchanged directory sends nothing: bwdc's own check works through the gate, whose URL changes every run", async () => {
  const s = setup({ users: [{ externalId: 'u0', email: 'u0@corp.example' }], members: 1 });
  assert.equal((await s.cli(['run'])).code, 0);
  assert.equal(importsOf(s.org).length, 1);
  const again = await s.cli(['run']);
  assert.equal(again.code, 0, again.stdout);
  assert.match(again.stdout, /Synced 0 group\(s\) and 0 user\(s\)/, 'bwdc found its hash unchanged');
  assert.equal(importsOf(s.org).length, 1, 'nothing reached the server');
  assert.equal(s.fx.records().filter((r) => 'import' in r).length, 1, 'nothing reached the gate either');
});

test("a gate URL left in data.json by a killed runner is replaced by the template's API URL", () => {
  const data = {
    environmentUrls: {
      base: 'https://vault.example',
      api: 'http://127.0.0.1:4567/gate-0123456789abcdef0123456789abcdef',
    },
  };
  assert.equal(restoreApiUrl(data, JSON.stringify({ environmentUrls: { api: 'https://api.example' } })), true);
  assert.deepEqual(data.environmentUrls, { base: 'https://vault.example', api: 'https://api.example' });
  assert.equal(restoreApiUrl(data, '{}'), false, "a URL of the user's own is left alone");
});

test('20,000 directory users: plan reads the whole `bwdc test` output (far beyond 256 KB) and a guarded largeImport run goes through the gate', async () => {
  const n = 20_000;
  const users = Array.from({ length: n }, (_, i) => ({
    externalId: `cn=user${i},ou=people,dc=example,dc=com`,
    email: `user${i}@corp.example`,
  }));
  const s = setup({ users, members: 0, sync: { largeImport: true } });
  const plan = await s.cli(['plan', '--json']);
  assert.equal(plan.code, 0, plan.stderr.slice(0, 2000));
  const planned = JSON.parse(plan.stdout).instances[0];
  assert.equal(planned.invite.length, n);
  assert.equal(planned.import.requests, 10);
  const r = await s.cli(['run']);
  assert.equal(r.code, 0, r.stdout.slice(-2000));
  assert.equal(s.org.members.length, n);
  assert.equal(importsOf(s.org).length, 10, 'ten requests of 2,000, each judged and forwarded');
});

test('a data.json bwdc would migrate at start (pre-v5 state, an active account, `global` holding the API URL) is refused before bwdc runs: the migration would send the import around the gate', async () => {
  const users: DirUser[] = Array.from({ length: 9 }, (_, i) => ({
    externalId: `u${i}`,
    email: `u${i}@corp.example`,
    deleted: i >= 4,
  }));
  const s = setup({ users: users.map((u) => ({ ...u, deleted: false })), members: 9, guard: { maxRemovals: 2 } });
  assert.equal((await s.cli(['run'])).code, 0);
  // The state a bwdc older than 2026.6 left (kept between runs, then the image's bwdc upgraded): no flat
  // stateVersion, the URLs under `global`, an active account.
  const path = join(s.fx.stateDir, 'corp', 'data.json');
  const data = JSON.parse(readFileSync(path, 'utf8'));
  delete data.stateVersion;
  data.global = { stateVersion: 3, environmentUrls: { base: bitwarden.url } };
  data.activeUserId = 'old-user';
  data['old-user'] = { profile: {} };
  writeFileSync(path, JSON.stringify(data));
  s.fx.control({ apiHttp: true, directory: { users, groups: [] } });
  const r = await s.cli(['run']);
  assert.equal(r.code, 2, r.stdout);
  assert.equal(r.logs.find((l) => l.outcome === 'failure')!.failureClass, 'config');
  assert.equal(s.org.members.length, 9, 'nobody removed: the import never went around the gate');
  assert.match(r.stdout + r.stderr, /global\.environmentUrls/);
});

test('an unchanged largeImport (several requests, hashed by bwdc as one array) sends nothing the second time', async () => {
  const users = Array.from({ length: 5 }, (_, i) => ({ externalId: `u${i}`, email: `u${i}@corp.example` }));
  const s = setup({ users, members: 0, sync: { largeImport: true }, batchSize: 2 });
  assert.equal((await s.cli(['run'])).code, 0);
  assert.equal(importsOf(s.org).length, 3);
  const again = await s.cli(['run']);
  assert.equal(again.code, 0, again.stdout);
  assert.match(again.stdout, /Synced 0 group\(s\) and 0 user\(s\)/);
  assert.equal(importsOf(s.org).length, 3, 'nothing reached the server');
});
