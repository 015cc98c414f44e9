/** Every bad input gets a 4xx with a stable code and a message, and changes nothing. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '#contracts/errors.js';
import { keys } from '#contracts/table.js';
import { conversationIDs, historyTexts, send } from '../support/chat.js';
import { type ApiClient, type TestStack, startTestStack, uniqueUser } from '../support/stack.js';

let stack: TestStack;
let alice: string;
let bob: string;
let asAlice: ApiClient;
beforeAll(async () => {
  stack = await startTestStack();
  [alice, bob] = [uniqueUser('alice'), uniqueUser('bob')];
  asAlice = await stack.as(alice);
  await send(asAlice, `C2C${bob}`, 'keep me');
});
afterAll(async () => {
  await stack?.stop();
});

/** 10,000 nested arrays: 20 KB of JSON, within the body limit. */
const deeplyNested = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;

type Case = [name: string, method: string, path: string, body: { json?: unknown; raw?: string }, error: keyof typeof ERROR_CODES, mentions?: string];

const cases: Case[] = [
  // POST /v1/conversations/delete
  ['empty batch', 'POST', '/v1/conversations/delete', { json: { conversationIDList: [] } }, 'INVALID_BATCH_SIZE', '0 entries'],
  ['101 IDs', 'POST', '/v1/conversations/delete', { json: { conversationIDList: Array.from({ length: 101 }, (_, i) => `C2Cu${i}`) } }, 'INVALID_BATCH_SIZE', '101'],
  ['a bad ID among good ones', 'POST', '/v1/conversations/delete', { json: { conversationIDList: ['C2Cbob-ok', 'C2Cbad id'] } }, 'INVALID_CONVERSATION_ID', 'C2Cbad id'],
  ['a single bad ID string', 'POST', '/v1/conversations/delete', { json: 'bob' }, 'INVALID_CONVERSATION_ID', '"bob"'],
  ['an over-long userID', 'POST', '/v1/conversations/delete', { json: `C2C${'x'.repeat(33)}` }, 'INVALID_CONVERSATION_ID'],
  ['an over-long groupID', 'POST', '/v1/conversations/delete', { json: `GROUP${'g'.repeat(49)}` }, 'INVALID_CONVERSATION_ID'],
  ['a number body', 'POST', '/v1/conversations/delete', { json: 42 }, 'INVALID_REQUEST'],
  ['an array body', 'POST', '/v1/conversations/delete', { json: ['C2Cbob'] }, 'INVALID_REQUEST'],
  ['a list that is a string', 'POST', '/v1/conversations/delete', { json: { conversationIDList: 'C2Cbob' } }, 'INVALID_BATCH_SIZE'],
  ['a non-boolean flag', 'POST', '/v1/conversations/delete', { json: { conversationIDList: ['C2Cbob'], clearHistoryMessage: 'false' } }, 'INVALID_REQUEST', 'clearHistoryMessage'],
  ['an unknown field', 'POST', '/v1/conversations/delete', { json: { conversationIDList: ['C2Cbob'], force: true } }, 'UNKNOWN_FIELD', 'force'],
  ['a missing list', 'POST', '/v1/conversations/delete', { json: { clearHistoryMessage: true } }, 'INVALID_BATCH_SIZE'],
  ['bad JSON', 'POST', '/v1/conversations/delete', { raw: '{"conversationIDList": [' }, 'INVALID_JSON'],
  ['no body', 'POST', '/v1/conversations/delete', {}, 'INVALID_REQUEST'],
  // DELETE /v1/conversations/{id}
  ['a bad path ID', 'DELETE', '/v1/conversations/C2C%20bob', {}, 'INVALID_CONVERSATION_ID'],
  ['a bad flag in the query', 'DELETE', '/v1/conversations/C2Cbob?clearHistoryMessage=yes', {}, 'INVALID_QUERY', 'clearHistoryMessage'],
  ['an unknown query parameter', 'DELETE', '/v1/conversations/C2Cbob?force=1', {}, 'UNKNOWN_FIELD', 'force'],
  // POST /v1/messages
  ['text too long', 'POST', '/v1/messages', { json: { conversationID: 'C2Cbob', text: 'x'.repeat(4001) } }, 'INVALID_TEXT', '4000'],
  ['blank text', 'POST', '/v1/messages', { json: { conversationID: 'C2Cbob', text: '   ' } }, 'INVALID_TEXT'],
  ['text of the wrong type', 'POST', '/v1/messages', { json: { conversationID: 'C2Cbob', text: 7 } }, 'INVALID_TEXT'],
  ['a missing conversation', 'POST', '/v1/messages', { json: { text: 'hi' } }, 'INVALID_CONVERSATION_ID'],
  ['a bad conversation', 'POST', '/v1/messages', { json: { conversationID: 'DM-bob', text: 'hi' } }, 'INVALID_CONVERSATION_ID', 'DM-bob'],
  ['writing to the system conversation', 'POST', '/v1/messages', { json: { conversationID: '@TIM#SYSTEM', text: 'hi' } }, 'CANNOT_MESSAGE_SYSTEM'],
  ['an unknown message field', 'POST', '/v1/messages', { json: { conversationID: 'C2Cbob', text: 'hi', priority: 1 } }, 'UNKNOWN_FIELD'],
  ['a message body of bad JSON', 'POST', '/v1/messages', { raw: 'text=hi' }, 'INVALID_JSON'],
  ['a message to a missing group', 'POST', '/v1/messages', { json: { conversationID: 'GROUPnope-none', text: 'hi' } }, 'GROUP_NOT_FOUND'],
  // POST /v1/groups
  ['a bad groupID', 'POST', '/v1/groups', { json: { groupID: 'g 1', memberList: [] } }, 'INVALID_GROUP_ID', 'g 1'],
  ['a bad member', 'POST', '/v1/groups', { json: { groupID: 'g-bad-member', memberList: ['ok', 'not ok'] } }, 'INVALID_USER_ID', 'not ok'],
  ['too many members', 'POST', '/v1/groups', { json: { groupID: 'g-huge', memberList: Array.from({ length: 500 }, (_, i) => `m${i}`) } }, 'INVALID_REQUEST', '500'],
  // GET lists
  ['limit 0', 'GET', '/v1/conversations?limit=0', {}, 'INVALID_QUERY', 'limit'],
  ['limit 101', 'GET', '/v1/conversations?limit=101', {}, 'INVALID_QUERY', 'limit'],
  ['limit not a number', 'GET', '/v1/conversations?limit=ten', {}, 'INVALID_QUERY', 'limit'],
  ['a forged cursor', 'GET', '/v1/conversations?cursor=bm90LWEtY3Vyc29y', {}, 'INVALID_CURSOR'],
  ['a cursor from another list', 'GET', `/v1/conversations?cursor=${Buffer.from(JSON.stringify({ ...keys.conversation('someone-else', 'C2Cx'), lsi1sk: 'x' })).toString('base64url')}`, {}, 'INVALID_CURSOR'],
  ['a bad history cursor', 'GET', '/v1/conversations/C2Cbob/messages?cursor=%%%', {}, 'INVALID_CURSOR'],
  ['a bad history path', 'GET', '/v1/conversations/C2C%2F/messages', {}, 'INVALID_CONVERSATION_ID'],
  // Nested deeper than JSON.stringify can recurse: quoting the value in the message must not crash the function.
  ['a deeply nested ID', 'POST', '/v1/conversations/delete', { raw: `{"conversationIDList":[${deeplyNested}]}` }, 'INVALID_CONVERSATION_ID', 'body.conversationIDList.0'],
  ['a deeply nested member', 'POST', '/v1/groups', { raw: `{"groupID":"g-deep","memberList":[${deeplyNested}]}` }, 'INVALID_USER_ID', 'body.memberList.0'],
];

