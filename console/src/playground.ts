/**
 * Playground: two devices of one user side by side and a second user, each a real SDK instance with its own device
 * ID and sync socket. Send, list, open a history, select conversations and delete them (with or without their
 * history), clear a history, undo the last change within its grace period, and watch the other device follow.
 */
import { type Chat, type Conversation, type Deletion, EVENT, type Message, TYPES } from '../../client/src/index.js';
import { createChat, type ConsoleConfig, describeError, localToken } from './api.js';
import { clock, field, h, replace, uid } from './dom.js';

type Change = { deletionID: string; label: string; restorableUntil: string | null };

/** How often a change's status is read while its purge is owed. */
const PURGE_POLL_MS = 2000;

const describeConversation = (c: Conversation): string => {
  const last = c.lastMessage ? `${c.lastMessage.from}: ${c.lastMessage.text}` : 'no messages shown (history cleared)';
  return `${last}${c.unreadCount ? ` · ${c.unreadCount} unread` : ''}`;
};

const purgeText = (d: Deletion): string => {
  const p = d.historyPurge;
  switch (p.state) {
    case 'none':
      return 'History kept: nothing to purge';
    case 'scheduled':
      return `History hidden; purge scheduled for ${clock(p.scheduledFor)}`;
    case 'running':
      return `Purge running: ${p.messagesPurged ?? 0} messages purged so far`;
    case 'complete':
      return `Purge complete at ${clock(p.completedAt)}: ${p.messagesPurged ?? 0} messages physically gone`;
    case 'cancelled':
      return 'Purge cancelled: restored';
  }
};

/** One device: a panel over one SDK instance. */
class DevicePanel {
  public readonly root: HTMLElement;
  private chat: Chat | undefined;
  private list: Conversation[] = [];
  private readonly selected = new Set<string>();
  private open: string | undefined;
  private change: Change | undefined;
  private pollTimer: ReturnType<typeof setTimeout> | undefined;
  private undoTimer: ReturnType<typeof setInterval> | undefined;
  private destroyed = false;

  private readonly net = h('span', { class: 'badge', role: 'status' }, 'signing in…');
  private readonly error = h('p', { class: 'error', role: 'alert' });
  private readonly conversations = h('ul', { class: 'conversations' });
  private readonly history = h('div', { class: 'history' });
  private readonly status = h('p', { class: 'status', role: 'status' });
  private readonly log = h('ol', { class: 'log' });
  private readonly to: HTMLInputElement;
  private readonly text = h('input', { type: 'text', autocomplete: 'off', maxlength: 4000 });
  /** Several copies make a big history, to watch its purge run after a deletion (with undo off, over 500 copies). */
  private readonly copies = h('select', {}, ...[1, 10, 100, 600].map((n) => h('option', { value: n }, n === 1 ? 'once' : `${n} times`)));
  private readonly clearHistory = h('input', { type: 'checkbox', checked: true });
  private readonly deleteButton = h('button', { type: 'button', disabled: true }, 'Delete selected');
  private readonly clearButton = h('button', { type: 'button', disabled: true }, 'Clear history');
  private readonly undoButton = h('button', { type: 'button', disabled: true }, 'Undo');

  public constructor(
    private readonly config: ConsoleConfig,
    private readonly userID: string,
    private readonly deviceID: string,
    peer: string,
    title: string,
  ) {
    this.to = h('input', { type: 'text', value: peer, autocomplete: 'off', spellcheck: 'false' });
    const titleID = uid('device');
    this.deleteButton.addEventListener('click', () => void this.deleteSelected());
    this.clearButton.addEventListener('click', () => void this.clearSelected());
    this.undoButton.addEventListener('click', () => void this.undo());
    this.root = h(
      'section',
      { class: 'card device', 'aria-labelledby': titleID },
      h('h3', { id: titleID }, title),
      h('p', { class: 'meta' }, `device ID ${deviceID} · socket `, this.net),
      h(
        'form',
        { class: 'compose', 'aria-label': `Send a message as ${title}`, on: { submit: (e) => (e.preventDefault(), void this.send()) } },
        field('To (user ID)', this.to),
        field('Message', this.text),
        field('Send it', this.copies),
        h('button', { type: 'submit' }, 'Send'),
      ),
      h('h4', {}, 'Conversations', h('button', { type: 'button', class: 'small', 'aria-label': `Reload the conversations of ${title}`, on: { click: () => void this.reload() } }, 'Reload')),
      this.conversations,
      h('div', { class: 'actions', role: 'group', 'aria-label': `Act on the selected conversations of ${title}` }, field('Clear their history too', this.clearHistory), this.deleteButton, this.clearButton, this.undoButton),
      this.status,
      this.error,
      this.history,
      h('details', { class: 'log-box' }, h('summary', {}, 'SDK events on this device'), this.log),
    );
  }

