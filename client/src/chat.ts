/**
 * `chat`: the reference SDK's calls and events over the service's HTTP API and WebSocket. It keeps the user's
 * conversation list, applies deletions made on the user's other devices (pushed, or caught up after being offline)
 * exactly once each, and emits the reference's events.
 */
import { ChatError } from './errors.js';
import { EVENT, Emitter, type Handler, TYPES } from './events.js';
import { type Call, createRequester, type ImResponse, randomID, type Requester, type RetryOptions } from './http.js';
import { type SyncState, SyncConnection, type WebSocketConstructor } from './sync.js';
import type {
  AuditQuery,
  AppSettings,
  ClearHistoryResult,
  Conversation,
  ConversationType,
  Deletion,
  DeletionNotice,
  DeletionResult,
  Message,
  NoticeEvent,
  RestoreResult,
  ServerConversation,
  ServerMessage,
} from './types.js';
import { auditQuery, checkConversationID, checkDeleteOptions, checkDeletionID, checkText, checkUserID, DEVICE_ID_PATTERN, GROUP_ID_PATTERN, USER_ID_PATTERN } from './validate.js';

/** `localStorage`, or anything with its three methods (they may return promises). */
export interface StorageLike {
  getItem(key: string): string | null | Promise<string | null>;
  setItem(key: string, value: string): void | Promise<void>;
  removeItem(key: string): void | Promise<void>;
}

export type CreateOptions = {
  /** The HTTP API, such as `http://localhost:3000` or the stack's `HttpApiUrl`. */
  baseURL: string;
  /** The WebSocket API. @default baseURL with ws(s):// and /v1/ws (the local runner's) */
  websocketURL?: string;
  /** This device's ID, sent as X-Device-ID and on the socket. @default one generated once and kept in `storage` */
  deviceID?: string;
  /** Where the device ID, the catch-up cursor and the applied deletion IDs are kept. @default memory */
  storage?: StorageLike;
  /** The WebSocket class. @default globalThis.WebSocket (browsers, Node 22+); on Node 20 pass `ws`'s */
  WebSocket?: WebSocketConstructor;
  /** The fetch function. @default globalThis.fetch */
  fetch?: typeof fetch;
  /** Connect the sync socket after login. @default true */
  sync?: boolean;
  retry?: RetryOptions;
  /** The sync socket's reconnect backoff. @default { baseDelayMs: 500, maxDelayMs: 30000 } */
  reconnect?: { baseDelayMs?: number; maxDelayMs?: number };
};

/** The reference's DELETE_CONVERSATION_OPTIONS. */
export type DeleteConversationOptions = {
  conversationIDList: string[];
  /** Also clear the user's history of them. @default true */
  clearHistoryMessage?: boolean;
};

export type LoginOptions = {
  userID: string;
  /** The bearer token (the reference's userSig). */
  userSig?: string;
  /** Called for each request and connection instead of `userSig`; return a fresh token when the last one expired. */
  getToken?: () => Promise<string>;
};

/** How many applied deletion IDs are remembered: far more than a catch-up's 60 s overlap can repeat. */
const APPLIED_KEPT = 500;
const STORAGE_PREFIX = 'conversation-deletion:';

const memoryStorage = (): StorageLike => {
  const items = new Map<string, string>();
  return {
    getItem: (key) => items.get(key) ?? null,
    setItem: (key, value) => void items.set(key, value),
    removeItem: (key) => void items.delete(key),
  };
};

const enc = encodeURIComponent;

const conversationTypeOf = (conversationID: string): ConversationType =>
  conversationID.startsWith('C2C') ? 'C2C' : conversationID.startsWith('GROUP') ? 'GROUP' : '@TIM#SYSTEM';

/**
 * A conversation as the server answers it, with the reference's names added (never renamed): `type` in the reference's
 * values (TYPES.CONV_SYSTEM is '@TIM#SYSTEM'), and on `lastMessage` the reference's `messageForShow`, `lastTime`
 * (seconds), `fromAccount`, `type` and `payload`.
 */
