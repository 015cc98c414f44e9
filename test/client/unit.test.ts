/**
 * The client SDK's pure parts: option validation, error mapping, the retry policy of its one request function and
 * the sync socket's state machine, driven with fake timers and a scripted socket. The server's codes and ID rules are
 * compared with the client's copies here, so the two cannot drift apart.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ERROR_CODES as SERVER_ERROR_CODES } from '#contracts/errors.js';
import { MAX_DELETE_BATCH as SERVER_MAX_BATCH, parseDeleteConversationsBody, parseOrThrow, restoreBody, UTC_TIME_PATTERN as SERVER_UTC_TIME } from '#contracts/api-schemas.js';
import { GROUP_ID_PATTERN as SERVER_GROUP_ID, USER_ID_PATTERN as SERVER_USER_ID } from '#contracts/ids.js';
import type { ValidationError } from '#contracts/errors.js';
import { ChatError, ERROR_CODES, errorFromAnswer } from '../../client/src/errors.js';
import { backoff, createRequester, parseRetryAfter } from '../../client/src/http.js';
import { SyncConnection, type SyncState, type WebSocketLike } from '../../client/src/sync.js';
import { checkDeleteOptions, checkDeletionID, GROUP_ID_PATTERN, MAX_DELETE_BATCH, USER_ID_PATTERN, UTC_TIME_PATTERN } from '../../client/src/validate.js';
import { Emitter } from '../../client/src/events.js';
import { create, EVENT, TYPES } from '../../client/src/index.js';

describe('the client copies of the server contract', () => {
  it('has every server error code with the same number', () => {
    const server = Object.fromEntries(Object.entries(SERVER_ERROR_CODES).map(([name, { code }]) => [name, code]));
    const client = Object.fromEntries(Object.entries(ERROR_CODES).filter(([, code]) => code < 60000));
    expect(client).toEqual(server);
  });

  it('has the same ID patterns and batch limit', () => {
    expect(USER_ID_PATTERN.source).toBe(SERVER_USER_ID.source);
    expect(GROUP_ID_PATTERN.source).toBe(SERVER_GROUP_ID.source);
    expect(MAX_DELETE_BATCH).toBe(SERVER_MAX_BATCH);
    expect(UTC_TIME_PATTERN.source).toBe(SERVER_UTC_TIME.source);
  });

  it.each(['3c182200-77fe-4f4a-8b01-26fbf679dd09', '3C182200-77FE-4F4A-8B01-26FBF679DD09', 'abc', '', 42, null])('agrees with the server on deletion ID %j', (value) => {
    const client = (() => {
      try {
        checkDeletionID(value);
        return 'ok';
      } catch (error) {
        return (error as ChatError).error;
      }
    })();
    const server = (() => {
      try {
        parseOrThrow(restoreBody, { deletionID: value }, 'body');
        return 'ok';
      } catch (error) {
        return (error as ValidationError).errorCode;
      }
    })();
    expect(client).toBe(server);
  });

  it('uses the reference SDK event names and values (@tencentcloud/chat 3.6 index.d.ts)', () => {
    expect(EVENT).toMatchObject({
      SDK_READY: 'sdkStateReady',
      SDK_NOT_READY: 'sdkStateNotReady',
      CONVERSATION_LIST_UPDATED: 'onConversationListUpdated',
      NET_STATE_CHANGE: 'netStateChange',
      ERROR: 'error',
    });
    expect(TYPES).toMatchObject({ CONV_C2C: 'C2C', CONV_GROUP: 'GROUP', CONV_SYSTEM: '@TIM#SYSTEM', MSG_TEXT: 'TIMTextElem', NET_STATE_CONNECTED: 'connected' });
  });
});

describe('deleteConversation options', () => {
  const refusal = (options: unknown): string | undefined => {
    try {
      checkDeleteOptions(options);
      return undefined;
    } catch (error) {
      expect(error).toBeInstanceOf(ChatError);
      expect(error).toBeInstanceOf(Error);
      return (error as ChatError).error;
    }
  };
  /** What the server's own parser says of the same body (undefined: accepted). */
  const serverRefusal = (body: unknown): string | undefined => {
    try {
      parseDeleteConversationsBody(body);
      return undefined;
    } catch (error) {
      return (error as ValidationError).errorCode;
    }
  };

  it.each([
    ['C2Cbob', undefined],
    ['GROUPfriends', undefined],
    ['@TIM#SYSTEM', undefined],
    [{ conversationIDList: ['C2Cbob'] }, undefined],
    [{ conversationIDList: ['C2Cbob', 'GROUPg'], clearHistoryMessage: false }, undefined],
    [{ conversationIDList: Array.from({ length: 100 }, (_, i) => `C2Cu${i}`) }, undefined],
    ['bob', 'INVALID_CONVERSATION_ID'],
    ['C2C', 'INVALID_CONVERSATION_ID'],
    ['C2Cbob smith', 'INVALID_CONVERSATION_ID'],
    ['', 'INVALID_CONVERSATION_ID'],
    [{ conversationIDList: [] }, 'INVALID_BATCH_SIZE'],
    [{ conversationIDList: Array.from({ length: 101 }, (_, i) => `C2Cu${i}`) }, 'INVALID_BATCH_SIZE'],
    [{ conversationIDList: 'C2Cbob' }, 'INVALID_BATCH_SIZE'],
    [{}, 'INVALID_BATCH_SIZE'],
    [{ conversationIDList: ['C2Cbob', 42] }, 'INVALID_CONVERSATION_ID'],
    [{ conversationIDList: ['C2Cbob'], clearHistoryMessage: 'yes' }, 'INVALID_REQUEST'],
    [{ conversationIDList: ['C2Cbob'], clearHistory: true }, 'UNKNOWN_FIELD'],
    [42, 'INVALID_REQUEST'],
    [null, 'INVALID_REQUEST'],
    [['C2Cbob'], 'INVALID_REQUEST'],
  ])('%j: %s, as the server says', (options, code) => {
    expect(refusal(options)).toBe(code);
    expect(serverRefusal(options)).toBe(code);
  });

  it('makes the default explicit: clearHistoryMessage true, as in the reference', () => {
    expect(checkDeleteOptions({ conversationIDList: ['C2Cbob'] }).body).toEqual({ conversationIDList: ['C2Cbob'], clearHistoryMessage: true });
    expect(checkDeleteOptions('C2Cbob').body).toBe('C2Cbob');
  });

  it('a logout while login loads the list ends that login: no SDK_READY, no sync', async () => {
    let answer!: (r: Response) => void;
    const fetch = vi.fn(() => new Promise<Response>((resolve) => (answer = resolve)));
    const chat = create({ baseURL: 'http://localhost:1', sync: false, fetch: fetch as unknown as typeof globalThis.fetch });
    const ready = vi.fn();
    chat.on(EVENT.SDK_READY, ready);
    const login = chat.login({ userID: 'alice', userSig: 't' }).catch((e: unknown) => e);
    await vi.waitFor(() => expect(fetch).toHaveBeenCalled());
    await chat.logout();
    answer(new Response(JSON.stringify({ code: 0, data: { conversationList: [], nextCursor: null } })));
    expect(await login).toMatchObject({ code: 60002, error: 'NOT_LOGGED_IN' });
    expect(ready).not.toHaveBeenCalled();
    await expect(chat.getConversationList()).rejects.toMatchObject({ code: 60002 });
  });

  it('refuses a device ID the server would refuse as a header', () => {
    expect(() => create({ baseURL: 'http://localhost:1', sync: false, deviceID: 'my phone' })).toThrow(expect.objectContaining({ code: 40013, error: 'INVALID_HEADER' }));
    expect(() => create({ baseURL: 'http://localhost:1', sync: false, deviceID: 'phone-1:a@b#c.d_e' })).not.toThrow();
  });

  it('rejects before any request, with the numeric code', async () => {
    const fetch = vi.fn();
    const chat = create({ baseURL: 'http://localhost:1', sync: false, fetch: fetch as unknown as typeof globalThis.fetch });
    fetch.mockResolvedValue(new Response(JSON.stringify({ code: 0, data: { conversationList: [], nextCursor: null } })));
    await chat.login({ userID: 'alice', userSig: 't' });
    fetch.mockClear();
    const error = await chat.deleteConversation({ conversationIDList: [] }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 40009, error: 'INVALID_BATCH_SIZE', status: 0 });
    expect(fetch).not.toHaveBeenCalled();
  });
});