  public async start(token: string): Promise<void> {
    try {
      // Listeners first: login already emits the list and the socket's first state.
      const chat = createChat(this.config, { deviceID: this.deviceID });
      this.chat = chat;
      chat.on(EVENT.CONVERSATION_LIST_UPDATED, (event) => this.showList(event.data as Conversation[]));
      chat.on(EVENT.NET_STATE_CHANGE, (event) => replace(this.net, String((event.data as { state: string }).state)));
      for (const [name, verb] of [
        [EVENT.CONVERSATION_DELETED, 'deleted'],
        [EVENT.CONVERSATION_RESTORED, 'restored'],
        [EVENT.CONVERSATION_HISTORY_CLEARED, 'history cleared'],
      ] as const) {
        chat.on(name, (event) => {
          const d = event.data as { conversationIDList: string[]; originDeviceID: string | null; source: string };
          this.note(`${verb} on ${d.originDeviceID ?? 'the server'}: ${d.conversationIDList.join(', ')} (${d.source})`);
        });
      }
      chat.on(EVENT.ERROR, (event) => this.fail(event.data));
      await chat.login({ userID: this.userID, userSig: token });
    } catch (error) {
      this.fail(error);
    }
  }

  public async stop(): Promise<void> {
    this.destroyed = true;
    clearTimeout(this.pollTimer);
    clearInterval(this.undoTimer);
    await this.chat?.destroy();
  }

  private note(text: string) {
    this.log.prepend(h('li', {}, `${clock(new Date().toISOString())} ${text}`));
    while (this.log.children.length > 30) this.log.lastElementChild?.remove();
  }

  private fail(error: unknown) {
    replace(this.error, describeError(error));
  }

  /** Runs one user action: its error is shown on the panel, never thrown into the page. */
  private async act(what: (chat: Chat) => Promise<void>) {
    replace(this.error);
    try {
      if (!this.chat) throw new Error('this device is not signed in');
      await what(this.chat);
    } catch (error) {
      this.fail(error);
    }
  }

  private showList(list: Conversation[]) {
    if (this.destroyed) return;
    this.list = list;
    for (const id of [...this.selected]) if (!list.some((c) => c.conversationID === id)) this.selected.delete(id);
    replace(
      this.conversations,
      ...(list.length === 0
        ? [h('li', { class: 'empty' }, 'No conversations.')]
        : list.map((c) => {
            const box = h('input', { type: 'checkbox', id: uid('conv'), checked: this.selected.has(c.conversationID), 'data-conversation': c.conversationID });
            box.addEventListener('change', () => {
              if (box.checked) this.selected.add(c.conversationID);
              else this.selected.delete(c.conversationID);
              this.updateButtons();
            });
            return h(
              'li',
              { class: c.conversationID === this.open ? 'open' : '' },
              box,
              h('label', { for: box.id }, h('span', { class: 'id' }, c.conversationID), h('span', { class: 'last' }, describeConversation(c))),
              h('button', { type: 'button', class: 'small', 'aria-label': `Open the history of ${c.conversationID}`, on: { click: () => void this.openHistory(c.conversationID) } }, 'History'),
            );
          })),
    );
    this.updateButtons();
    if (this.open) void this.openHistory(this.open);
  }

  private updateButtons() {
    const n = this.selected.size;
    this.deleteButton.disabled = n === 0;
    this.clearButton.disabled = n !== 1;
    replace(this.deleteButton, n > 1 ? `Delete selected (${n})` : 'Delete selected');
  }