const toConversation = (c: ServerConversation): Conversation => ({
  ...c,
  type: c.type === 'SYSTEM' ? TYPES.CONV_SYSTEM : c.type,
  lastMessage: c.lastMessage && {
    ...c.lastMessage,
    messageForShow: c.lastMessage.text,
    lastTime: Math.floor(Date.parse(c.lastMessage.createdAt) / 1000),
    fromAccount: c.lastMessage.from,
    type: TYPES.MSG_TEXT,
    payload: { text: c.lastMessage.text },
  },
});

export class Chat {
  private readonly emitter = new Emitter();
  private readonly storage: StorageLike;
  private readonly request: Requester;
  private readonly WebSocketClass: WebSocketConstructor | undefined;
  private user: { userID: string; token: (refresh: boolean) => Promise<string> } | undefined;
  private deviceIDValue: string | undefined;
  private destroyed = false;
  private sync: SyncConnection | undefined;
  private stopListening: () => void = () => undefined;
  private list: Conversation[] = [];
  private applied: string[] = [];
  /** This session's first catch-up is done: later ones announce what they apply. */
  private caughtUp = false;
  private appliedSet = new Set<string>();
  /** Notices are applied one at a time, in arrival order (a restore reloads the list before the next one). */
  private applying: Promise<void> = Promise.resolve();

  public constructor(private readonly options: CreateOptions) {
    if (typeof options?.baseURL !== 'string' || !/^https?:\/\//.test(options.baseURL)) {
      throw new ChatError('INVALID_REQUEST', 'create({ baseURL }) needs the API URL, such as "http://localhost:3000"');
    }
    if (options.deviceID !== undefined && !DEVICE_ID_PATTERN.test(options.deviceID)) {
      throw new ChatError('INVALID_HEADER', `deviceID must be 1-128 characters of A-Z a-z 0-9 _ . : @ # -, not ${JSON.stringify(options.deviceID)}`);
    }
    this.storage = options.storage ?? memoryStorage();
    this.WebSocketClass = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (options.sync !== false && !this.WebSocketClass) {
      throw new ChatError('INVALID_REQUEST', 'this platform has no global WebSocket: pass one (create({ WebSocket }) with the "ws" package on Node 20), or sync: false');
    }
    const fetchFn = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.request = createRequester({
      baseURL: options.baseURL,
      fetch: fetchFn,
      token: async (refresh) => this.user?.token(refresh),
      deviceID: () => this.deviceIDValue ?? '',
      ...(options.retry ? { retry: options.retry } : {}),
    });
  }

  // ----------------------------------------------------------------------------------------------------------------
  // Lifecycle

  /** Logs in, loads the conversation list, emits SDK_READY, then connects the sync socket. */
  public async login(options: LoginOptions): Promise<ImResponse<{ repeatLogin: boolean }>> {
    this.alive();
    const { userID, userSig, getToken } = (options ?? {}) as LoginOptions;
    checkUserID(userID);
    if (typeof getToken !== 'function' && (typeof userSig !== 'string' || userSig === '')) {
      throw new ChatError('INVALID_REQUEST', 'login needs userSig (the bearer token) or getToken');
    }
    if (this.user?.userID === userID) return { code: 0, data: { repeatLogin: true } };
    if (this.user) await this.logout();
    this.deviceIDValue = this.options.deviceID ?? (await this.storage.getItem(`${STORAGE_PREFIX}deviceID`)) ?? undefined;
    if (!this.deviceIDValue) {
      this.deviceIDValue = randomID();
      await this.storage.setItem(`${STORAGE_PREFIX}deviceID`, this.deviceIDValue);
    }
    const user = { userID, token: typeof getToken === 'function' ? () => getToken() : async () => userSig! };
    this.user = user;
    try {
      this.applied = JSON.parse((await this.storage.getItem(this.key('applied'))) ?? '[]') as string[];
    } catch {
      this.applied = [];
    }
    this.appliedSet = new Set(this.applied);
    try {
      await this.loadList();
    } catch (error) {
      if (this.user === user) this.user = undefined;
      throw error;
    }
    // logout() (or another login) while the list was loading: this login is over.
    if (this.user !== user) throw new ChatError('NOT_LOGGED_IN', 'logged out while logging in');
    this.emitter.emit(EVENT.SDK_READY, {});
    this.emitter.emit(EVENT.CONVERSATION_LIST_UPDATED, this.snapshot());
    if (this.options.sync !== false) this.startSync();
    return { code: 0, data: { repeatLogin: false } };
  }

