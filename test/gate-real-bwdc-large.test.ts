// All or nothing with the REAL bwdc (test/helpers/real-bwdc.ts, both builds) against a real slapd holding
// more than 2,000 users: with largeImport, bwdc sends its import as several requests (users in batches of
// 2,000, then groups: bitwarden/directory-connector libs/services/batch-request-builder.ts), each awaited.
// A sync the guard refuses (here: more seats than the capped subscription allows) leaves the organization
// untouched and bwdc's sync markers as before, so the next run sends everything again
// (docs/guard-rails.md "All or nothing").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { CANARY_CLIENT_SECRET, CANARY_DIRECTORY_SECRET, bitwarden, makeFixture, runCli } from './helpers/fixture.js';
import { nextBwdc, nextBwdcSkip, realBwdc, realBwdcSkip } from './helpers/real-bwdc.js';
import { startSlapd, type Slapd } from './helpers/slapd.js';

const extra = 2_100;
const directoryUsers = extra + 3;
let slapd: Slapd | undefined;
const ldap = async () => (slapd ??= await startSlapd({ bindPassword: CANARY_DIRECTORY_SECRET, extraUsers: extra }));

const markerKeys = ['lastSyncHash', 'lastUserSync', 'lastGroupSync', 'userDeltaToken', 'groupDeltaToken'];

for (const [build, bwdc, skip] of [
  ['release', realBwdc, realBwdcSkip],
  ['main', nextBwdc, nextBwdcSkip],
] as const) {
  test(
    `real bwdc (${build}), ${directoryUsers} LDAP users: the batched sync is refused as a whole, run after run; once within the rails all of it goes through`,
    { skip: skip() },
    async () => {
      const dir = await ldap();
      const clientId = `organization.${randomUUID()}`;
      bitwarden.addClient(clientId, CANARY_CLIENT_SECRET);
      const org = bitwarden.organization(clientId);
      org.addMember({ email: 'owner@example.com', externalId: null, type: 0, status: 2 });
      org.seats = 5;
      org.maxAutoScaleSeats = 5;
      const fx = makeFixture('corp');
      const config = fx.writeConfig([
        {
          name: 'corp',
          dataJson: undefined,
          clientId,
          directory: dir.directory,
          sync: { ...dir.sync, largeImport: true },
          timeout: '10m',
        },
      ]);
      const cli = (args: string[]) =>
        runCli([...args, '-c', config], fx.fileEnv({ BWDC_PATH: bwdc()!, BWDC_PASS_ENV: '' }));
      const imports = () => bitwarden.imports.filter((i) => i.orgId === org.id);

      for (const attempt of [1, 2]) {
        const r = await cli(['run']);
        assert.equal(r.code, 1, r.stdout.slice(-3000) + r.stderr);
        const end = r.logs.find((l) => l.outcome === 'failure')!;
        assert.equal(end.failureClass, 'guard', String(end.msg));
        assert.match(String(end.msg), /seat/);
        const refused = r.logs.find((l) => l.msg === 'guard: what the refused sync would have removed')!;
        assert.equal(
          refused.requests,
          3,
          `run ${attempt}: bwdc sent everything again, as 3 requests (2,000 + 103 users, then the groups)`,
        );
        assert.equal(imports().length, 0, `run ${attempt}: no request reached the server`);
        assert.equal(org.members.length, 1, `run ${attempt}: the organization untouched`);
        const data = fx.dataJson('corp');
        for (const k of markerKeys)
          assert.equal(data[k] ?? null, null, `run ${attempt}: bwdc's ${k} as before the run`);
      }

      org.seats = 3000;
      org.maxAutoScaleSeats = 3000;
      const ok = await cli(['run']);
      assert.equal(ok.code, 0, ok.stdout.slice(-3000) + ok.stderr);
      assert.equal(imports().length, 3, 'all three requests forwarded, in order');
      assert.deepEqual(
        imports().map((i) => (i.body as { members: unknown[] }).members.length),
        [2000, directoryUsers - 2000, 0],
      );
      assert.equal(org.members.length, directoryUsers + 1);
      const unchanged = await cli(['run']);
      assert.equal(unchanged.code, 0, unchanged.stdout.slice(-3000));
      assert.match(unchanged.stdout, /Synced 0 group\(s\) and 0 user\(s\)/, "bwdc's own unchanged-check holds");
      assert.equal(imports().length, 3);
    },
  );
}

test.after(() => slapd?.stop());
