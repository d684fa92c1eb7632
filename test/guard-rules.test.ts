// The guard rails are one table (src/plan/guard.ts guardRuleTable, docs/guard-rails.md "The rules"): each
// rule a name, whether an approval lets it through, and a check. Here each rule fires on the plan that breaks
// it and on no other, and the table is what judge() runs: its names are the breaches' rules, in its order,
// the metric's label values, and its `approvable` decides what an approval can let through.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  approvable,
  defaultGuard,
  guardRuleTable,
  guardRules,
  judge,
  type GuardRuleName,
  type GuardSettings,
  type PlanView,
} from '../src/plan/guard.js';
import { RunnerMetrics } from '../src/observability/metrics.js';
import { root } from './helpers/fixture.js';

/** A sync of 100 members that changes nothing. */
const quiet: PlanView = {
  import: { sent: true, members: 100 },
  remove: [],
  seats: { needed: 0, autoscale: 'not-needed' },
  directoryManaged: 100,
  members: 100,
  memberships: 200,
  duplicateExternalIds: [],
  groups: { membership: [], emptied: [] },
};

const guard: GuardSettings = {
  ...defaultGuard,
  maxRemovals: 20,
  maxRemovalsPerDay: 10,
  maxMembershipRemovals: 5,
};

const removals = (n: number) => Array.from({ length: n }, (_, i) => ({ email: `u${i}@corp.example` }));

/** For each rule: a plan (and what the instance's state knows) that breaks it and no other rule. */
const breaking: Record<GuardRuleName, { plan: PlanView; ctx?: { removedLastDay?: number } }> = {
  // 25 removals: above maxRemovals (20) and the day budget (10) alike; the day budget is lifted to show one rule.
  maxRemovals: { plan: { ...quiet, remove: removals(25) } },
  maxRemovalsPerDay: { plan: { ...quiet, remove: removals(5) }, ctx: { removedLastDay: 8 } },
  maxMembershipRemovals: {
    plan: { ...quiet, groups: { membership: [{ remove: removals(6).map((r) => r.email) }], emptied: [] } },
  },
  refuseEmptiedGroups: { plan: { ...quiet, groups: { membership: [], emptied: [{ name: 'admins', members: 2 }] } } },
  refuseEmptyDirectory: { plan: { ...quiet, import: { sent: true, members: 0 }, remove: removals(3) } },
  requireSeats: { plan: { ...quiet, seats: { needed: 4, autoscale: 'refused' } } },
  duplicateExternalIds: {
    plan: { ...quiet, duplicateExternalIds: [{ externalId: 'cn=a', emails: ['a@corp.example', 'b@corp.example'] }] },
  },
};

test('the quiet plan breaks no rule', () => {
  assert.deepEqual(judge(quiet, guard), []);
});

for (const rule of guardRules) {
  test(`guard rule ${rule} fires on the plan that breaks it, and only it`, () => {
    const { plan, ctx } = breaking[rule];
    const settings = rule === 'maxRemovals' ? { ...guard, maxRemovalsPerDay: undefined } : guard;
    const breaches = judge(plan, settings, ctx ?? {});
    assert.deepEqual(
      breaches.map((b) => b.rule),
      [rule],
    );
    assert.ok(breaches[0]!.message.length > 20, 'says why');
  });
}

test('the table is what judge() runs: every rule, in its order, each breach named after its entry', () => {
  assert.deepEqual(
    guardRules,
    guardRuleTable.map((r) => r.name),
  );
  assert.equal(new Set(guardRules).size, guardRules.length, 'one entry per name');
  assert.deepEqual(Object.keys(breaking).sort(), [...guardRules].sort(), 'every rule has a breaking plan above');
  // A plan that breaks everything at once: the breaches come out in the table's order.
  const all: PlanView = {
    import: { sent: true, members: 0 },
    remove: removals(25),
    seats: { needed: 4, autoscale: 'refused' },
    directoryManaged: 100,
    members: 100,
    memberships: 200,
    duplicateExternalIds: breaking.duplicateExternalIds.plan.duplicateExternalIds!,
    groups: { membership: [{ remove: removals(6).map((r) => r.email) }], emptied: [{ name: 'admins', members: 2 }] },
  };
  assert.deepEqual(
    judge(all, guard, { removedLastDay: 8 }).map((b) => b.rule),
    guardRules,
  );
});

test('an approval lets through exactly the rules whose entry says approvable (seats and duplicates never)', () => {
  for (const entry of guardRuleTable) {
    const { plan, ctx } = breaking[entry.name];
    const settings = entry.name === 'maxRemovals' ? { ...guard, maxRemovalsPerDay: undefined } : guard;
    assert.equal(approvable(judge(plan, settings, ctx ?? {})), entry.approvable, entry.name);
  }
  assert.deepEqual(
    guardRuleTable.filter((r) => !r.approvable).map((r) => r.name),
    ['requireSeats', 'duplicateExternalIds'],
  );
});

test("bwdc_runner_guard_blocked_total's rule label values are the table's names", async () => {
  const metrics = new RunnerMetrics({ defaultMetrics: false });
  metrics.setInstances(['one']);
  metrics.guardStopped('one', guardRules);
  const text = await metrics.text();
  const labelled = [...text.matchAll(/^bwdc_runner_guard_blocked_total\{directory="one",rule="(\w+)"\} 1$/gm)].map(
    (m) => m[1],
  );
  assert.deepEqual(labelled, [...guardRules]);
  assert.match(text, new RegExp(`by rule \\(${guardRules.join(', ')}\\)`), 'the help names every rule');
});

test('the docs name every rule of the table: the rules table of docs/guard-rails.md and the metric row of docs/metrics.md', () => {
  const rails = readFileSync(join(root, 'docs/guard-rails.md'), 'utf8');
  const rulesTable = rails.slice(rails.indexOf('## The rules'), rails.indexOf('The rules are one table'));
  for (const rule of guardRules) assert.match(rulesTable, new RegExp(`\`(guard\\.)?${rule}\``), rule);
  const metricRow = readFileSync(join(root, 'docs/metrics.md'), 'utf8')
    .split('\n')
    .find((l) => l.startsWith('| `bwdc_runner_guard_blocked_total`'))!;
  assert.equal(/`rule` \(([^)]*)\)/.exec(metricRow)?.[1], guardRules.join(', '));
});