describe('error mapping', () => {
  it("keeps the API's code, message, status and data", () => {
    const error = errorFromAnswer(503, { code: 50300, error: 'PARTIAL_FAILURE', message: '1 of 2 failed', data: { conversationIDList: [] } });
    expect(error).toMatchObject({ code: 50300, error: 'PARTIAL_FAILURE', message: '1 of 2 failed', status: 503, data: { conversationIDList: [] } });
    expect(error).toBeInstanceOf(Error);
  });

  it("names API Gateway's own answers by their status", () => {
    expect(errorFromAnswer(429, { message: 'Too Many Requests' }, 3)).toMatchObject({ code: 42900, error: 'RATE_LIMITED', retryAfter: 3, message: 'Too Many Requests' });
    expect(errorFromAnswer(401, { message: 'Unauthorized' })).toMatchObject({ code: 40100, error: 'UNAUTHORIZED' });
    expect(errorFromAnswer(502, undefined)).toMatchObject({ code: 50000, error: 'INTERNAL_ERROR', status: 502 });
    expect(errorFromAnswer(418, 'teapot')).toMatchObject({ code: 60004, error: 'BAD_RESPONSE' });
  });

  it('reads Retry-After as seconds or as a date', () => {
    expect(parseRetryAfter('7')).toBe(7);
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 0)).toBe(10);
    expect(parseRetryAfter('soon')).toBeUndefined();
  });
});