  /** What a device that was not told would see after a restart: the list as the server has it now. */
  private async reload() {
    await this.act(async (chat) => {
      // getConversationList answers without CONVERSATION_LIST_UPDATED: show what it read.
      this.showList((await chat.getConversationList()).data.conversationList);
    });
  }

  private async send() {
    await this.act(async (chat) => {
      const to = this.to.value.trim();
      const text = this.text.value;
      const times = Number(this.copies.value);
      for (let i = 1; i <= times; i++) {
        const message = chat.createTextMessage({ to, conversationType: TYPES.CONV_C2C, payload: { text: times === 1 ? text : `${text} (${i}/${times})` } });
        await chat.sendMessage(message);
        if (times > 1 && (i % 10 === 0 || i === times)) replace(this.status, `Sent ${i} of ${times} messages.`);
      }
      // Unless the reader already typed the next one.
      if (this.text.value === text) this.text.value = '';
    });
  }

  private async openHistory(conversationID: string) {
    this.open = conversationID;
    await this.act(async (chat) => {
      const messages: Message[] = [];
      let next: string | undefined;
      // The newest 45 are plenty to see a history come and go.
      for (let page = 0; page < 3; page++) {
        const { data } = await chat.getMessageList({ conversationID, count: 15, ...(next ? { nextReqMessageID: next } : {}) });
        messages.push(...data.messageList);
        if (data.isCompleted) break;
        next = data.nextReqMessageID;
      }
      if (this.open !== conversationID) return;
      const titleID = uid('hist');
      replace(
        this.history,
        h(
          'section',
          { 'aria-labelledby': titleID },
          h('h4', { id: titleID }, `History of ${conversationID}`, h('button', { type: 'button', class: 'small', on: { click: () => this.closeHistory() } }, 'Close')),
          messages.length === 0
            ? h('p', { class: 'empty' }, 'No messages.')
            : h('ol', { class: 'messages', reversed: true }, ...messages.map((m) => h('li', { class: m.flow }, h('span', { class: 'from' }, m.from), ' ', m.payload.text, h('time', { datetime: m.createdAt ?? '' }, clock(m.createdAt))))),
        ),
      );
    });
  }

  private closeHistory() {
    this.open = undefined;
    replace(this.history);
  }

  private async deleteSelected() {
    const ids = this.list.map((c) => c.conversationID).filter((id) => this.selected.has(id));
    const clearHistoryMessage = this.clearHistory.checked;
    await this.act(async (chat) => {
      const { data } = await chat.deleteConversation({ conversationIDList: ids, clearHistoryMessage });
      if (this.open && ids.includes(this.open)) this.closeHistory();
      this.track({ deletionID: data.deletionID, label: `Deleted ${ids.join(', ')} (history ${clearHistoryMessage ? 'cleared' : 'kept'})`, restorableUntil: data.restorableUntil ?? null });
    });
  }

  private async clearSelected() {
    const [conversationID] = [...this.selected];
    if (!conversationID) return;
    await this.act(async (chat) => {
      const { data } = await chat.clearHistoryMessage(conversationID);
      this.track({ deletionID: data.deletionID, label: `Cleared the history of ${conversationID}`, restorableUntil: data.restorableUntil });
    });
  }

  private async undo() {
    const change = this.change;
    if (!change) return;
    await this.act(async (chat) => {
      const { data } = await chat.restoreConversation(change.deletionID);
      const superseded = data.results.filter((r) => r.status === 'superseded').map((r) => r.conversationID);
      this.change = undefined;
      clearInterval(this.undoTimer);
      this.undoButton.disabled = true;
      replace(this.undoButton, 'Undo');
      replace(this.status, `Restored ${data.conversationIDList.join(', ') || 'nothing'}${superseded.length ? `; superseded by a later change: ${superseded.join(', ')}` : ''}.`);
      clearTimeout(this.pollTimer);
    });
  }

