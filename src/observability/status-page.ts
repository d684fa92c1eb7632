// The status page `schedule` serves at / (docs/operations.md "The status page"): one server-rendered
// HTML document, no script, no front-end build, refreshing itself every 30 s (a meta refresh). Every
// value is escaped (escapeHtml) and comes from /status and the history, which hold no secret; the
// whole body passes the redactor on its way out (http.ts) as well.

export interface PageInstance {
  name: string;
  /** idle, running, queued, waiting, retry-wait, paused, quarantined, refused (awaiting approval), failing. */
  state: string;
  schedule: string;
  nextRun: string | null;
  lastOutcome: string;
  lastMessage: string;
  lastChanges: string;
  lastSuccessAt: string | null;
  pause: string | null;
  history: Array<{ at: string; kind: string; outcome: string; changes: string }>;
}

export interface PageView {
  host: string;
  generatedAt: string;
  instances: PageInstance[];
  refreshSeconds: number;
}

const entities: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: string | number | null | undefined): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => entities[c]!);
}

const badge = (state: string) => {
  const tone = /quarantined|failing|refused/.test(state) ? 'bad' : /paused/.test(state) ? 'warn' : 'ok';
  return `<span class="state ${tone}">${escapeHtml(state)}</span>`;
};

const tableHead = '<thead><tr><th>time</th><th>what</th><th>outcome</th><th>changes</th></tr></thead>';

// A paused instance's ticks still come round but are skipped: no "next run" until it is resumed.
const nextRunText = (i: PageInstance): string =>
  i.pause ? `none while paused${i.nextRun ? ` (the tick at ${i.nextRun} is skipped)` : ''}` : (i.nextRun ?? '-');

function instanceRows(i: PageInstance): string {
  const history = i.history
    .map(
      (h) =>
        `<tr><td>${escapeHtml(h.at)}</td><td>${escapeHtml(h.kind)}</td><td>${escapeHtml(h.outcome)}</td>` +
        `<td>${escapeHtml(h.changes)}</td></tr>`,
    )
    .join('');
  return `<section class="instance" id="i-${escapeHtml(i.name)}">
<h2>${escapeHtml(i.name)} ${badge(i.state)}</h2>
<dl>
<dt>schedule</dt><dd>${escapeHtml(i.schedule)}</dd>
<dt>next run</dt><dd>${escapeHtml(nextRunText(i))}</dd>
<dt>last run</dt><dd>${escapeHtml(i.lastOutcome)}: ${escapeHtml(i.lastMessage)}</dd>
<dt>last changes</dt><dd>${escapeHtml(i.lastChanges || '-')}</dd>
<dt>last success</dt><dd>${escapeHtml(i.lastSuccessAt ?? 'never')}</dd>
${i.pause ? `<dt>paused</dt><dd class="pause">${escapeHtml(i.pause)}</dd>` : ''}
</dl>
${history ? `<table>${tableHead}<tbody>${history}</tbody></table>` : '<p>no history yet</p>'}
</section>`;
}

export function renderStatusPage(view: PageView): string {
  const counts = new Map<string, number>();
  for (const i of view.instances) counts.set(i.state, (counts.get(i.state) ?? 0) + 1);
  const summary = [...counts].map(([s, n]) => `${n} ${escapeHtml(s)}`).join(', ');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="refresh" content="${view.refreshSeconds}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>bwdc-runner on ${escapeHtml(view.host)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.3em}h2{font-size:1.1em;margin:.2em 0}
.instance{border:1px solid #ccc;border-radius:6px;padding:.6em 1em;margin:.8em 0}
dl{display:grid;grid-template-columns:9em 1fr;margin:.3em 0}dt{color:#666}dd{margin:0}
.state{padding:.1em .5em;border-radius:4px;font-size:.85em}
.ok{background:#dfd}.warn{background:#fe8}.bad{background:#fcc}
table{border-collapse:collapse;width:100%;font-size:.9em}td,th{border-top:1px solid #eee;padding:.2em .4em;text-align:left;vertical-align:top}
</style>
</head>
<body>
<h1>bwdc-runner on ${escapeHtml(view.host)}</h1>
<p>${view.instances.length} instance(s): ${summary || 'none'}. Generated ${escapeHtml(view.generatedAt)};
refreshes every ${view.refreshSeconds} s. Read only.</p>
${view.instances.map(instanceRows).join('\n')}
</body>
</html>
`;
}