describe('the request function', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  const json = (status: number, body: unknown, headers: Record<string, string> = {}) => new Response(JSON.stringify(body), { status, headers });
  const requester = (fetch: ReturnType<typeof vi.fn>) =>
    createRequester({ baseURL: 'http://api', fetch: fetch as unknown as typeof globalThis.fetch, token: async () => 'tok', deviceID: () => 'dev1', random: () => 0.5 });
  const headersOf = (fetch: ReturnType<typeof vi.fn>, n: number) => (fetch.mock.calls[n]![1] as RequestInit).headers as Record<string, string>;

  it('retries a lost answer of a keyed call with the same Idempotency-Key, after a backoff', async () => {
    const fetch = vi.fn().mockRejectedValueOnce(new TypeError('fetch failed')).mockResolvedValueOnce(json(200, { code: 0, data: { ok: 1 } }));
    const done = requester(fetch)({ method: 'POST', path: '/v1/conversations/delete', body: 'C2Cbob', replay: 'keyed' });
    await vi.advanceTimersByTimeAsync(0);
    expect(fetch).toHaveBeenCalledTimes(1);
    // First backoff: 200 ms step, equal jitter at 0.5: 150 ms.
    await vi.advanceTimersByTimeAsync(149);
    expect(fetch).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    await expect(done).resolves.toEqual({ code: 0, data: { ok: 1 } });
    expect(headersOf(fetch, 0)['idempotency-key']).toMatch(/^[0-9a-f-]{36}$/);
    expect(headersOf(fetch, 1)['idempotency-key']).toBe(headersOf(fetch, 0)['idempotency-key']);
    expect(headersOf(fetch, 0)).toMatchObject({ authorization: 'Bearer tok', 'x-device-id': 'dev1', 'content-type': 'application/json' });
  });

  it('gives each logical call its own key', async () => {
    const fetch = vi.fn().mockImplementation(async () => json(200, { code: 0, data: {} }));
    const request = requester(fetch);
    await request({ method: 'POST', path: '/x', body: 'a', replay: 'keyed' });
    await request({ method: 'POST', path: '/x', body: 'a', replay: 'keyed' });
    expect(headersOf(fetch, 0)['idempotency-key']).not.toBe(headersOf(fetch, 1)['idempotency-key']);
  });

  it('waits exactly Retry-After on 429, also for a call that is not idempotent', async () => {
    const fetch = vi
      .fn()
      .mockResolvedValueOnce(json(429, { code: 42900, error: 'RATE_LIMITED', message: 'slow down' }, { 'retry-after': '3' }))
      .mockResolvedValueOnce(json(201, { code: 0, data: { messageID: 'm' } }));
    const done = requester(fetch)({ method: 'POST', path: '/v1/messages', body: {}, replay: 'once' });
    await vi.advanceTimersByTimeAsync(2999);
    expect(fetch).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    await expect(done).resolves.toMatchObject({ code: 0 });
  });

  it('never repeats a call that is not idempotent after a lost answer or a 5xx', async () => {
    const lost = vi.fn().mockRejectedValue(new TypeError('fetch failed'));
    await expect(requester(lost)({ method: 'POST', path: '/v1/messages', body: {}, replay: 'once' })).rejects.toMatchObject({ code: 60001, error: 'NETWORK_ERROR' });
    const failed = vi.fn().mockResolvedValue(json(500, { code: 50000, error: 'INTERNAL_ERROR', message: 'x' }));
    await expect(requester(failed)({ method: 'POST', path: '/v1/messages', body: {}, replay: 'once' })).rejects.toMatchObject({ code: 50000, status: 500 });
    expect(lost).toHaveBeenCalledTimes(1);
    expect(failed).toHaveBeenCalledTimes(1);
  });

  it('gives up after four attempts with the last error, and does not retry a 4xx', async () => {
    const fetch = vi.fn().mockImplementation(async () => json(503, { code: 50300, error: 'PARTIAL_FAILURE', message: 'retry', data: { results: [] } }));
    const done = requester(fetch)({ method: 'POST', path: '/x', body: 'a', replay: 'keyed' }).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(await done).toMatchObject({ code: 50300, data: { results: [] } });
    expect(fetch).toHaveBeenCalledTimes(4);
    const bad = vi.fn().mockImplementation(async () => json(400, { code: 40003, error: 'INVALID_CONVERSATION_ID', message: 'no' }));
    await expect(requester(bad)({ method: 'POST', path: '/x', body: 'a', replay: 'keyed' })).rejects.toMatchObject({ code: 40003 });
    expect(bad).toHaveBeenCalledTimes(1);
  });

  it('does not wait a Retry-After longer than its limit: rejects with it instead', async () => {
    const fetch = vi.fn().mockResolvedValue(json(429, { code: 42900, error: 'RATE_LIMITED', message: 'x' }, { 'retry-after': '120' }));
    await expect(requester(fetch)({ method: 'GET', path: '/x', replay: 'safe' })).rejects.toMatchObject({ code: 42900, retryAfter: 120 });
  });

  it('backs off exponentially with jitter, capped', () => {
    expect([0, 1, 2, 3].map((n) => backoff(n, 100, 1000, () => 0))).toEqual([50, 100, 200, 400]);
    expect([0, 1, 2, 3].map((n) => backoff(n, 100, 1000, () => 1))).toEqual([100, 200, 400, 800]);
    expect(backoff(10, 100, 1000, () => 1)).toBe(1000);
  });
});

