// The history and the read-back with the REAL bwdc (test/helpers/real-bwdc.ts) reading a real slapd and
// syncing into the test Bitwarden server: `bwdc-runner history` names the members a sync invited and
// removed (with the reason), a refused plan with its rules; a server that answers 200 and applies
// nothing fails the run as `unverified`, and the next run sends the import again
// (docs/operations.md "History", "Verification").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CANARY_DIRECTORY_SECRET, bitwarden } from './helpers/fixture.js';
import { realBwdcSkip } from './helpers/real-bwdc.js';
import { startSlapd } from './helpers/slapd.js';
import { slapdInstance } from './helpers/slapd-instance.js';

type Entry = Record<string, unknown> & {
  kind: string;
  outcome?: string;
  disposition?: string;
  changes?: {
    invited: Array<{ email: string }>;
    removed: Array<{ email: string; reason: string }>;
    groupsCreated: Array<{ name: string }>;
  };
  refused?: { rules: string[]; planId?: string };
  verification?: { ok: boolean; notInvited: string[] };
};

test(
  'real bwdc: the history names who a sync invited and removed (and why), and a refused plan with its rule',
  { skip: realBwdcSkip() },
  async () => {
    const slapd = await startSlapd({ bindPassword: CANARY_DIRECTORY_SECRET });
    try {
      const { fx, cli } = slapdInstance(slapd, {
        members: ['x1', 'x2', 'x3'],
        sync: { overwriteExisting: true },
        guard: { maxRemovals: 2 },
      });

      assert.equal((await cli(['run'])).code, 1, 'refused by maxRemovals');
      const before = bitwarden.apiRequests.length;
      const allowed = await cli(['run', '--allow-removals', '3']);
      assert.equal(allowed.code, 0, allowed.stdout + allowed.stderr);
      // The read-back needs members and group ids only: two requests, none per group, no subscription.
      const ofRun = bitwarden.apiRequests.slice(before);
      const imported = ofRun.findIndex((r) => /^POST .*\/import$/.test(r));
      assert.ok(imported >= 0, ofRun.join(', '));
      assert.deepEqual(ofRun.slice(imported + 1).sort(), ['GET /api/public/groups', 'GET /api/public/members']);
      assert.equal((await cli(['run'])).code, 0, 'unchanged');

      const shown = await cli(['history', '--json']);
      assert.equal(shown.code, 0, shown.stderr);
      const entries = (JSON.parse(shown.stdout) as { instances: Array<{ name: string; entries: Entry[] }> })
        .instances[0]!.entries;
      assert.deepEqual(
        entries.map((e) => [e.outcome, e.disposition]),
        [
          ['failure', 'refused'],
          ['success', 'applied'],
          ['success', 'none'],
        ],
      );
      const [refused, applied, unchanged] = entries as [Entry, Entry, Entry];
      assert.deepEqual(refused.refused?.rules, ['maxRemovals']);
      assert.match(refused.refused?.planId ?? '', /^[0-9a-f]{10}$/, 'the plan id approve takes');
      assert.deepEqual(
        refused.changes?.removed.map((r) => `${r.email} ${r.reason}`).sort(),
        ['x1@example.com overwrite', 'x2@example.com overwrite', 'x3@example.com overwrite'],
        'what the refused plan would have removed, and why',
      );
      assert.deepEqual(applied.changes?.invited.map((m) => m.email).sort(), [
        'alice@example.com',
        'bob@example.com',
        'carol@example.com',
      ]);
      assert.deepEqual(applied.changes?.removed.map((r) => r.email).sort(), [
        'x1@example.com',
        'x2@example.com',
        'x3@example.com',
      ]);
      assert.equal(applied.verification?.ok, true, 'read back and found as planned');
      assert.equal(unchanged.unchanged, true);
      assert.equal(unchanged.verification, undefined, 'a sync that sends nothing reads nothing back');
      const file = join(fx.stateDir, 'corp', 'history.jsonl');
      assert.equal(statSync(file).mode & 0o777, 0o600);

      // The table names them too, and a torn last line (a crash mid-write) is skipped and said.
      appendFileSync(file, '{"at":"2026-12-05T10:00:00.000Z","kind":"sync","outcome":"succ');
      const table = await cli(['history']);
      assert.equal(table.code, 0, table.stderr);
      assert.match(table.stdout, /REFUSED by maxRemovals, plan [0-9a-f]{10}/);
      assert.match(table.stdout, /3 invited \(alice@example\.com, bob@example\.com, carol@example\.com\)/);
      assert.match(table.stdout, /3 removed, overwrite \(x1@example\.com/);
      assert.match(table.stderr, /history\.jsonl line 4 skipped: torn last line/);
      // The next run's entry starts on a line of its own: nothing is lost after the torn one.
      assert.equal((await cli(['run'])).code, 0);
      const after = JSON.parse((await cli(['history', '--json'])).stdout) as {
        instances: Array<{ entries: Entry[]; skipped: Array<{ line: number }> }>;
      };
      assert.equal(after.instances[0]!.entries.length, 4);
      assert.deepEqual(
        after.instances[0]!.skipped.map((s) => s.line),
        [4],
      );
    } finally {
      slapd.stop();
    }
  },
);

test(
  'real bwdc: a server that accepts the import and applies nothing fails the run as unverified; the next run sends it again',
  { skip: realBwdcSkip() },
  async () => {
    const slapd = await startSlapd({ bindPassword: CANARY_DIRECTORY_SECRET });
    try {
      const { org, cli } = slapdInstance(slapd);

      bitwarden.ignoreImports = true;
      let lost;
      try {
        lost = await cli(['run']);
      } finally {
        bitwarden.ignoreImports = false;
      }
      assert.equal(lost.code, 1, lost.stdout + lost.stderr);
      const end = lost.logs.find((l) => l.outcome === 'failure')!;
      assert.equal(end.failureClass, 'unverified');
      assert.match(
        String(end.msg),
        /accepted the import but the organization does not show it: 3 invited member\(s\) missing/,
      );
      assert.equal(org.members.length, 0);

      const again = await cli(['run']);
      assert.equal(again.code, 0, again.stdout + again.stderr);
      assert.equal(org.members.length, 3, `the import was sent again, not taken for unchanged: ${again.stdout}`);
      const entries = (
        JSON.parse((await cli(['history', '--json'])).stdout) as { instances: Array<{ entries: Entry[] }> }
      ).instances[0]!.entries;
      assert.equal(entries[0]!.verification?.ok, false);
      assert.equal(entries[0]!.verification?.notInvited.length, 3);
      assert.equal(entries[1]!.verification?.ok, true);
    } finally {
      slapd.stop();
    }
  },
);
