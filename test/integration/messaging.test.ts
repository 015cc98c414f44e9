import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestStack, startTestStack, uniqueUser } from '../support/stack.js';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await stack?.stop();
});

describe('C2C messages', () => {
  it('stores a copy for sender and receiver and lists the conversation for both', async () => {
    // Prepare
    const [alice, bob] = [uniqueUser('alice'), uniqueUser('bob')];
    const asAlice = await stack.as(alice);
    const asBob = await stack.as(bob);

    // Act
    const sent = await asAlice.post('/v1/messages', { conversationID: `C2C${bob}`, text: 'hi' });

    // Assess
    expect(sent.status).toBe(201);
    expect(sent.body).toMatchObject({ code: 0, data: { conversationID: `C2C${bob}`, from: alice, text: 'hi', sequence: 1 } });
    const aliceList = await asAlice.get('/v1/conversations');
    expect(aliceList.body.data.conversationList).toEqual([expect.objectContaining({ conversationID: `C2C${bob}`, type: 'C2C', peerUserID: bob, unreadCount: 0 })]);
    const bobList = await asBob.get('/v1/conversations');
    expect(bobList.body.data.conversationList).toEqual([expect.objectContaining({ conversationID: `C2C${alice}`, unreadCount: 1 })]);
    const bobHistory = await asBob.get(`/v1/conversations/C2C${alice}/messages`);
    expect(bobHistory.body.data.messageList).toEqual([expect.objectContaining({ text: 'hi', from: alice, conversationID: `C2C${alice}`, sequence: 1 })]);
  });
});