  /** Disconnects and forgets the user's data in memory (the storage keeps the cursor for the next login). */
  public async logout(): Promise<ImResponse<Record<string, never>>> {
    this.stopListening();
    this.stopListening = () => undefined;
    this.sync?.stop();
    this.sync = undefined;
    const was = this.user;
    this.user = undefined;
    this.list = [];
    this.applied = [];
    this.appliedSet = new Set();
    this.caughtUp = false;
    if (was) this.emitter.emit(EVENT.SDK_NOT_READY, {});
    return { code: 0, data: {} };
  }

  /** Logs out and drops every listener; the instance cannot be used again. */
  public async destroy(): Promise<void> {
    await this.logout();
    this.emitter.clear();
    this.destroyed = true;
  }

  public on(eventName: string, handler: Handler, context?: unknown): void {
    this.emitter.on(eventName, handler, context);
  }

  public off(eventName: string, handler: Handler, context?: unknown): void {
    this.emitter.off(eventName, handler, context);
  }

  /** This device's ID (X-Device-ID), known after login. */
  public get deviceID(): string | undefined {
    return this.deviceIDValue;
  }

  /** The sync socket's state: `live` once connected and caught up. */
  public get syncState(): SyncState {
    return this.sync?.state ?? 'stopped';
  }

  /** Resolves once the sync socket is connected and caught up (at once when it already is). */
  public whenSynced(): Promise<void> {
    if (!this.sync) return Promise.reject(new ChatError('NOT_LOGGED_IN', 'sync runs between login and logout (and not with sync: false)'));
    return this.sync.whenLive();
  }

  // ----------------------------------------------------------------------------------------------------------------
  // Conversations

  /** The reference's `getConversationList()`: every conversation of the user, newest first, read from the server. */
  public async getConversationList(): Promise<ImResponse<{ conversationList: Conversation[]; isSyncCompleted: boolean }>> {
    this.loggedIn();
    await this.loadList();
    return { code: 0, data: { conversationList: this.snapshot(), isSyncCompleted: true } };
  }

  /**
   * The reference's `deleteConversation(options)`: `'C2Cbob'` or `{ conversationIDList, clearHistoryMessage }`
   * (clearHistoryMessage defaults to true). Resolves `{ code: 0, data }` with `data.conversationID` (string form)
   * or `data.conversationIDList` (object form), plus `results`, `historyPurge`, `deletionID`, `deletedAt`.
   */
  public deleteConversation(conversationID: string): Promise<ImResponse<DeletionResult & { conversationID: string }>>;
  public deleteConversation(options: DeleteConversationOptions): Promise<ImResponse<DeletionResult & { conversationIDList: string[] }>>;
  public deleteConversation(options: string | DeleteConversationOptions): Promise<ImResponse<DeletionResult>>;
  public async deleteConversation(options: string | DeleteConversationOptions): Promise<ImResponse<DeletionResult>> {
    this.loggedIn();
    const checked = checkDeleteOptions(options);
    let answer: ImResponse<DeletionResult>;
    try {
      answer = await this.call<DeletionResult>({ method: 'POST', path: '/v1/conversations/delete', body: checked.body, replay: 'keyed' });
    } catch (error) {
      // PARTIAL_FAILURE still deleted some: the list drops those (its data names what is gone), then the call rejects.
      const data = (error as ChatError).data as Partial<DeletionResult> | undefined;
      if ((error as ChatError).error === 'PARTIAL_FAILURE' && data?.deletionID) {
        this.markApplied(data.deletionID);
        const gone = new Set((data.results ?? []).filter((r) => r.status !== 'failed').map((r) => r.conversationID));
        this.replaceList(this.list.filter((c) => !gone.has(c.conversationID)));
      }
      throw error;
    }
    // Our own deletion: the server tells our other devices, not this one; its later catch-up entry is a repeat.
    this.markApplied(answer.data.deletionID);
    const gone = new Set(checked.conversationIDList);
    this.replaceList(this.list.filter((c) => !gone.has(c.conversationID)));
    return answer;
  }

