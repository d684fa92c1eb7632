// History entries (state/history.ts) as people read them: one line each, for `bwdc-runner history`'s
// table and the status page. The names of the first few members of each change are shown; --json and
// GET /instances/NAME/history have them all.
import type { HistoryEntry } from '../state/history.js';
import type { SyncChanges } from './history-entry.js';

export interface EntryLine {
  at: string;
  kind: string;
  outcome: string;
  /** What changed (or would have, or what happened to a pause); '' when nothing did. */
  changes: string;
  /** The run's message, when there are no changes to show (a failure before the import). */
  note: string;
}

const shown = 3;
const names = (list: Array<{ email: string }>, total: number): string => {
  const first = list.slice(0, shown).map((m) => m.email);
  return first.length ? ` (${first.join(', ')}${total > first.length ? `, +${total - first.length}` : ''})` : '';
};

/** The changes of a sync entry with the first names of each kind. */
export function describeChanges(c: SyncChanges | undefined): string {
  if (!c) return '';
  const n = c.counts;
  const parts: string[] = [];
  if (n.invite) parts.push(`${n.invite} invited${names(c.invited, n.invite)}`);
  for (const reason of ['deleted', 'disabled', 'overwrite']) {
    const list = c.removed.filter((r) => r.reason === reason);
    if (list.length) parts.push(`${list.length} removed, ${reason}${names(list, list.length)}`);
  }
  if (n.remove > c.removed.length) parts.push(`${n.remove - c.removed.length} more removed`);
  if (n.link) parts.push(`${n.link} linked${names(c.linked, n.link)}`);
  if (n.group_create)
    parts.push(
      `${n.group_create} group(s) created (${c.groupsCreated
        .slice(0, shown)
        .map((g) => g.name)
        .join(', ')})`,
    );
  if (n.group_rename) parts.push(`${n.group_rename} group(s) renamed`);
  if (n.group_membership) {
    const added = c.memberships.reduce((s, g) => s + g.added.length, 0);
    const ended = c.memberships.reduce((s, g) => s + g.ended.length, 0);
    parts.push(`memberships +${added} -${ended}`);
  }
  return parts.length ? parts.join('; ') : 'no changes';
}

export function entryLine(e: HistoryEntry): EntryLine {
  const s = (k: string) => (typeof e[k] === 'string' ? e[k] : '');
  switch (e.kind) {
    case 'sync': {
      const cls = s('failureClass');
      const outcome = `${s('outcome')}${cls ? ` (${cls})` : ''}`;
      const disposition = s('disposition');
      const refused = e.refused as { planId?: string; rules?: string[] } | undefined;
      const verification = e.verification as { ok: boolean } | undefined;
      const notes: string[] = [];
      if (refused)
        notes.push(
          `REFUSED by ${(refused.rules ?? []).join(', ')}${refused.planId ? `, plan ${refused.planId}` : ''}; would have made:`,
        );
      else if (disposition === 'failed') notes.push('sent, not accepted:');
      const approval = e.approval as { planId?: string } | undefined;
      if (approval?.planId) notes.push(`approval ${approval.planId} used:`);
      const changes =
        disposition === 'none'
          ? e.unchanged
            ? 'unchanged'
            : s('outcome') === 'success'
              ? 'no changes'
              : ''
          : describeChanges(e.changes as SyncChanges);
      if (verification && !verification.ok) notes.push('NOT VERIFIED;');
      const text = [...notes, changes].filter(Boolean).join(' ');
      return { at: e.at, kind: 'sync', outcome, changes: text, note: text ? '' : s('message') };
    }
    case 'pause':
      return { at: e.at, kind: 'pause', outcome: '', changes: `paused by ${s('by')}: ${s('reason')}`, note: '' };
    case 'resume':
      return {
        at: e.at,
        kind: 'resume',
        outcome: '',
        changes: `${s('ended') === 'quarantine' ? 'quarantine' : 'pause'} ended by ${s('by')}`,
        note: '',
      };
    case 'quarantine':
      return { at: e.at, kind: 'quarantine', outcome: '', changes: s('reason'), note: '' };
    default:
      return { at: e.at, kind: e.kind, outcome: s('outcome'), changes: '', note: s('message') || s('reason') };
  }
}