/** A WebSocket the test opens, pushes to and closes by hand. */
class ScriptedSocket implements WebSocketLike {
  public static all: ScriptedSocket[] = [];
  public readyState = 0;
  public onopen: ((event: unknown) => void) | null = null;
  public onmessage: ((event: { data: unknown }) => void) | null = null;
  public onclose: ((event: unknown) => void) | null = null;
  public onerror: ((event: unknown) => void) | null = null;
  public closedByClient = false;
  public constructor(public readonly url: string) {
    ScriptedSocket.all.push(this);
  }
  public open() {
    this.readyState = 1;
    this.onopen?.({});
  }
  public push(message: unknown) {
    this.onmessage?.({ data: JSON.stringify(message) });
  }
  public drop() {
    this.readyState = 3;
    this.onerror?.({});
    this.onclose?.({});
  }
  public close() {
    this.closedByClient = true;
    this.readyState = 3;
  }
}

describe('the sync state machine', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    ScriptedSocket.all = [];
  });
  afterEach(() => vi.useRealTimers());

  const machine = (catchUp: () => Promise<void> = async () => undefined) => {
    const states: SyncState[] = [];
    const messages: unknown[] = [];
    const errors: unknown[] = [];
    const catchUps = vi.fn(catchUp);
    const sync = new SyncConnection({
      WebSocket: ScriptedSocket,
      url: async () => `ws://x/v1/ws?n=${ScriptedSocket.all.length}`,
      catchUp: catchUps,
      onMessage: (m) => messages.push(m),
      onState: (s) => states.push(s),
      onError: (e) => errors.push(e),
      baseDelayMs: 1000,
      maxDelayMs: 8000,
      random: () => 1,
    });
    return { sync, states, messages, errors, catchUps, socket: () => ScriptedSocket.all.at(-1)! };
  };

  it('catches up after every open before it is live, and hands on pushes meanwhile', async () => {
    let finish!: () => void;
    const m = machine(() => new Promise<void>((resolve) => (finish = resolve)));
    m.sync.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(m.sync.state).toBe('connecting');
    m.socket().open();
    expect(m.sync.state).toBe('catchingUp');
    m.socket().push({ type: 'conversation.deleted', data: { deletionID: 'd1' } });
    expect(m.messages).toHaveLength(1);
    finish();
    await vi.advanceTimersByTimeAsync(0);
    expect(m.sync.state).toBe('live');
    expect(m.states).toEqual(['connecting', 'catchingUp', 'live']);
  });

  it('reconnects with exponential backoff while connections fail, then resets once live', async () => {
    const m = machine();
    m.sync.start();
    await vi.advanceTimersByTimeAsync(0);
    // Three failed rounds: waits of 1 s, 2 s, 4 s (random 1: the whole step).
    for (const wait of [1000, 2000, 4000]) {
      m.socket().drop();
      expect(m.sync.state).toBe('backingOff');
      const sockets = ScriptedSocket.all.length;
      await vi.advanceTimersByTimeAsync(wait - 1);
      expect(ScriptedSocket.all.length).toBe(sockets);
      await vi.advanceTimersByTimeAsync(1);
      expect(ScriptedSocket.all.length).toBe(sockets + 1);
    }
    m.socket().open();
    await vi.advanceTimersByTimeAsync(0);
    expect(m.sync.state).toBe('live');
    expect(m.catchUps).toHaveBeenCalledTimes(1);
    // Live, then dropped: the wait starts again at 1 s, and the new connection catches up again.
    m.socket().drop();
    await vi.advanceTimersByTimeAsync(1000);
    m.socket().open();
    await vi.advanceTimersByTimeAsync(0);
    expect(m.catchUps).toHaveBeenCalledTimes(2);
    expect(m.sync.state).toBe('live');
  });

  it('reconnectNow() skips the rest of the backoff (the browser said it is online), and does nothing otherwise', async () => {
    const m = machine();
    m.sync.start();
    await vi.advanceTimersByTimeAsync(0);
    m.sync.reconnectNow();
    expect(ScriptedSocket.all).toHaveLength(1);
    m.socket().drop();
    m.sync.reconnectNow();
    await vi.advanceTimersByTimeAsync(0);
    expect(ScriptedSocket.all).toHaveLength(2);
    expect(m.sync.state).toBe('connecting');
    // The cancelled timer does not open a third.
    await vi.advanceTimersByTimeAsync(5000);
    expect(ScriptedSocket.all).toHaveLength(2);
  });

  it('caps the wait', async () => {
    const m = machine();
    expect([0, 1, 2, 3, 4, 5].map((n) => m.sync.delayFor(n))).toEqual([1000, 2000, 4000, 8000, 8000, 8000]);
  });

  it('a failed catch-up closes the socket and starts a new round: never live without having caught up', async () => {
    let fail = true;
    const m = machine(async () => {
      if (fail) throw new Error('catch-up failed');
    });
    m.sync.start();
    await vi.advanceTimersByTimeAsync(0);
    const first = m.socket();
    first.open();
    await vi.advanceTimersByTimeAsync(0);
    expect(first.closedByClient).toBe(true);
    expect(m.sync.state).toBe('backingOff');
    expect(m.errors).toHaveLength(1);
    fail = false;
    await vi.advanceTimersByTimeAsync(1000);
    m.socket().open();
    await vi.advanceTimersByTimeAsync(0);
    expect(m.sync.state).toBe('live');
  });

  it('stop() cancels the planned reconnect and ignores the old socket', async () => {
    const m = machine();
    m.sync.start();
    await vi.advanceTimersByTimeAsync(0);
    const old = m.socket();
    old.drop();
    m.sync.stop();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(ScriptedSocket.all).toHaveLength(1);
    old.push({ type: 'conversation.deleted', data: {} });
    expect(m.messages).toHaveLength(0);
    expect(m.sync.state).toBe('stopped');
  });

  it('whenLive() resolves on the next live', async () => {
    const m = machine();
    let live = false;
    void m.sync.whenLive().then(() => (live = true));
    m.sync.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(live).toBe(false);
    m.socket().open();
    await vi.advanceTimersByTimeAsync(0);
    expect(live).toBe(true);
  });
});

describe('events', () => {
  it("calls handlers with { name, data } and their context; off() removes one; a throwing handler does not stop the others", () => {
    const emitter = new Emitter();
    const seen: unknown[] = [];
    const context = { tag: 'ctx' };
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const first = () => {
      throw new Error('app bug');
    };
    const second = function (this: { tag: string }, event: { name: string; data: unknown }) {
      seen.push([this.tag, event]);
    };
    emitter.on(EVENT.CONVERSATION_LIST_UPDATED, first);
    emitter.on(EVENT.CONVERSATION_LIST_UPDATED, second, context);
    emitter.emit(EVENT.CONVERSATION_LIST_UPDATED, [1]);
    emitter.off(EVENT.CONVERSATION_LIST_UPDATED, second);
    emitter.emit(EVENT.CONVERSATION_LIST_UPDATED, [2]);
    expect(seen).toEqual([['ctx', { name: 'onConversationListUpdated', data: [1] }]]);
    expect(error).toHaveBeenCalledTimes(2);
    error.mockRestore();
  });
});
