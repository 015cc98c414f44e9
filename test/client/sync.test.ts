/**
 * Multi-device sync through the client SDK, against the real local stack: two `chat` instances of one user (two
 * device IDs) and a second user. With sync on, a deletion on one device reaches the other as
 * CONVERSATION_LIST_UPDATED without the conversation, and nothing arrives on the deleting device's socket or the other
 * user's; with sync off, nothing; a deletion made while a device is offline is applied once it reconnects; a deletion
 * whose answer was lost is retried with the same key and done once.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Chat } from '../../client/src/chat.js';
import { create, EVENT } from '../../client/src/index.js';
import { send } from '../support/chat.js';
import { type TestStack, startTestStack, uniqueUser } from '../support/stack.js';
import { cutOff, ids, offline, pushesTo, recordEvents, RecordingWebSocket, sleep } from './support.js';

let stack: TestStack;
let admin: Chat;
const chats: Chat[] = [];
const ALL_EVENTS = Object.values(EVENT);

beforeAll(async () => {
  // Functions read settings at most every SETTINGS_CACHE_SECONDS; 0 makes the switch apply at once.
  process.env.SETTINGS_CACHE_SECONDS = '0';
  stack = await startTestStack();
  admin = await device('root', 'console', { admin: true, sync: false });
});

afterEach(async () => {
  offline.clear();
  await Promise.all(chats.splice(0).map((c) => c.destroy()));
});

afterAll(async () => {
  await admin?.destroy();
  await stack?.stop();
});

/** A logged-in `chat` for `userID` on `deviceID`, connected and caught up (unless sync is off). */
const device = async (userID: string, deviceID: string, options: { admin?: boolean; sync?: boolean; fetch?: typeof fetch } = {}) => {
  const chat = create({
    baseURL: stack.url,
    deviceID,
    WebSocket: RecordingWebSocket,
    reconnect: { baseDelayMs: 50, maxDelayMs: 200 },
    ...(options.sync === false ? { sync: false } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  await chat.login({ userID, userSig: await stack.token(userID, options.admin ?? false) });
  if (options.sync !== false) await chat.whenSynced();
  // Destroyed after each test; the admin's lives as long as the file.
  if (!options.admin) chats.push(chat);
  return chat;
};

const setSync = async (on: boolean) => {
  const answer = await admin.setAppSettings({ syncConversationDeletion: on });
  expect(answer.data.syncConversationDeletion).toBe(on);
};

/** A user with conversations with `peers`, each started by the peer. */
const userWith = async (peers: string[]) => {
  const userID = uniqueUser('a');
  for (const peer of peers) await send(await stack.as(peer), `C2C${userID}`, `hi from ${peer}`);
  return userID;
};

/** Waits long enough for a push that is not coming to have arrived (a push takes a few ms locally). */
const quiet = () => sleep(300);

describe('two devices of one user and a second user', () => {
  it('sync on: the other device drops the conversation; the deleting device and the other user get nothing', async () => {
    await setSync(true);
    const [bob, carol] = [uniqueUser('b'), uniqueUser('c')];
    const alice = await userWith([bob, carol]);
    const phone = await device(alice, `phone-${alice}`);
    const laptop = await device(alice, `laptop-${alice}`);
    const bobChat = await device(bob, `phone-${bob}`);
    const [phoneEvents, laptopEvents, bobEvents] = [phone, laptop, bobChat].map((c) => recordEvents(c, ALL_EVENTS));

    const updated = laptopEvents!.next(EVENT.CONVERSATION_LIST_UPDATED);
    const deleted = laptopEvents!.next(EVENT.CONVERSATION_DELETED);
    const answer = await phone.deleteConversation(`C2C${bob}`);

    expect(ids((await updated).data)).toEqual([`C2C${carol}`]);
    expect((await deleted).data).toMatchObject({ deletionID: answer.data.deletionID, conversationIDList: [`C2C${bob}`], originDeviceID: `phone-${alice}`, source: 'push' });
    await quiet();
    expect(pushesTo(`phone-${alice}`)).toEqual([]);
    expect(pushesTo(`phone-${bob}`)).toEqual([]);
    expect(pushesTo(`laptop-${alice}`)).toHaveLength(1);
    // The deleting device updated its own list from its answer, once; the other user saw nothing at all.
    expect(phoneEvents!.events.map((e) => e.name)).toEqual([EVENT.CONVERSATION_LIST_UPDATED]);
    expect(bobEvents!.events).toEqual([]);
    expect(ids((await bobChat.getConversationList()).data.conversationList)).toEqual([`C2C${alice}`]);
    // Exactly once: the laptop's next catch-up lists the same deletion again, and it is dropped.
    cutOff(`laptop-${alice}`);
    offline.clear();
    await sleep(50);
    await laptop.whenSynced();
    await quiet();
    expect(laptopEvents!.events.filter((e) => e.name === EVENT.CONVERSATION_DELETED)).toHaveLength(1);
  });

  it('sync off: the other device is told nothing', async () => {
    await setSync(false);
    const bob = uniqueUser('b');
    const alice = await userWith([bob]);
    const phone = await device(alice, `phone-${alice}`);
    const laptop = await device(alice, `laptop-${alice}`);
    const laptopEvents = recordEvents(laptop, ALL_EVENTS);

    await phone.deleteConversation(`C2C${bob}`);
    await quiet();
    expect(laptopEvents.events).toEqual([]);
    expect(pushesTo(`laptop-${alice}`)).toEqual([]);
    // Reading the list from the server shows the deletion, as it would in the reference without sync.
    expect((await laptop.getConversationList()).data.conversationList).toEqual([]);
  });

  it('a deletion made while a device is offline is applied when it reconnects (catch-up), once', async () => {
    await setSync(true);
    const [bob, carol] = [uniqueUser('b'), uniqueUser('c')];
    const alice = await userWith([bob, carol]);
    const phone = await device(alice, `phone-${alice}`);
    const laptop = await device(alice, `laptop-${alice}`);
    const laptopEvents = recordEvents(laptop, ALL_EVENTS);

    cutOff(`laptop-${alice}`);
    await sleep(100);
    expect(laptop.syncState).not.toBe('live');
    const answer = await phone.deleteConversation({ conversationIDList: [`C2C${bob}`], clearHistoryMessage: false });
    await quiet();
    expect(laptopEvents.events.filter((e) => e.name === EVENT.CONVERSATION_DELETED)).toEqual([]);

    const updated = laptopEvents.next(EVENT.CONVERSATION_LIST_UPDATED);
    offline.clear();
    expect(ids((await updated).data)).toEqual([`C2C${carol}`]);
    await laptop.whenSynced();
    const deletedEvents = laptopEvents.events.filter((e) => e.name === EVENT.CONVERSATION_DELETED);
    expect(deletedEvents.map((e) => e.data)).toMatchObject([{ deletionID: answer.data.deletionID, source: 'catchUp', clearHistoryMessage: false }]);
    expect(laptopEvents.events.filter((e) => e.name === EVENT.NET_STATE_CHANGE).map((e) => e.data.state)).toEqual(
      expect.arrayContaining(['disconnected', 'connecting', 'connected']),
    );
    expect(pushesTo(`laptop-${alice}`)).toEqual([]);
  });

  it('a device that starts again later (same storage, so the same device ID) catches up where it left off', async () => {
    await setSync(true);
    const [bob, carol] = [uniqueUser('b'), uniqueUser('c')];
    const alice = await userWith([bob, carol]);
    const items = new Map<string, string>();
    const storage = { getItem: (k: string) => items.get(k) ?? null, setItem: (k: string, v: string) => void items.set(k, v), removeItem: (k: string) => void items.delete(k) };
    const first = create({ baseURL: stack.url, storage, WebSocket: RecordingWebSocket });
    await first.login({ userID: alice, userSig: await stack.token(alice) });
    await first.whenSynced();
    const deviceID = first.deviceID!;
    await first.destroy();
    // The device ID was generated once and kept: the same device, later.
    expect([...items.keys()].some((k) => k.endsWith('deviceID'))).toBe(true);

    const phone = await device(alice, `phone-${alice}`);
    const answer = await phone.deleteConversation(`C2C${bob}`);

    const again = create({ baseURL: stack.url, storage, WebSocket: RecordingWebSocket });
    chats.push(again);
    const events = recordEvents(again, ALL_EVENTS);
    const deleted = events.next(EVENT.CONVERSATION_DELETED);
    await again.login({ userID: alice, userSig: await stack.token(alice) });
    expect(again.deviceID).toBe(deviceID);
    expect((await deleted).data).toMatchObject({ deletionID: answer.data.deletionID, source: 'catchUp' });
    expect(ids((await again.getConversationList()).data.conversationList)).toEqual([`C2C${carol}`]);
  });

  it('a deletion caught up later does not drop a conversation that a newer message brought back', async () => {
    await setSync(true);
    const bob = uniqueUser('b');
    const alice = await userWith([bob]);
    const items = new Map<string, string>();
    const storage = { getItem: (k: string) => items.get(k) ?? null, setItem: (k: string, v: string) => void items.set(k, v), removeItem: (k: string) => void items.delete(k) };
    const tablet = create({ baseURL: stack.url, deviceID: `tablet-${alice}`, storage, WebSocket: RecordingWebSocket });
    await tablet.login({ userID: alice, userSig: await stack.token(alice) });
    await tablet.whenSynced();
    await tablet.destroy();

    // While the tablet is off: the chat is deleted, then Bob writes again, which brings it back.
    const phone = await device(alice, `phone-${alice}`);
    const deletion = await phone.deleteConversation(`C2C${bob}`);
    await send(await stack.as(bob), `C2C${alice}`, 'are you there?');

    const again = create({ baseURL: stack.url, deviceID: `tablet-${alice}`, storage, WebSocket: RecordingWebSocket });
    chats.push(again);
    const events = recordEvents(again, ALL_EVENTS);
    await again.login({ userID: alice, userSig: await stack.token(alice) });
    await again.whenSynced();
    // The deletion is applied (announced once) but the conversation, newer than it, stays.
    expect(events.events.filter((e) => e.name === EVENT.CONVERSATION_DELETED).map((e) => e.data.deletionID)).toEqual([deletion.data.deletionID]);
    expect(ids((await again.getConversationList()).data.conversationList)).toEqual([`C2C${bob}`]);
    expect(events.events.filter((e) => e.name === EVENT.CONVERSATION_LIST_UPDATED).map((e) => ids(e.data))).toEqual([[`C2C${bob}`]]);
  });

  it('a stored cursor the server no longer accepts: the list is reloaded and announced, and sync goes on', async () => {
    await setSync(true);
    const [bob, carol] = [uniqueUser('b'), uniqueUser('c')];
    const alice = await userWith([bob, carol]);
    const deviceID = `tablet-${alice}`;
    const items = new Map<string, string>([[`conversation-deletion:${alice}:${deviceID}:cursor`, 'not-a-cursor-this-server-issued']]);
    const storage = { getItem: (k: string) => items.get(k) ?? null, setItem: (k: string, v: string) => void items.set(k, v), removeItem: (k: string) => void items.delete(k) };
    const tablet = create({ baseURL: stack.url, deviceID, storage, WebSocket: RecordingWebSocket });
    chats.push(tablet);
    const events = recordEvents(tablet, ALL_EVENTS);
    await tablet.login({ userID: alice, userSig: await stack.token(alice) });
    await tablet.whenSynced();
    // SDK_READY's list, then the reload after INVALID_CURSOR; no error surfaced.
    expect(events.events.map((e) => e.name).filter((n) => n !== EVENT.NET_STATE_CHANGE)).toEqual([
      EVENT.SDK_READY,
      EVENT.CONVERSATION_LIST_UPDATED,
      EVENT.CONVERSATION_LIST_UPDATED,
    ]);
    expect(items.get(`conversation-deletion:${alice}:${deviceID}:cursor`)).not.toBe('not-a-cursor-this-server-issued');
    const phone = await device(alice, `phone-${alice}`);
    const updated = events.next(EVENT.CONVERSATION_LIST_UPDATED);
    await phone.deleteConversation(`C2C${bob}`);
    expect(ids((await updated).data)).toEqual([`C2C${carol}`]);
  });

  it('a deletion whose answer was lost is retried with the same Idempotency-Key and done once', async () => {
    await setSync(true);
    const bob = uniqueUser('b');
    const alice = await userWith([bob]);
    const sent: { key: string | undefined; status?: number }[] = [];
    // The request reaches the real server and is done; its answer is dropped on the way back, once.
    const lossyFetch: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      if (init?.method === 'POST' && String(input).endsWith('/v1/conversations/delete')) {
        sent.push({ key: (init.headers as Record<string, string>)['idempotency-key'], status: response.status });
        if (sent.length === 1) {
          await response.text();
          throw new TypeError('fetch failed: socket hang up');
        }
      }
      return response;
    };
    const phone = await device(alice, `phone-${alice}`, { fetch: lossyFetch });
    const laptop = await device(alice, `laptop-${alice}`);

    const answer = await phone.deleteConversation(`C2C${bob}`);
    expect(sent).toHaveLength(2);
    expect(sent[1]!.key).toBe(sent[0]!.key);
    // The retry got the first request's answer: the conversation was deleted by it, not found absent by a second one.
    expect(answer.data.results).toEqual([{ conversationID: `C2C${bob}`, status: 'deleted' }]);
    await quiet();
    const pushes = pushesTo(`laptop-${alice}`);
    expect(pushes.map((p) => p.data.deletionID)).toEqual([answer.data.deletionID]);
    const feed = await (await stack.as(alice)).get('/v1/sync/conversation-deletions');
    expect(feed.body.data.deletionList.map((d: { deletionID: string }) => d.deletionID)).toEqual([answer.data.deletionID]);
    expect(laptop.syncState).toBe('live');
  });
});
