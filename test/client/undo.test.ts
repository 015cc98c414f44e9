/**
 * clearHistoryMessage, restoreConversation and getDeletion through the client SDK, against the real local stack with
 * the product's undo grace period (600 s) and sync on: the answers, the errors as imError, and what the user's other
 * device sees (conversation.historyCleared / conversation.restored: it reloads its list).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Chat } from '../../client/src/chat.js';
import { create, EVENT } from '../../client/src/index.js';
import { send } from '../support/chat.js';
import { type TestStack, startTestStack, uniqueUser } from '../support/stack.js';
import { ids, pushesTo, recordEvents, RecordingWebSocket } from './support.js';

let stack: TestStack;
const chats: Chat[] = [];

beforeAll(async () => {
  process.env.SETTINGS_CACHE_SECONDS = '0';
  stack = await startTestStack({ deletionGracePeriodSeconds: 600 });
  const admin = create({ baseURL: stack.url, sync: false });
  await admin.login({ userID: 'root', userSig: await stack.token('root', true) });
  expect((await admin.setAppSettings({ syncConversationDeletion: true })).data).toMatchObject({ syncConversationDeletion: true, deletionGracePeriodSeconds: 600 });
  await admin.destroy();
});

afterEach(async () => {
  await Promise.all(chats.splice(0).map((c) => c.destroy()));
});

afterAll(async () => stack?.stop());

const device = async (userID: string, deviceID: string) => {
  const chat = create({ baseURL: stack.url, deviceID, WebSocket: RecordingWebSocket });
  chats.push(chat);
  await chat.login({ userID, userSig: await stack.token(userID) });
  await chat.whenSynced();
  return chat;
};

/** Alice with a conversation with each peer (two messages each), on her phone and her laptop. */
const alicesDevices = async (peers: string[]) => {
  const alice = uniqueUser('a');
  for (const peer of peers) {
    await send(await stack.as(peer), `C2C${alice}`, `hi from ${peer}`);
    await send(await stack.as(alice), `C2C${peer}`, `hi ${peer}`);
  }
  const phone = await device(alice, `phone-${alice}`);
  const laptop = await device(alice, `laptop-${alice}`);
  return { alice, phone, laptop, laptopEvents: recordEvents(laptop, Object.values(EVENT)) };
};

const texts = async (chat: Chat, conversationID: string) => (await chat.getMessageList({ conversationID, count: 100 })).data.messageList.map((m) => m.payload.text);

describe('clearHistoryMessage', () => {
  it('clears the history and keeps the conversation; the other device reloads its list', async () => {
    const bob = uniqueUser('b');
    const { alice, phone, laptop, laptopEvents } = await alicesDevices([bob]);
    const cleared = laptopEvents.next(EVENT.CONVERSATION_HISTORY_CLEARED);
    const updated = laptopEvents.next(EVENT.CONVERSATION_LIST_UPDATED);

    const answer = await phone.clearHistoryMessage(`C2C${bob}`);
    expect(answer).toMatchObject({ code: 0, data: { conversationID: `C2C${bob}`, deletionID: expect.any(String), historyPurge: 'scheduled', restorableUntil: expect.any(String) } });
    expect(await texts(phone, `C2C${bob}`)).toEqual([]);
    expect((await cleared).data).toMatchObject({ kind: 'historyCleared', deletionID: answer.data.deletionID, conversationIDList: [`C2C${bob}`], source: 'push' });
    const list = (await updated).data as { conversationID: string; lastMessage: unknown }[];
    expect(list).toEqual([expect.objectContaining({ conversationID: `C2C${bob}`, lastMessage: null })]);
    expect(pushesTo(`phone-${alice}`)).toEqual([]);
    expect(ids((await laptop.getConversationList()).data.conversationList)).toEqual([`C2C${bob}`]);
  });

  it('rejects a conversation the user does not have with CONVERSATION_NOT_FOUND, and a bad ID before any request', async () => {
    const { phone } = await alicesDevices([uniqueUser('b')]);
    await expect(phone.clearHistoryMessage('C2Cnobody')).rejects.toMatchObject({ code: 40402, error: 'CONVERSATION_NOT_FOUND', status: 404 });
    await expect(phone.clearHistoryMessage('nobody')).rejects.toMatchObject({ code: 40003, error: 'INVALID_CONVERSATION_ID', status: 0 });
  });
});

