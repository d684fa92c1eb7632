// npm run bench:verify -- [--runs 5] [--sizes 2000,100000]: what the read-back after an accepted import costs (docs/operations.md
// "Verification"): members and groups read through the Public API of the test server (PublicApi.roster in
// src/bitwarden/public-api.ts: two requests, no group's member ids) and the plan held against them
// (src/plan/verify.ts), at 2,000 and 100,000 members (n/20 groups of 20), the plan inviting 1% of them.
// Each size in a child process of its own (its own peak RSS). Numbers in bench/README.md ("Verification").
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { arg, median } from './lib.mjs';

const sizes = arg('sizes', '2000,100000').split(',').map(Number);
const runs = Number(arg('runs', '5'));

if (process.argv[2] === '--child') {
  const n = Number(process.argv[3]);
  const { bitwarden, BENCH_CLIENT_SECRET } = await import('./lib.mjs');
  const { readRoster } = await import('../src/gate/read-organization.ts');
  const { differences } = await import('../src/plan/verify.ts');
  const { requestOrgToken } = await import('../src/bitwarden/identity.ts');
  const clientId = `organization.${crypto.randomUUID()}`;
  bitwarden.addClient(clientId, BENCH_CLIENT_SECRET);
  const org = bitwarden.organization(clientId);
  const members = [];
  for (let i = 0; i < n; i++) members.push(org.addMember({ email: `u${i}@corp.example`, externalId: `u${i}` }));
  for (let g = 0; g < n / 20; g++)
    org.addGroup({
      name: `g${g}`,
      externalId: `g${g}`,
      memberIds: members.slice(g * 20, g * 20 + 20).map((m) => m.id),
    });
  const invited = members.slice(0, n / 100).map((m) => ({ email: m.email, externalId: m.externalId, staged: false }));
  const plan = { invite: invited, remove: [], groups: { create: [{ name: 'g0', externalId: 'g0' }] } };
  const token = await requestOrgToken({
    identityUrl: `${bitwarden.url}/identity`,
    clientId,
    clientSecret: BENCH_CLIENT_SECRET,
    deviceIdentifier: crypto.randomUUID(),
    clientVersion: '2026.6.1',
    timeoutMs: 30000,
  });
  const apiUrl = `${bitwarden.url}/api`;
  const out = [];
  for (let r = 0; r < runs; r++) {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const state = await readRoster({ apiUrl, accessToken: token.accessToken, timeoutMs: 120000 });
    const t1 = performance.now();
    const d = differences(plan, state);
    const t2 = performance.now();
    const cpu = process.cpuUsage(cpu0);
    if (d.notInvited.length || d.groupsMissing.length) throw new Error('the bench plan should verify');
    out.push({ read: t1 - t0, check: t2 - t1, cpu: (cpu.user + cpu.system) / 1000 });
  }
  process.stdout.write(
    JSON.stringify({
      n,
      read: median(out.map((o) => o.read)),
      check: median(out.map((o) => o.check)),
      cpu: median(out.map((o) => o.cpu)),
      rss: process.resourceUsage().maxRSS / 1024,
    }),
  );
  process.exit(0);
}

const self = fileURLToPath(import.meta.url);
const results = [];
console.log('| members + groups | read back, wall ms | check, ms | CPU ms (server + runner) | peak RSS MB |');
console.log('|---|---|---|---|---|');
for (const n of sizes) {
  const r = JSON.parse(
    execFileSync(process.execPath, ['--import', 'tsx', self, '--child', String(n), '--runs', String(runs)], {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    }),
  );
  results.push(r);
  console.log(
    `| ${n.toLocaleString('en-US')} + ${(n / 20).toLocaleString('en-US')} | ${r.read.toFixed(1)} | ${r.check.toFixed(1)} | ${r.cpu.toFixed(0)} | ${r.rss.toFixed(0)} |`,
  );
}
console.log(JSON.stringify({ results }));
