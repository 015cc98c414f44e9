import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGroup, send } from '../support/chat.js';
import { type TestStack, startTestStack, uniqueUser } from '../support/stack.js';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await stack?.stop();
});

describe('listing', () => {
  it('pages conversations newest first with an opaque cursor', async () => {
    const alice = uniqueUser('alice');
    const asAlice = await stack.as(alice);
    const peers = Array.from({ length: 7 }, (_, i) => `${alice}p${i}`);
    for (const p of peers) await send(asAlice, `C2C${p}`, `to ${p}`);

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor ? `?limit=3&cursor=${encodeURIComponent(cursor)}` : '?limit=3';
      const response = await asAlice.get(`/v1/conversations${query}`);
      expect(response.status).toBe(200);
      expect(response.body.data.conversationList.length).toBeLessThanOrEqual(3);
      seen.push(...response.body.data.conversationList.map((c: { conversationID: string }) => c.conversationID));
      cursor = response.body.data.nextCursor;
      pages++;
    } while (cursor);

    expect(seen).toEqual(peers.map((p) => `C2C${p}`).reverse());
    expect(pages).toBeGreaterThanOrEqual(3);
    // A new message moves its conversation to the top.
    await send(asAlice, `C2C${peers[0]}`, 'again');
    const first = await asAlice.get('/v1/conversations?limit=1');
    expect(first.body.data.conversationList[0].conversationID).toBe(`C2C${peers[0]}`);
  });

  it('pages history newest first', async () => {
    const [alice, bob] = [uniqueUser('alice'), uniqueUser('bob')];
    const asAlice = await stack.as(alice);
    for (let i = 0; i < 5; i++) await send(asAlice, `C2C${bob}`, `m${i}`);
    const page1 = await asAlice.get(`/v1/conversations/C2C${bob}/messages?limit=2`);
    const page2 = await asAlice.get(`/v1/conversations/C2C${bob}/messages?limit=2&cursor=${page1.body.data.nextCursor}`);
    const page3 = await asAlice.get(`/v1/conversations/C2C${bob}/messages?limit=2&cursor=${page2.body.data.nextCursor}`);
    expect(page1.body.data.messageList.map((m: { text: string }) => m.text)).toEqual(['m4', 'm3']);
    expect(page2.body.data.messageList.map((m: { text: string }) => m.text)).toEqual(['m2', 'm1']);
    expect(page3.body.data.messageList.map((m: { text: string }) => m.text)).toEqual(['m0']);
    // Another device clears the history: the next page of the old cursor is simply the end, not an error.
    await asAlice.delete(`/v1/conversations/C2C${bob}`);
    const afterClear = await asAlice.get(`/v1/conversations/C2C${bob}/messages?limit=2&cursor=${page1.body.data.nextCursor}`);
    expect(afterClear.status).toBe(200);
    expect(afterClear.body.data).toEqual({ messageList: [], nextCursor: null });
    // A cursor of one conversation is refused on another.
    const foreign = await asAlice.get(`/v1/conversations/C2Csomeone/messages?cursor=${page1.body.data.nextCursor}`);
    expect(foreign.status).toBe(400);
    expect(foreign.body.error).toBe('INVALID_CURSOR');
  });

  it('delivers a group message to every member, with unread counts for all but the sender', async () => {
    const members = Array.from({ length: 12 }, (_, i) => uniqueUser(`m${i}`));
    const clients = await Promise.all(members.map((m) => stack.as(m)));
    const groupID = `${members[0]}-g`;
    const created = await createGroup(clients[0]!, groupID, members.slice(1));
    expect(created.memberList).toHaveLength(12);

    await send(clients[3]!, `GROUP${groupID}`, 'hello all');

    for (const [i, client] of clients.entries()) {
      const list = await client.get('/v1/conversations');
      expect(list.body.data.conversationList).toEqual([
        expect.objectContaining({ conversationID: `GROUP${groupID}`, type: 'GROUP', groupID, unreadCount: i === 3 ? 0 : 1 }),
      ]);
    }
  });

  it('writes a system notification into each user\'s @TIM#SYSTEM conversation', async () => {
    const [u1, u2] = [uniqueUser('u'), uniqueUser('u')];
    const admin = await stack.as(uniqueUser('admin'), { admin: true });
    const response = await admin.post('/v1/admin/system-notifications', { userIDList: [u1, u2, u1], text: 'maintenance at noon' });
    expect(response.status).toBe(201);
    expect(response.body.data.notificationList).toHaveLength(2);
    const history = await (await stack.as(u2)).get(`/v1/conversations/${encodeURIComponent('@TIM#SYSTEM')}/messages`);
    expect(history.body.data.messageList).toEqual([expect.objectContaining({ text: 'maintenance at noon', from: '@TIM#SYSTEM', conversationID: '@TIM#SYSTEM' })]);
  });
});