describe('restoreConversation and getDeletion', () => {
  it('undoes a deletion with its history; the other device gets it back; the record says so', async () => {
    const [bob, carol] = [uniqueUser('b'), uniqueUser('c')];
    const { phone, laptop, laptopEvents } = await alicesDevices([bob, carol]);
    const dropped = laptopEvents.next(EVENT.CONVERSATION_LIST_UPDATED, (list) => !ids(list).includes(`C2C${bob}`));
    const deletion = await phone.deleteConversation(`C2C${bob}`);
    expect(deletion.data).toMatchObject({ historyPurge: 'scheduled', restorableUntil: expect.any(String) });
    await dropped;

    const restored = laptopEvents.next(EVENT.CONVERSATION_RESTORED);
    const back = laptopEvents.next(EVENT.CONVERSATION_LIST_UPDATED, (list) => ids(list).includes(`C2C${bob}`));
    const answer = await phone.restoreConversation(deletion.data.deletionID);
    expect(answer).toMatchObject({
      code: 0,
      data: { deletionID: deletion.data.deletionID, restoreID: expect.any(String), conversationIDList: [`C2C${bob}`], results: [{ conversationID: `C2C${bob}`, status: 'restored' }] },
    });
    expect((await restored).data).toMatchObject({ kind: 'conversationsRestored', deletionID: answer.data.restoreID, restoresDeletionID: deletion.data.deletionID });
    expect(ids((await back).data)).toEqual([`C2C${bob}`, `C2C${carol}`]);
    // The history came back with it, for both devices.
    expect(await texts(laptop, `C2C${bob}`)).toHaveLength(2);
    expect(ids((await phone.getConversationList()).data.conversationList)).toEqual([`C2C${bob}`, `C2C${carol}`]);

    const record = await phone.getDeletion(deletion.data.deletionID);
    expect(record.data).toMatchObject({
      deletionID: deletion.data.deletionID,
      kind: 'conversationsDeleted',
      actedAs: 'user',
      conversationIDList: [`C2C${bob}`],
      restoredAt: expect.any(String),
      restoreID: answer.data.restoreID,
    });
  });

  it('maps the refusals to imError with the server codes', async () => {
    const bob = uniqueUser('b');
    const { phone } = await alicesDevices([bob]);
    const deletion = await phone.deleteConversation({ conversationIDList: [`C2C${bob}`], clearHistoryMessage: false });
    await phone.restoreConversation(deletion.data.deletionID);
    await expect(phone.restoreConversation(deletion.data.deletionID)).rejects.toMatchObject({ code: 40903, error: 'ALREADY_RESTORED', status: 409 });
    const unknown = '00000000-0000-4000-8000-000000000000';
    await expect(phone.restoreConversation(unknown)).rejects.toMatchObject({ code: 40403, error: 'DELETION_NOT_FOUND', status: 404 });
    await expect(phone.getDeletion(unknown)).rejects.toMatchObject({ code: 40403, error: 'DELETION_NOT_FOUND', status: 404 });
    await expect(phone.restoreConversation('not-an-id')).rejects.toMatchObject({ code: 40014, error: 'INVALID_DELETION_ID', status: 0 });
  });
});

describe('getUserDeletions (admin)', () => {
  it("lists a user's deletions and restores oldest first, page by page, with who acted; refuses a non-admin and bad options", async () => {
    // Prepare: a deletion, its restore and a cleared history, each with its own record.
    const [bob, carol] = [uniqueUser('b'), uniqueUser('c')];
    const { alice, phone } = await alicesDevices([bob, carol]);
    const since = new Date().toISOString();
    const deletion = await phone.deleteConversation(`C2C${bob}`);
    const restore = await phone.restoreConversation(deletion.data.deletionID);
    const cleared = await phone.clearHistoryMessage(`C2C${carol}`);
    const admin = create({ baseURL: stack.url, sync: false });
    chats.push(admin);
    await admin.login({ userID: 'root', userSig: await stack.token('root', true) });

    // Act
    const first = await admin.getUserDeletions(alice, { since, limit: 2 });
    const second = await admin.getUserDeletions(alice, { cursor: first.data.nextCursor!, limit: 2 });

    // Assess
    expect(first.data.deletionList.map((d) => [d.kind, d.deletionID, d.actedBy])).toEqual([
      ['conversationsDeleted', deletion.data.deletionID, alice],
      ['conversationsRestored', restore.data.restoreID, alice],
    ]);
    expect(first.data.deletionList[0]).toMatchObject({ restoredAt: restore.data.restoredAt, historyPurge: { state: 'cancelled' } });
    expect(second.data).toEqual({ deletionList: [expect.objectContaining({ kind: 'historyCleared', deletionID: cleared.data.deletionID })], nextCursor: null });
    await expect(phone.getUserDeletions(alice)).rejects.toMatchObject({ code: 40300, error: 'ADMIN_REQUIRED', status: 403 });
    await expect(admin.getUserDeletions('not a user')).rejects.toMatchObject({ code: 40004, error: 'INVALID_USER_ID', status: 0 });
    await expect(admin.getUserDeletions(alice, { since: 'yesterday' })).rejects.toMatchObject({ code: 40007, error: 'INVALID_QUERY', status: 0 });
    await expect(admin.getUserDeletions(alice, { limit: 101 })).rejects.toMatchObject({ code: 40007, error: 'INVALID_QUERY', status: 0 });
    await expect(admin.getUserDeletions(alice, { until: since } as never)).rejects.toMatchObject({ code: 40010, error: 'UNKNOWN_FIELD', status: 0 });
    await expect(admin.getUserDeletions(alice, { cursor: 'forged' })).rejects.toMatchObject({ code: 40006, error: 'INVALID_CURSOR', status: 400 });
  });
});
