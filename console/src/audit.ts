/** Deletion audit (admin): a user's deletion, cleared-history and restore records from the admin audit route. */
import type { Chat, Deletion } from '../../client/src/index.js';
import { describeError, userDeletions } from './api.js';
import { clock, field, h, replace } from './dom.js';

const KIND: Record<Deletion['kind'], string> = { conversationsDeleted: 'deleted', historyCleared: 'history cleared', conversationsRestored: 'restored' };

const when = (iso: string | null | undefined) => (iso ? h('time', { datetime: iso, title: iso }, `${iso.slice(0, 10)} ${clock(iso)}`) : '—');

const purge = (d: Deletion): string => {
  const p = d.historyPurge;
  if (p.state === 'running' || p.state === 'complete') return `${p.state} (${p.messagesPurged ?? 0} purged)`;
  if (p.state === 'scheduled') return `scheduled for ${clock(p.scheduledFor)}`;
  return p.state;
};

export const auditSection = (adminChat: () => Chat | undefined) => {
  const userInput = h('input', { type: 'text', value: 'alice', autocomplete: 'off', spellcheck: 'false', required: true });
  const status = h('p', { class: 'status', role: 'status' });
  const error = h('p', { class: 'error', role: 'alert' });
  const table = h('div', { class: 'table-wrap', tabindex: 0, role: 'region', 'aria-label': 'Deletion records' });

  const show = async () => {
    replace(error);
    const userID = userInput.value.trim();
    try {
      const admin = adminChat();
      if (!admin) throw new Error('Sign in as an administrator under "Application configuration" first.');
      const records = (await userDeletions(admin, userID)).reverse();
      replace(status, `${records.length} record${records.length === 1 ? '' : 's'} of ${userID}, newest first (kept 35 days).`);
      replace(
        table,
        records.length === 0
          ? null
          : h(
              'table',
              {},
              h('caption', {}, `Deletion records of ${userID}`),
              h('thead', {}, h('tr', {}, ...['When', 'What', 'Acted by', 'Conversations', 'History', 'Purge', 'Restorable until', 'Restored'].map((c) => h('th', { scope: 'col' }, c)))),
              h(
                'tbody',
                {},
                ...records.map((d) =>
                  h(
                    'tr',
                    {},
                    h('td', {}, when(d.deletedAt)),
                    h('td', {}, KIND[d.kind] ?? d.kind),
                    h('td', {}, `${d.actedBy} (${d.actedAs})`),
                    h('td', {}, d.results.map((r) => `${r.conversationID}: ${r.status}`).join(', ')),
                    h('td', {}, d.kind === 'conversationsRestored' ? (d.clearHistoryMessage ? 'restored' : '—') : d.clearHistoryMessage ? 'cleared' : 'kept'),
                    h('td', {}, purge(d)),
                    h('td', {}, when(d.restorableUntil)),
                    h('td', {}, d.restoredAt ? when(d.restoredAt) : d.restoresDeletionID ? `undid ${d.restoresDeletionID.slice(0, 8)}` : '—'),
                  ),
                ),
              ),
            ),
      );
    } catch (e) {
      replace(error, describeError(e));
    }
  };

  const section = h(
    'section',
    { id: 'audit', 'aria-labelledby': 'audit-title', class: 'card' },
    h('h2', { id: 'audit-title' }, 'Deletion audit'),
    h('p', {}, 'Every deletion, cleared history and undo of a user: who acted, when, which conversations, and the purge.'),
    h('form', { class: 'row', 'aria-label': 'Deletion audit', on: { submit: (e) => (e.preventDefault(), void show()) } }, field('User ID', userInput), h('button', { type: 'submit' }, 'Show records')),
    status,
    error,
    table,
  );
  return { section };
};
