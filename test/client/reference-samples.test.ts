/**
 * The four samples of the reference SDK's `deleteConversation` page, verbatim, against the real local stack with
 * the SDK as built (client/dist). Only the creation and login of `chat` differ from the reference. Each sample's
 * `promise` is then awaited to check its answer and what the server did.
 * Source: https://www.tencentcloud.com/zh/document/product/1047/48313 (comments translated).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Chat } from '../../client/src/chat.js';
import { createGroup, historyTexts } from '../support/chat.js';
import { type ApiClient, type TestStack, startTestStack, uniqueUser } from '../support/stack.js';
import { ids, loadBuiltSdk, RecordingWebSocket } from './support.js';

let stack: TestStack;
let chat: Chat;
let me: ApiClient;
let sdk: Awaited<ReturnType<typeof loadBuiltSdk>>;
const userID = uniqueUser('ref');

beforeAll(async () => {
  sdk = await loadBuiltSdk();
  stack = await startTestStack();
  // The one difference from the reference: where the service is, and the token as userSig.
  chat = sdk.create({ baseURL: stack.url, WebSocket: RecordingWebSocket });
  await chat.login({ userID, userSig: await stack.token(userID) });
  me = await stack.as(userID);
  // The reference's sample IDs: a one-to-one chat with user "Example" and the group "Example".
  await createGroup(me, 'Example', []);
});

afterAll(async () => {
  await chat?.destroy();
  await stack?.stop();
});

/** Both sample conversations exist, each with one more message of ours, sent through the SDK. */
const seed = async (n: number) => {
  for (const [to, conversationType] of [
    ['Example', sdk.TYPES.CONV_C2C],
    ['Example', sdk.TYPES.CONV_GROUP],
  ] as const) {
    const message = chat.createTextMessage({ to, conversationType, payload: { text: `message ${n}` } });
    const sent = await chat.sendMessage(message);
    expect(sent).toMatchObject({ code: 0, data: { message: { conversationID: `${conversationType}${to}`, payload: { text: `message ${n}` }, status: 'success' } } });
  }
  const list = (await chat.getConversationList()).data.conversationList;
  expect(ids(list)).toEqual(['C2CExample', 'GROUPExample']);
  // The server's conversation, with the reference's names added.
  expect(list.find((c) => c.conversationID === 'C2CExample')).toMatchObject({
    type: sdk.TYPES.CONV_C2C,
    peerUserID: 'Example',
    lastMessage: { messageForShow: `message ${n}`, fromAccount: userID, type: sdk.TYPES.MSG_TEXT, payload: { text: `message ${n}` }, lastTime: expect.any(Number) },
  });
};

let warn: ReturnType<typeof vi.spyOn>;
beforeEach(() => {
  warn = vi.spyOn(console, 'warn');
  return () => warn.mockRestore();
});