describe('bad input', () => {
  it.each(cases)('%s: %s %s', async (_name, method, path, body, error, mentions) => {
    const response = await asAlice.request(method, path, {
      ...(body.json !== undefined ? { body: body.json } : {}),
      ...(body.raw !== undefined ? { rawBody: body.raw } : {}),
    });
    expect(response.status).toBe(ERROR_CODES[error].status);
    expect(response.status).toBeLessThan(500);
    expect(response.body).toMatchObject({ code: ERROR_CODES[error].code, error });
    expect(response.body.message.length).toBeGreaterThan(10);
    if (mentions) expect(response.body.message).toContain(mentions);
  });

  it('changed nothing', async () => {
    expect(await conversationIDs(asAlice)).toEqual([`C2C${bob}`]);
    expect(await historyTexts(asAlice, `C2C${bob}`)).toEqual(['keep me']);
  });

  it('answers 413 to an oversized body', async () => {
    const response = await asAlice.request('POST', '/v1/messages', { rawBody: JSON.stringify({ conversationID: 'C2Cbob', text: 'x'.repeat(70_000) }) });
    expect(response.status).toBe(413);
    expect(response.body.error).toBe('PAYLOAD_TOO_LARGE');
  });

  it('refuses to message oneself', async () => {
    const response = await asAlice.post('/v1/messages', { conversationID: `C2C${alice}`, text: 'me' });
    expect(response.status).toBe(400);
    expect(response.body.error).toBe('CANNOT_MESSAGE_SELF');
  });

  it('refuses a group message from a non-member with 403 and an existing group with 409', async () => {
    const owner = await stack.as(uniqueUser('owner'));
    await owner.post('/v1/groups', { groupID: 'closed-club', memberList: [] });
    const response = await asAlice.post('/v1/messages', { conversationID: 'GROUPclosed-club', text: 'let me in' });
    expect(response.status).toBe(403);
    expect(response.body.error).toBe('NOT_GROUP_MEMBER');
    const again = await asAlice.post('/v1/groups', { groupID: 'closed-club', memberList: [] });
    expect(again.status).toBe(409);
    expect(again.body.error).toBe('GROUP_EXISTS');
  });
});