  /** Shows the change just made, its undo button while it can be undone, and its purge until that is settled. */
  private track(change: Change) {
    this.change = change;
    clearInterval(this.undoTimer);
    clearTimeout(this.pollTimer);
    const until = change.restorableUntil ? Date.parse(change.restorableUntil) : 0;
    const tick = () => {
      const left = Math.ceil((until - Date.now()) / 1000);
      this.undoButton.disabled = left <= 0 || this.change !== change;
      replace(this.undoButton, left > 0 ? `Undo (${left} s left)` : 'Undo');
      if (left <= 0) clearInterval(this.undoTimer);
    };
    tick();
    if (until > Date.now()) this.undoTimer = setInterval(tick, 1000);
    replace(this.status, `${change.label}. ${change.restorableUntil ? `Undo until ${clock(change.restorableUntil)}.` : 'Undo is off.'}`);
    void this.poll(change);
  }

  private async poll(change: Change) {
    if (this.destroyed || this.change !== change || !this.chat) return;
    try {
      const { data } = await this.chat.getDeletion(change.deletionID);
      if (this.change !== change) return;
      replace(this.status, `${change.label}. ${change.restorableUntil ? `Undo until ${clock(change.restorableUntil)}. ` : 'Undo is off. '}`, h('span', { class: 'purge' }, purgeText(data)), '.');
      if (data.historyPurge.state === 'running' || data.historyPurge.state === 'scheduled') {
        this.pollTimer = setTimeout(() => void this.poll(change), data.historyPurge.state === 'running' ? PURGE_POLL_MS : 5 * PURGE_POLL_MS);
      }
    } catch (error) {
      this.fail(error);
    }
  }
}

export const playgroundSection = (config: ConsoleConfig) => {
  const userA = h('input', { type: 'text', value: 'alice', autocomplete: 'off', spellcheck: 'false' });
  const userB = h('input', { type: 'text', value: 'bob', autocomplete: 'off', spellcheck: 'false' });
  const devices = h('div', { class: 'devices' });
  const error = h('p', { class: 'error', role: 'alert' });
  let panels: DevicePanel[] = [];

  const start = async () => {
    replace(error);
    await Promise.all(panels.map((p) => p.stop()));
    const a = userA.value.trim();
    const b = userB.value.trim();
    panels = [new DevicePanel(config, a, `${a}-laptop`, b, `${a} · laptop`), new DevicePanel(config, a, `${a}-phone`, b, `${a} · phone`), new DevicePanel(config, b, `${b}-phone`, a, `${b} · phone`)];
    replace(devices, ...panels.map((p) => p.root));
    try {
      const tokens = new Map<string, string>();
      for (const user of new Set([a, b])) tokens.set(user, await localToken(config, user, false));
      await Promise.all(panels.map((p, i) => p.start(tokens.get(i < 2 ? a : b)!)));
    } catch (e) {
      replace(error, describeError(e));
    }
  };

  /** The cloud: two devices of the signed-in user (other users' tokens are theirs to get). */
  const startAs = async (userID: string, token: string) => {
    await Promise.all(panels.map((p) => p.stop()));
    panels = [new DevicePanel(config, userID, `${userID}-console-1`, '', `${userID} · device 1`), new DevicePanel(config, userID, `${userID}-console-2`, '', `${userID} · device 2`)];
    replace(devices, ...panels.map((p) => p.root));
    await Promise.all(panels.map((p) => p.start(token)));
  };

  const section = h(
    'section',
    { id: 'playground', 'aria-labelledby': 'playground-title', class: 'card' },
    h('h2', { id: 'playground-title' }, 'Playground'),
    h('p', {}, 'Two devices of one user and a second user, each a real client SDK instance with its own device ID and WebSocket. With sync on, a deletion on one device leaves the other device\'s list at once; with sync off it stays until that device reloads.'),
    config.mode === 'local'
      ? h('form', { class: 'row', 'aria-label': 'Playground users', on: { submit: (e) => (e.preventDefault(), void start()) } }, field('User A', userA), field('User B', userB), h('button', { type: 'submit' }, 'Start playground'))
      : h('p', {}, 'In the cloud the playground runs two devices of the signed-in user.'),
    error,
    devices,
  );
  return { section, start, startAs };
};
