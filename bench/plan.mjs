// npm run bench:plan — the plan's cost at 2,000 / 20,000 / 100,000 members and groups, side by side in
// one run: parsing `bwdc test --response` (one JSON line) and computing the plan (computePlan) against an
// organization of the same size, each size in a child process of its own so that its peak RSS is its own.
// Args: --sizes 2000,20000,100000  --runs 3. Numbers in bench/README.md ("Plan").
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { median } from './lib.mjs';

const args = process.argv.slice(2);
const arg = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};

if (args[0] === '--child') {
  const n = Number(args[1]);
  const runs = Number(args[2]);
  const { computePlan } = await import('../src/plan/compute.ts');
  const { parseResponse, parseTestReport } = await import('../src/bwdc/response.ts');
  // The directory: n users, n/20 groups of 20 (so members + groups ≈ 1.05 n); 1 % deleted, 1 % new.
  const groupCount = Math.max(1, Math.floor(n / 20));
  const users = Array.from({ length: n }, (_, i) => ({
    externalId: `cn=user${i},ou=people,dc=example,dc=com`,
    displayName: `user${i}@example.com`,
  }));
  const deletedUsers = users.splice(0, Math.floor(n / 100));
  const groups = Array.from({ length: groupCount }, (_, g) => ({
    externalId: `cn=group${g},ou=groups,dc=example,dc=com`,
    displayName: `Group ${g}`,
    userIds: Array.from({ length: 20 }, (_, k) => `cn=user${(g * 20 + k) % n},ou=people,dc=example,dc=com`),
  }));
  const line = JSON.stringify({
    success: true,
    data: { object: 'test', groups, enabledUsers: users, disabledUsers: [], deletedUsers },
  });
  // The organization: every directory user but the newest 1 %, and groups with their members.
  const members = Array.from({ length: n - Math.floor(n / 100) }, (_, i) => ({
    id: `m${i}`,
    email: `user${i}@example.com`,
    status: 2,
    type: 2,
    externalId: `cn=user${i},ou=people,dc=example,dc=com`,
  }));
  const orgGroups = groups.map((g, i) => ({
    id: `g${i}`,
    name: g.displayName,
    externalId: g.externalId,
    memberIds: Array.from({ length: 20 }, (_, k) => `m${(i * 20 + k) % members.length}`),
  }));
  const org = {
    members,
    groups: orgGroups,
    subscription: { seats: n * 2, maxAutoScaleSeats: null },
    selfHosted: false,
  };
  const sync = {
    users: true,
    groups: true,
    overwriteExisting: false,
    removeDisabled: false,
    largeImport: true,
    inviteUsersAfterProvisioning: true,
  };
  const times = [];
  const cpu = [];
  let plan;
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const report = parseTestReport(parseResponse(line).data);
    plan = computePlan(report, sync, org);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
    times.push(performance.now() - t0);
  }
  process.stdout.write(
    JSON.stringify({
      n,
      ms: median(times),
      cpuMs: median(cpu),
      rssMb: process.resourceUsage().maxRSS / 1024,
      bytes: line.length,
      removals: plan.remove.length,
      invites: plan.invite.length,
    }),
  );
  process.exit(0);
}

const sizes = arg('sizes', '2000,20000,100000').split(',').map(Number);
const runs = Number(arg('runs', '3'));
const self = fileURLToPath(import.meta.url);
const rows = sizes.map((n) => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', self, '--child', String(n), String(runs)], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  if (r.status !== 0) throw new Error(`size ${n}: ${r.stderr}`);
  return JSON.parse(r.stdout);
});
console.log('members+groups  output MB  wall ms (median)  CPU ms (median)  peak RSS MB  removals  invites');
for (const r of rows)
  console.log(
    `${String(r.n).padStart(7)}+${String(Math.floor(r.n / 20)).padEnd(7)} ${(r.bytes / 1e6).toFixed(1).padStart(9)}  ${r.ms.toFixed(1).padStart(16)}  ${r.cpuMs.toFixed(1).padStart(15)}  ${r.rssMb.toFixed(0).padStart(11)}  ${String(r.removals).padStart(8)}  ${String(r.invites).padStart(7)}`,
  );
const small = rows.find((r) => r.n === 2000);
const mid = rows.find((r) => r.n === 20000);
if (small && mid)
  console.log(
    `20,000 / 2,000: ${(mid.ms / small.ms).toFixed(1)}x wall, ${(mid.cpuMs / small.cpuMs).toFixed(1)}x CPU (target <= 15x)`,
  );
