/**
 * Events: the local bus's events as they happen (the runner's /local/events stream), each as one compact line over
 * exactly what a rule's target receives.
 */
import { field, h, replace } from './dom.js';
import { type BusEventLike, eventLine } from './event-line.js';

const KEPT = 200;

export const eventsSection = (apiUrl: string | undefined) => {
  const list = h('ol', { class: 'events', reversed: true });
  const count = h('p', { class: 'status', role: 'status' }, 'Waiting for events…');
  const pause = h('input', { type: 'checkbox', id: 'events-pause' });
  let seen = 0;

  const add = (event: BusEventLike & { id?: string }) => {
    seen++;
    replace(count, `${seen} event${seen === 1 ? '' : 's'} since the page opened.`);
    if (pause.checked) return;
    list.prepend(h('li', {}, h('details', {}, h('summary', {}, h('code', {}, eventLine(event))), h('pre', {}, JSON.stringify(event, null, 2)))));
    while (list.children.length > KEPT) list.lastElementChild?.remove();
  };

  if (apiUrl) {
    const source = new EventSource(`${apiUrl}/local/events`);
    source.addEventListener('message', (message) => add(JSON.parse(message.data as string) as BusEventLike));
    source.addEventListener('error', () => replace(count, 'The event stream was interrupted; reconnecting…'));
  }

  const section = h(
    'section',
    { id: 'events', 'aria-labelledby': 'events-title', class: 'card' },
    h('h2', { id: 'events-title' }, 'Events'),
    apiUrl
      ? h('p', {}, 'Every event on the local bus as a rule receives it: ConversationsDeleted, ConversationHistoryCleared, ConversationsRestored, purge requested and purged. Open one for its JSON. (`npm start -- --events` prints the same lines.)')
      : h('p', {}, 'In the cloud, subscribe with an EventBridge rule (docs/events.md).'),
    apiUrl
      ? h(
          'div',
          { class: 'row' },
          field('Pause the list', pause),
          h('button', { type: 'button', on: { click: () => replace(list) } }, 'Clear the list'),
        )
      : null,
    count,
    list,
  );
  return { section };
};