  /** The reference's `clearHistoryMessage(conversationID)`: hides the user's history of it; the conversation stays. */
  public async clearHistoryMessage(conversationID: string): Promise<ImResponse<ClearHistoryResult>> {
    this.loggedIn();
    checkConversationID(conversationID);
    const answer = await this.call<ClearHistoryResult>({ method: 'POST', path: `/v1/conversations/${enc(conversationID)}/clear-history`, replay: 'keyed' });
    this.markApplied(answer.data.deletionID);
    await this.loadList();
    this.emitter.emit(EVENT.CONVERSATION_LIST_UPDATED, this.snapshot());
    return answer;
  }

  /** Ours: undoes a deletion or a cleared history within its grace period (`restorableUntil`). */
  public async restoreConversation(deletionID: string): Promise<ImResponse<RestoreResult>> {
    this.loggedIn();
    checkDeletionID(deletionID);
    const answer = await this.call<RestoreResult>({ method: 'POST', path: '/v1/conversations/restore', body: { deletionID }, replay: 'keyed' });
    this.markApplied(answer.data.restoreID);
    // The restored conversations come back with content this device does not have: read them.
    await this.loadList();
    this.emitter.emit(EVENT.CONVERSATION_LIST_UPDATED, this.snapshot());
    return answer;
  }

  /** Ours: a deletion's record: what it did, its purge, whether and until when it can be undone. */
  public async getDeletion(deletionID: string): Promise<ImResponse<Deletion>> {
    this.loggedIn();
    checkDeletionID(deletionID);
    return this.call<Deletion>({ method: 'GET', path: `/v1/deletions/${enc(deletionID)}`, replay: 'safe' });
  }

  // ----------------------------------------------------------------------------------------------------------------
  // Messages

  /**
   * The reference's `getMessageList({ conversationID, nextReqMessageID })`: one page (15 by default, `count` up to
   * 100); pass `nextReqMessageID` back for the next page until `isCompleted`.
   */
  public async getMessageList(options: {
    conversationID: string;
    nextReqMessageID?: string;
    count?: number;
  }): Promise<ImResponse<{ messageList: Message[]; nextReqMessageID: string; isCompleted: boolean }>> {
    this.loggedIn();
    const conversationID = checkConversationID(options?.conversationID);
    const count = options.count ?? 15;
    if (!Number.isInteger(count) || count < 1 || count > 100) throw new ChatError('INVALID_QUERY', `count must be a whole number from 1 to 100, not ${count}`);
    const query = `?limit=${count}${options.nextReqMessageID ? `&cursor=${enc(options.nextReqMessageID)}` : ''}`;
    const answer = await this.call<{ messageList: ServerMessage[]; nextCursor: string | null }>({
      method: 'GET',
      path: `/v1/conversations/${enc(conversationID)}/messages${query}`,
      replay: 'safe',
    });
    const { messageList, nextCursor } = answer.data;
    return { code: 0, data: { messageList: messageList.map((m) => this.toMessage(m)), nextReqMessageID: nextCursor ?? '', isCompleted: nextCursor === null } };
  }

  /** The reference's `createTextMessage({ to, conversationType, payload: { text } })`: a message to send, not sent yet. */
  public createTextMessage(options: { to: string; conversationType: 'C2C' | 'GROUP'; payload: { text: string } }): Message {
    const user = this.loggedIn();
    const { to, conversationType, payload } = (options ?? {}) as typeof options;
    if (conversationType !== TYPES.CONV_C2C && conversationType !== TYPES.CONV_GROUP) {
      throw new ChatError('INVALID_CONVERSATION_ID', `conversationType must be TYPES.CONV_C2C ("C2C") or TYPES.CONV_GROUP ("GROUP"), not ${JSON.stringify(conversationType)}`);
    }
    if (typeof to !== 'string' || !(conversationType === 'C2C' ? USER_ID_PATTERN : GROUP_ID_PATTERN).test(to)) {
      throw new ChatError(conversationType === 'C2C' ? 'INVALID_USER_ID' : 'INVALID_GROUP_ID', `to: ${JSON.stringify(to)} is not a ${conversationType === 'C2C' ? 'userID' : 'groupID'}`);
    }
    if (conversationType === 'C2C' && to === user.userID) throw new ChatError('CANNOT_MESSAGE_SELF', 'a one-to-one chat is with another user');
    const text = checkText(payload?.text);
    return {
      ID: `local-${randomID()}`,
      type: TYPES.MSG_TEXT,
      payload: { text },
      conversationID: `${conversationType}${to}`,
      conversationType,
      to,
      from: user.userID,
      flow: 'out',
      time: Math.floor(Date.now() / 1000),
      status: 'unSend',
    };
  }