describe("the reference's deleteConversation samples, verbatim", () => {
  it('1: delete one conversation and clear its history', async () => {
    await seed(1);
    /* eslint-disable prefer-const, @typescript-eslint/no-unused-vars */
    // ---- verbatim: sample 1 ----
    // 删除单一会话, 并清空会话历史消息 (delete one conversation and clear its history)
    let promise = chat.deleteConversation('C2CExample');
    promise.then(function(imResponse) {
      // 删除会话成功 (deleted)
      const { conversationID } = imResponse.data; // 被删除的会话 ID (the deleted conversation's ID)
    }).catch(function(imError) {
      console.warn('deleteConversation error:', imError); // 删除会话失败的相关信息 (why it failed)
    });
    // ---- end of sample 1 ----
    /* eslint-enable prefer-const, @typescript-eslint/no-unused-vars */
    const imResponse = await promise;
    expect(imResponse).toMatchObject({ code: 0, data: { conversationID: 'C2CExample', results: [{ conversationID: 'C2CExample', status: 'deleted' }] } });
    expect(imResponse.data.deletionID).toEqual(expect.any(String));
    expect(ids((await chat.getConversationList()).data.conversationList)).toEqual(['GROUPExample']);
    expect(await historyTexts(me, 'C2CExample')).toEqual([]);
    expect(warn).not.toHaveBeenCalled();
  });

  it('2: delete one conversation, keep its history', async () => {
    await seed(2);
    /* eslint-disable prefer-const, @typescript-eslint/no-unused-vars */
    // ---- verbatim: sample 2 ----
    // 删除单一会话, 不清空会话历史消息 (delete one conversation, keep its history)
    let promise = chat.deleteConversation({conversationIDList: ['C2CExample'], clearHistoryMessage: false});
    promise.then(function(imResponse) {
      // 删除会话成功 (deleted)
      const { conversationIDList } = imResponse.data; // 被删除的会话 ID 列表 (the deleted conversations' IDs)
    }).catch(function(imError) {
      console.warn('deleteConversation error:', imError); // 删除会话失败的相关信息 (why it failed)
    });
    // ---- end of sample 2 ----
    /* eslint-enable prefer-const, @typescript-eslint/no-unused-vars */
    const imResponse = await promise;
    expect(imResponse).toMatchObject({ code: 0, data: { conversationIDList: ['C2CExample'], historyPurge: 'none' } });
    expect(imResponse.data).not.toHaveProperty('conversationID');
    expect(ids((await chat.getConversationList()).data.conversationList)).toEqual(['GROUPExample']);
    // Kept: sample 1 cleared "message 1"; "message 2" stays, readable through the SDK's getMessageList.
    const page = await chat.getMessageList({ conversationID: 'C2CExample' });
    expect(page.data.messageList.map((m) => m.payload.text)).toEqual(['message 2']);
    expect(page.data).toMatchObject({ isCompleted: true, nextReqMessageID: '' });
    expect(warn).not.toHaveBeenCalled();
  });

  it('3: delete several conversations and clear their history (clearHistoryMessage defaults to true)', async () => {
    await seed(3);
    /* eslint-disable prefer-const, @typescript-eslint/no-unused-vars */
    // ---- verbatim: sample 3 ----
    // 删除多个会话, 并清空会话历史消息 (delete several conversations and clear their history)
    let promise = chat.deleteConversation({conversationIDList: ['C2CExample', 'GROUPExample']});
    promise.then(function(imResponse) {
      // 删除会话成功 (deleted)
      const { conversationIDList } = imResponse.data; // 被删除的会话 ID 列表 (the deleted conversations' IDs)
    }).catch(function(imError) {
      console.warn('deleteConversation error:', imError); // 删除会话失败的相关信息 (why it failed)
    });
    // ---- end of sample 3 ----
    /* eslint-enable prefer-const, @typescript-eslint/no-unused-vars */
    const imResponse = await promise;
    expect(imResponse).toMatchObject({ code: 0, data: { conversationIDList: ['C2CExample', 'GROUPExample'] } });
    expect(imResponse.data.historyPurge).not.toBe('none');
    expect((await chat.getConversationList()).data.conversationList).toEqual([]);
    expect(await historyTexts(me, 'C2CExample')).toEqual([]);
    expect(await historyTexts(me, 'GROUPExample')).toEqual([]);
    expect(warn).not.toHaveBeenCalled();
  });

  it('4: delete several conversations, keep their history', async () => {
    await seed(4);
    /* eslint-disable prefer-const, @typescript-eslint/no-unused-vars */
    // ---- verbatim: sample 4 ----
    // 删除多个会话, 不清空会话历史消息 (delete several conversations, keep their history)
    let promise = chat.deleteConversation({conversationIDList: ['C2CExample', 'GROUPExample'], clearHistoryMessage: false});
    promise.then(function(imResponse) {
      // 删除会话成功 (deleted)
      const { conversationIDList } = imResponse.data; // 被删除的会话 ID 列表 (the deleted conversations' IDs)
    }).catch(function(imError) {
      console.warn('deleteConversation error:', imError); // 删除会话失败的相关信息 (why it failed)
    });
    // ---- end of sample 4 ----
    /* eslint-enable prefer-const, @typescript-eslint/no-unused-vars */
    const imResponse = await promise;
    expect(imResponse).toMatchObject({
      code: 0,
      data: { conversationIDList: ['C2CExample', 'GROUPExample'], historyPurge: 'none', results: [{ status: 'deleted' }, { status: 'deleted' }] },
    });
    expect((await chat.getConversationList()).data.conversationList).toEqual([]);
    expect(await historyTexts(me, 'GROUPExample')).toEqual(['message 4']);
    expect(warn).not.toHaveBeenCalled();
  });

  it('the catch path: a bad ID rejects with imError before any request, code and message as the server would answer', async () => {
    const imError = await chat.deleteConversation('Example').catch((e: unknown) => e);
    expect(imError).toBeInstanceOf(Error);
    expect(imError).toMatchObject({ code: 40003, error: 'INVALID_CONVERSATION_ID', status: 0, message: expect.stringContaining('"Example"') });
    // The same code from the server itself, with its status.
    const raw = await me.post('/v1/conversations/delete', 'Example');
    expect(raw.body).toMatchObject({ code: 40003, error: 'INVALID_CONVERSATION_ID' });
  });
});