describe('authentication', () => {
  // In the cloud API Gateway's JWT authorizer answers these before any function runs, with its own body; only the
  // status is the service's promise (the local runner's bodies are tested in test/local/local-runner.test.ts).
  it('answers 401 without a token, with a forged one and with an expired one, and changes nothing', async () => {
    expect((await stack.anonymous.post('/v1/conversations/delete', `C2C${bob}`)).status).toBe(401);
    const forged = await asAlice.request('POST', '/v1/conversations/delete', {
      body: `C2C${bob}`,
      headers: { authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl' },
    });
    expect(forged.status).toBe(401);
    const expired = await stack.auth.issue(alice, false, Math.floor(Date.now() / 1000) - 60);
    expect((await asAlice.request('POST', '/v1/conversations/delete', { body: `C2C${bob}`, headers: { authorization: `Bearer ${expired}` } })).status).toBe(401);
    expect(await conversationIDs(asAlice)).toEqual([`C2C${bob}`]);
  });

  it('answers 401 from the function itself to verified claims that name no valid user (the claim is the service\'s rule)', async () => {
    const response = await asAlice.request('GET', '/v1/conversations', { headers: { authorization: `Bearer ${await stack.auth.issue('x'.repeat(33), false)}` } });
    expect(response.status).toBe(401);
    expect(response.body).toMatchObject({ code: 40100, error: 'UNAUTHORIZED' });
  });

  it('answers 403 to a non-admin on an admin route, and 201 to an admin', async () => {
    const denied = await asAlice.post('/v1/admin/system-notifications', { userIDList: [alice], text: 'hi' });
    expect(denied.status).toBe(403);
    expect(denied.body.error).toBe('ADMIN_REQUIRED');
    const admin = await stack.as(uniqueUser('admin'), { admin: true });
    expect((await admin.post('/v1/admin/system-notifications', { userIDList: [alice], text: 'hi' })).status).toBe(201);
  });

});