  /** The reference's `sendMessage(message)`: resolves `{ code: 0, data: { message } }`, the message as stored. */
  public async sendMessage(message: Message): Promise<ImResponse<{ message: Message }>> {
    this.loggedIn();
    if (!message || typeof message !== 'object' || message.type !== TYPES.MSG_TEXT) {
      throw new ChatError('INVALID_REQUEST', 'send a message made by createTextMessage');
    }
    // Sending is not idempotent on the server: repeated only after a 429 (nothing was stored then).
    const answer = await this.call<ServerMessage>({
      method: 'POST',
      path: '/v1/messages',
      body: { conversationID: message.conversationID, text: message.payload.text },
      replay: 'once',
    });
    const stored = answer.data;
    const old = this.list.find((c) => c.conversationID === stored.conversationID);
    const ref = conversationTypeOf(stored.conversationID);
    const conversation = toConversation({
      conversationID: stored.conversationID,
      type: ref === '@TIM#SYSTEM' ? 'SYSTEM' : ref,
      ...(ref === 'C2C' ? { peerUserID: stored.conversationID.slice(3) } : { groupID: stored.conversationID.slice(5) }),
      lastMessage: stored,
      unreadCount: old?.unreadCount ?? 0,
      updatedAt: stored.createdAt,
    });
    this.replaceList([conversation, ...this.list.filter((c) => c !== old)]);
    return { code: 0, data: { message: { ...message, ...this.toMessage(stored), status: 'success' } } };
  }

  // ----------------------------------------------------------------------------------------------------------------
  // Admin

  /** Ours (admin token): the app settings, such as `syncConversationDeletion`. */
  public async getAppSettings(): Promise<ImResponse<AppSettings>> {
    this.loggedIn();
    return this.call<AppSettings>({ method: 'GET', path: '/v1/admin/settings', replay: 'safe' });
  }

  /** Ours (admin token): changes the named settings, keeps the others. */
  public async setAppSettings(settings: { syncConversationDeletion?: boolean; deletionGracePeriodSeconds?: number }): Promise<ImResponse<AppSettings>> {
    this.loggedIn();
    // Setting values is idempotent by nature: a repeat sets the same values again.
    return this.call<AppSettings>({ method: 'PUT', path: '/v1/admin/settings', body: settings, replay: 'safe' });
  }

  /**
   * Ours (admin token): a user's audit trail, oldest first: every kept deletion, cleared history and restore, with who
   * acted, when, what, and the purge state. `since` (ISO UTC time, inclusive) or `cursor` (a `nextCursor`); `limit`
   * 1-100 (20). `nextCursor` is null on the last page.
   */
  public async getUserDeletions(userID: string, options?: AuditQuery): Promise<ImResponse<{ deletionList: Deletion[]; nextCursor: string | null }>> {
    this.loggedIn();
    checkUserID(userID);
    const query = auditQuery(options);
    return this.call<{ deletionList: Deletion[]; nextCursor: string | null }>({ method: 'GET', path: `/v1/admin/users/${enc(userID)}/deletions${query}`, replay: 'safe' });
  }

  // ----------------------------------------------------------------------------------------------------------------
  // Sync

