// `plan`: what a sync of each selected instance would change in the organization, and whether the
// guard rails would let it run. `bwdc test` plus the Public API; nothing is changed anywhere.
import { loadConfig, selectInstances } from '../../config/load.js';
import { createLogger } from '../../observability/logger.js';
import { redactor } from '../../observability/redact.js';
import { createSecretResolver } from '../../secrets/index.js';
import { combinedExitCode, type RunResult } from '../../runner/result.js';
import { runInstances } from '../../runner/run-many.js';
import { instanceControlDir } from '../../state/control-dir.js';
import { judge } from '../../plan/guard.js';
import { planId, planScope } from '../../plan/plan-id.js';
import { removedInLastDay } from '../../state/removal-ledger.js';
import type { Plan } from '../../plan/compute.js';
import type { InstanceConfig } from '../../config/model.js';
import type { CliOptions } from '../cli-options.js';
import { installShutdown } from '../shutdown.js';

export async function planCommand(options: CliOptions, env: NodeJS.ProcessEnv): Promise<number> {
  const config = loadConfig(env, { configPath: options.config });
  const instances = selectInstances(config, options.instances);
  // The plan goes to stdout; the log (warnings and errors only) to stderr, so --json stays parseable.
  const log = await createLogger({
    level: config.logLevel === 'info' ? 'warn' : config.logLevel,
    format: config.logFormat,
    destination: 2,
  });
  const secrets = createSecretResolver(env, log);
  const shutdown = installShutdown(log, config.shutdownGraceMs);
  const deps = { config, env, secrets: secrets.session(shutdown.hard), log, signal: shutdown.hard };
  const results = await runInstances(instances, deps, 'plan', config.concurrency, shutdown.draining);
  await secrets.close();
  shutdown.dispose();
  const byName = new Map(instances.map((i) => [i.name, i]));
  // The day budget as a run would judge it now (removals the server accepted in the last 24 hours).
  const removed = new Map<string, number>();
  for (const i of instances) removed.set(i.name, await removedInLastDay(instanceControlDir(config, i.name)));
  const out = results.map((r) => view(r, byName.get(r.instance)!, removed.get(r.instance) ?? 0));
  if (options.json) process.stdout.write(`${redactor.scrub(JSON.stringify({ instances: out }, null, 2))}\n`);
  else process.stdout.write(redactor.scrub(out.map(table).join('\n')));
  return shutdown.exitCode() ?? combinedExitCode(results);
}

type View = ReturnType<typeof view>;

function view(r: RunResult, instance: InstanceConfig, removedLastDay: number) {
  const plan = r.plan;
  if (!plan || r.outcome !== 'success')
    return { name: r.instance, ok: false as const, error: r.message, failureClass: r.failureClass ?? null };
  const breaches = judge(plan, instance.guard, { removedLastDay });
  return {
    name: r.instance,
    ok: true as const,
    import: plan.import,
    invite: plan.invite,
    remove: plan.remove,
    link: plan.link,
    skipped: plan.skipped,
    groups: plan.groups,
    seats: plan.seats,
    failure: plan.failure ?? null,
    members: plan.members,
    directoryManaged: plan.directoryManaged,
    planId: planId(planScope(plan)),
    guard: {
      wouldStop: breaches.length > 0,
      breaches: breaches.map((b) => ({ rule: b.rule, message: b.message })),
      removedLastDay,
    },
    notes: plan.notes,
  };
}

function list(title: string, rows: string[]): string[] {
  if (rows.length === 0) return [];
  const shown = rows.slice(0, 50);
  return [
    `  ${title} (${rows.length}):`,
    ...shown.map((r) => `    ${r}`),
    ...(rows.length > 50 ? [`    ... and ${rows.length - 50} more (--json lists all)`] : []),
  ];
}

function table(v: View): string {
  if (!v.ok) return `instance ${v.name}: could not plan: ${v.error}\n`;
  const p = v as Extract<View, { ok: true }> & { groups: Plan['groups'] };
  const lines = [`instance ${p.name}: ${p.members} member(s) now, ${p.directoryManaged} managed by the directory`];
  if (!p.import.sent) lines.push('  bwdc would send nothing (no users, no groups, not overwriting).');
  else
    lines.push(
      `  import: ${p.import.members} member(s), ${p.import.deletedMembers} marked deleted, ${p.import.groups} group(s)`,
    );
  lines.push(
    ...list(
      'invite',
      p.invite.map((m) => `${m.email}  ${m.externalId}${m.staged ? '  (staged, no invitation)' : ''}`),
    ),
    ...list(
      'remove',
      p.remove.map((m) => `${m.email}  ${m.externalId}  (${m.reason})`),
    ),
    ...list(
      'link by email',
      p.link.map((m) => `${m.email}  -> ${m.externalId}`),
    ),
    ...list(
      'skipped',
      p.skipped.map((m) => `${m.email}  ${m.externalId}  (${m.reason})`),
    ),
    ...list(
      'create group',
      p.groups.create.map((g) => `${g.name}  ${g.externalId}`),
    ),
    ...list(
      'rename group',
      p.groups.rename.map((g) => `${g.from} -> ${g.to}`),
    ),
    ...list(
      'group members',
      p.groups.membership.map(
        (g) =>
          `${g.name}: +${g.add.length} -${g.remove.length}${g.remove.length ? ` (removes ${g.remove.join(', ')})` : ''}`,
      ),
    ),
    ...list(
      'groups left with no members',
      p.groups.emptied.map((g) => `${g.name}  ${g.externalId}  (had ${g.members})`),
    ),
  );
  if (p.seats)
    lines.push(
      `  seats: ${p.seats.occupied} occupied, ${p.seats.free} free, ${p.seats.needed} more needed (autoscaling: ${p.seats.autoscale})`,
    );
  else lines.push('  seats: not limited, or not reported by this server');
  if (p.failure) lines.push(`  the import would FAIL: ${p.failure}`);
  lines.push(
    p.guard.wouldStop
      ? `  guard rails: a run would be STOPPED (plan ${p.planId}): ${p.guard.breaches.map((b) => b.message).join('; ')}`
      : '  guard rails: within the limits',
  );
  for (const n of p.notes) lines.push(`  note: ${n}`);
  return `${lines.join('\n')}\n`;
}
