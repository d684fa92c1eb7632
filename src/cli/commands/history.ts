// `history`: what each sync of the selected instances changed (state/history.ts), newest last, as a table
// or as JSON with every name. Read only: no lock is taken, so it works while a sync runs.
import { loadConfig, selectInstances } from '../../config/load.js';
import { readHistory } from '../../state/history.js';
import { instanceControlDir } from '../../state/control-dir.js';
import { entryLine } from '../../runner/history-view.js';
import type { CliOptions } from '../cli-options.js';

export async function historyCommand(options: CliOptions, env: NodeJS.ProcessEnv): Promise<number> {
  const config = loadConfig(env, { configPath: options.config });
  const instances = selectInstances(config, options.instances);
  const since = options.sinceMs === undefined ? undefined : Date.now() - options.sinceMs;
  const read = await Promise.all(
    instances.map(async (i) => ({ name: i.name, ...(await readHistory(instanceControlDir(config, i.name), since)) })),
  );
  for (const r of read)
    for (const s of r.skipped)
      process.stderr.write(`bwdc-runner history: ${r.name}: history.jsonl line ${s.line} skipped: ${s.reason}\n`);
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ instances: read }, null, 2)}\n`);
    return 0;
  }
  const rows = read
    .flatMap((r) =>
      r.entries.map((e) => {
        const l = entryLine(e);
        return { instance: r.name, at: l.at, kind: l.kind, outcome: l.outcome, changes: l.changes || l.note };
      }),
    )
    .sort((a, b) => a.at.localeCompare(b.at));
  if (rows.length === 0) {
    process.stdout.write(`no history${options.sinceMs !== undefined ? ' in that time' : ''}\n`);
    return 0;
  }
  const header = { at: 'TIME', instance: 'INSTANCE', kind: 'WHAT', outcome: 'OUTCOME', changes: 'CHANGES' };
  const all = [header, ...rows];
  const width = (k: keyof typeof header) => Math.max(...all.map((r) => r[k].length));
  const w = { at: width('at'), instance: width('instance'), kind: width('kind'), outcome: width('outcome') };
  for (const r of all)
    process.stdout.write(
      `${r.at.padEnd(w.at)}  ${r.instance.padEnd(w.instance)}  ${r.kind.padEnd(w.kind)}  ${r.outcome.padEnd(w.outcome)}  ${r.changes}\n`,
    );
  return 0;
}