  private startSync(): void {
    const user = this.user!;
    const base = this.options.websocketURL ?? `${this.options.baseURL.replace(/^http/, 'ws').replace(/\/+$/, '')}/v1/ws`;
    const netState = { connecting: TYPES.NET_STATE_CONNECTING, catchingUp: TYPES.NET_STATE_CONNECTED, backingOff: TYPES.NET_STATE_DISCONNECTED } as const;
    let lastNet: string | undefined;
    this.sync = new SyncConnection({
      WebSocket: this.WebSocketClass!,
      url: async () => `${base}?token=${enc(await user.token(false))}&deviceID=${enc(this.deviceIDValue!)}`,
      catchUp: () => this.catchUp(user.userID),
      onMessage: (message) => this.onPush(message),
      onState: (state) => {
        const net = netState[state as keyof typeof netState];
        if (net && net !== lastNet) {
          lastNet = net;
          this.emitter.emit(EVENT.NET_STATE_CHANGE, { state: net });
        }
      },
      onError: (error) => this.emitter.emit(EVENT.ERROR, error),
      ...this.options.reconnect,
    });
    this.sync.start();
    // Browsers say when the network is back: reconnect then instead of waiting out the backoff.
    const events = globalThis as { addEventListener?: (type: string, listener: () => void) => void; removeEventListener?: (type: string, listener: () => void) => void };
    const online = () => this.sync?.reconnectNow();
    events.addEventListener?.('online', online);
    this.stopListening = () => events.removeEventListener?.('online', online);
  }

  private onPush(message: unknown): void {
    const m = message as { type?: unknown; data?: DeletionNotice };
    if (typeof m?.type !== 'string' || !m.type.startsWith('conversation.') || !m.data || typeof m.data.deletionID !== 'string') return;
    const kind = m.type === 'conversation.restored' ? 'conversationsRestored' : m.type === 'conversation.historyCleared' ? 'historyCleared' : 'conversationsDeleted';
    const userID = this.user?.userID;
    void this.enqueue(userID, { kind, ...m.data }, 'push', true);
  }

  /**
   * Reads the catch-up feed from the stored cursor, page by page, applying each notice and storing the cursor after
   * each page. A device that never caught up before (first login here) has just loaded its list, which already
   * reflects the older notices: they are recorded as applied but not announced. A cursor the server no longer accepts: the list
   * is reloaded and announced, and the feed read from the start in the same way.
   */
  private async catchUp(userID: string): Promise<void> {
    const cursorKey = this.key('cursor');
    let cursor = await this.storage.getItem(cursorKey);
    // Once this device has caught up (in this session or an earlier one), everything listed is news; the cursor
    // cannot tell, as it stays null while nothing was ever listed.
    const syncedKey = this.key('synced');
    let announce = this.caughtUp || (await this.storage.getItem(syncedKey)) !== null;
    for (let pages = 0; ; pages++) {
      if (this.user?.userID !== userID) return;
      let page: { deletionList: DeletionNotice[]; nextCursor: string | null; hasMore: boolean };
      try {
        page = (
          await this.call<typeof page>({
            method: 'GET',
            path: `/v1/sync/conversation-deletions?limit=100${cursor === null ? '' : `&since=${enc(cursor)}`}`,
            replay: 'safe',
          })
        ).data;
      } catch (error) {
        const e = error as ChatError;
        if (cursor === null || !(e.error === 'INVALID_CURSOR' || e.status === 410)) throw error;
        await this.storage.removeItem(cursorKey);
        await this.storage.removeItem(syncedKey);
        cursor = null;
        announce = false;
        await this.loadList();
        this.emitter.emit(EVENT.CONVERSATION_LIST_UPDATED, this.snapshot());
        continue;
      }
      for (const notice of page.deletionList) await this.enqueue(userID, notice, 'catchUp', announce);
      if (page.nextCursor !== null && this.user?.userID === userID) {
        cursor = page.nextCursor;
        await this.storage.setItem(cursorKey, cursor);
      }
      if (!page.hasMore) {
        if (!announce) await this.storage.setItem(syncedKey, '1');
        this.caughtUp = true;
        return;
      }
    }
  }

  private enqueue(userID: string | undefined, notice: DeletionNotice, source: NoticeEvent['source'], announce: boolean): Promise<void> {
    const run = this.applying.then(() => (this.user?.userID === userID ? this.apply(notice, source, announce) : undefined));
    this.applying = run.catch((error: unknown) => this.emitter.emit(EVENT.ERROR, error));
    return run;
  }

  /** Applies one notice unless it was applied already (push and catch-up overlap; our own calls are marked too). */
  private async apply(notice: DeletionNotice, source: NoticeEvent['source'], announce: boolean): Promise<void> {
    if (this.appliedSet.has(notice.deletionID)) return;
    this.markApplied(notice.deletionID);
    const event: NoticeEvent = { ...notice, source };
    if (notice.kind === 'conversationsRestored' || notice.kind === 'historyCleared') {
      // A restore brings back an undone deletion: were that deletion's notice still to come, it is not to be applied.
      if (notice.restoresDeletionID) this.markApplied(notice.restoresDeletionID);
      await this.loadList();
      this.emitter.emit(EVENT.CONVERSATION_LIST_UPDATED, this.snapshot());
      if (announce) this.emitter.emit(notice.kind === 'historyCleared' ? EVENT.CONVERSATION_HISTORY_CLEARED : EVENT.CONVERSATION_RESTORED, event);
      return;
    }
    // A conversation with a message newer than the deletion came back after it: it stays.
    const named = new Set(notice.conversationIDList);
    const kept = this.list.filter((c) => !named.has(c.conversationID) || (c.lastMessage?.createdAt ?? c.updatedAt) > notice.deletedAt);
    if (kept.length !== this.list.length) this.replaceList(kept);
    if (announce) this.emitter.emit(EVENT.CONVERSATION_DELETED, event);
  }

  private markApplied(deletionID: string): void {
    if (this.appliedSet.has(deletionID) || !this.user) return;
    this.appliedSet.add(deletionID);
    this.applied.push(deletionID);
    if (this.applied.length > APPLIED_KEPT) this.appliedSet.delete(this.applied.shift()!);
    void this.storage.setItem(this.key('applied'), JSON.stringify(this.applied));
  }

  // ----------------------------------------------------------------------------------------------------------------
  // Helpers

  private async loadList(): Promise<void> {
    const conversations: Conversation[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor === null ? '' : `&cursor=${enc(cursor)}`;
      const page = await this.call<{ conversationList: ServerConversation[]; nextCursor: string | null }>({
        method: 'GET',
        path: `/v1/conversations?limit=100${query}`,
        replay: 'safe',
      });
      conversations.push(...page.data.conversationList.map(toConversation));
      cursor = page.data.nextCursor;
    } while (cursor !== null);
    this.list = conversations;
  }

  private replaceList(list: Conversation[]): void {
    this.list = list;
    this.emitter.emit(EVENT.CONVERSATION_LIST_UPDATED, this.snapshot());
  }

  /** A copy: what a handler does to it does not change the cache. */
  private snapshot(): Conversation[] {
    return this.list.slice();
  }

  private toMessage(m: ServerMessage): Message {
    const me = this.user?.userID;
    const conversationType = conversationTypeOf(m.conversationID);
    const to = conversationType === 'C2C' ? (m.from === me ? m.conversationID.slice(3) : (me ?? '')) : conversationType === 'GROUP' ? m.conversationID.slice(5) : (me ?? '');
    return {
      ...m,
      ID: m.messageID,
      type: TYPES.MSG_TEXT,
      payload: { text: m.text },
      conversationType,
      to,
      flow: m.from === me ? 'out' : 'in',
      time: Math.floor(Date.parse(m.createdAt) / 1000),
      status: 'success',
    };
  }

  private call<T>(call: Call): Promise<ImResponse<T>> {
    return this.request<T>(call);
  }

  private key(name: string): string {
    return `${STORAGE_PREFIX}${this.user?.userID ?? ''}:${this.deviceIDValue ?? ''}:${name}`;
  }

  private alive(): void {
    if (this.destroyed) throw new ChatError('SDK_DESTROYED', 'this chat was destroyed: create a new one');
  }

  private loggedIn(): { userID: string } {
    this.alive();
    if (!this.user) throw new ChatError('NOT_LOGGED_IN', 'log in first: chat.login({ userID, userSig })');
    return this.user;
  }
}
