import { randomUUID } from 'node:crypto';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DETAIL_TYPES } from '#contracts/events.js';
import { keys } from '#contracts/table.js';
import { conversation, conversationIDs, createGroup, historyTexts, send } from '../support/chat.js';
import { type TestStack, startTestStack, uniqueUser } from '../support/stack.js';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await stack?.stop();
});

/** Message copies physically stored for this user in this conversation (ignores the clear point). */
const storedCopies = async (userID: string, conversationID: string): Promise<number> => {
  const response = await stack.db.send(
    new QueryCommand({ TableName: stack.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': keys.messagePartition(userID, conversationID) }, Select: 'COUNT' }),
  );
  return response.Count ?? 0;
};

const eventsFor = (userID: string, detailType: string) =>
  stack.bus.history.filter((e) => e['detail-type'] === detailType && (e.detail as { userID?: string }).userID === userID);

describe('deleting one conversation', () => {
  it('answers like chat.deleteConversation("C2C...") and clears only the caller\'s side', async () => {
    // Prepare
    const [alice, bob] = [uniqueUser('alice'), uniqueUser('bob')];
    const [asAlice, asBob] = [await stack.as(alice), await stack.as(bob)];
    await send(asAlice, `C2C${bob}`, 'one');
    await send(asBob, `C2C${alice}`, 'two');

    // Act
    const response = await asAlice.post('/v1/conversations/delete', `C2C${bob}`);

    // Assess
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ code: 0, data: { conversationID: `C2C${bob}`, results: [{ conversationID: `C2C${bob}`, status: 'deleted' }] } });
    expect(await conversationIDs(asAlice)).not.toContain(`C2C${bob}`);
    expect(await historyTexts(asAlice, `C2C${bob}`)).toEqual([]);
    expect(await storedCopies(alice, `C2C${bob}`)).toBe(0);
    // Bob keeps everything.
    expect(await conversationIDs(asBob)).toContain(`C2C${alice}`);
    expect(await historyTexts(asBob, `C2C${alice}`)).toEqual(['two', 'one']);
    expect(await storedCopies(bob, `C2C${alice}`)).toBe(2);
  });

  it('keeps the history with clearHistoryMessage=false and shows it again when the conversation comes back', async () => {
    const [alice, bob] = [uniqueUser('alice'), uniqueUser('bob')];
    const [asAlice, asBob] = [await stack.as(alice), await stack.as(bob)];
    await send(asBob, `C2C${alice}`, 'old');

    const response = await asAlice.delete(`/v1/conversations/C2C${bob}?clearHistoryMessage=false`);

    expect(response.status).toBe(200);
    expect(response.body.data).toMatchObject({ conversationID: `C2C${bob}`, historyPurge: 'none' });
    expect(await conversationIDs(asAlice)).not.toContain(`C2C${bob}`);
    expect(await historyTexts(asAlice, `C2C${bob}`)).toEqual(['old']);
    await send(asBob, `C2C${alice}`, 'new');
    expect(await conversation(asAlice, `C2C${bob}`)).toMatchObject({ unreadCount: 1, lastMessage: { text: 'new' } });
    expect(await historyTexts(asAlice, `C2C${bob}`)).toEqual(['new', 'old']);
  });

  it('re-creates a cleared conversation with only the messages that come after the deletion', async () => {
    const [alice, bob] = [uniqueUser('alice'), uniqueUser('bob')];
    const [asAlice, asBob] = [await stack.as(alice), await stack.as(bob)];
    await send(asBob, `C2C${alice}`, 'before 1');
    await send(asAlice, `C2C${bob}`, 'before 2');

    await asAlice.delete(`/v1/conversations/C2C${bob}`);
    await send(asBob, `C2C${alice}`, 'after');

    expect(await conversation(asAlice, `C2C${bob}`)).toMatchObject({ unreadCount: 1, lastMessage: { text: 'after' } });
    expect(await historyTexts(asAlice, `C2C${bob}`)).toEqual(['after']);
    expect(await historyTexts(asBob, `C2C${alice}`)).toEqual(['after', 'before 2', 'before 1']);
  });

  it('deletes the system conversation by its URL-encoded ID', async () => {
    const alice = uniqueUser('alice');
    const asAlice = await stack.as(alice);
    const asAdmin = await stack.as(uniqueUser('admin'), { admin: true });
    expect((await asAdmin.post('/v1/admin/system-notifications', { userIDList: [alice], text: 'welcome' })).status).toBe(201);
    expect(await conversationIDs(asAlice)).toEqual(['@TIM#SYSTEM']);

    const response = await asAlice.delete(`/v1/conversations/${encodeURIComponent('@TIM#SYSTEM')}`);

    expect(response.status).toBe(200);
    expect(response.body.data.conversationID).toBe('@TIM#SYSTEM');
    expect(await conversationIDs(asAlice)).toEqual([]);
    expect(await historyTexts(asAlice, '@TIM#SYSTEM')).toEqual([]);
  });

  it('deleting a group conversation does not leave the group, and other members keep theirs', async () => {
    const [alice, bob, carol] = [uniqueUser('alice'), uniqueUser('bob'), uniqueUser('carol')];
    const [asAlice, asBob, asCarol] = [await stack.as(alice), await stack.as(bob), await stack.as(carol)];
    const groupID = `g${randomUUID().slice(0, 8)}`;
    await createGroup(asAlice, groupID, [bob, carol]);
    await send(asBob, `GROUP${groupID}`, 'hello group');

    const response = await asAlice.post('/v1/conversations/delete', { conversationIDList: [`GROUP${groupID}`] });

    expect(response.body.data.results).toEqual([{ conversationID: `GROUP${groupID}`, status: 'deleted' }]);
    expect(await conversationIDs(asAlice)).not.toContain(`GROUP${groupID}`);
    expect(await historyTexts(asCarol, `GROUP${groupID}`)).toEqual(['hello group']);
    // Still a member: can send, and the conversation comes back with just the new message.
    await send(asAlice, `GROUP${groupID}`, 'still here');
    expect(await historyTexts(asAlice, `GROUP${groupID}`)).toEqual(['still here']);
    expect(await historyTexts(asBob, `GROUP${groupID}`)).toEqual(['still here', 'hello group']);
  });
});

describe('deleting in a batch', () => {
  it('reports each ID, removes duplicates, keeps request order and treats unknown conversations as absent', async () => {
    const [alice, bob, carol] = [uniqueUser('alice'), uniqueUser('bob'), uniqueUser('carol')];
    const asAlice = await stack.as(alice);
    await send(asAlice, `C2C${bob}`, 'to bob');
    await send(asAlice, `C2C${carol}`, 'to carol');

    const response = await asAlice.post('/v1/conversations/delete', {
      conversationIDList: [`C2C${carol}`, 'C2Cnobody', `C2C${bob}`, `C2C${carol}`],
    });

    expect(response.status).toBe(200);
    expect(response.body.data.conversationIDList).toEqual([`C2C${carol}`, 'C2Cnobody', `C2C${bob}`]);
    expect(response.body.data.results).toEqual([
      { conversationID: `C2C${carol}`, status: 'deleted' },
      { conversationID: 'C2Cnobody', status: 'absent' },
      { conversationID: `C2C${bob}`, status: 'deleted' },
    ]);
    expect(await conversationIDs(asAlice)).toEqual([]);
  });

  it('deletes 100 conversations at once', async () => {
    const alice = uniqueUser('alice');
    const asAlice = await stack.as(alice);
    const peers = Array.from({ length: 100 }, (_, i) => `p${i}x${alice}`.slice(0, 32));
    await Promise.all(peers.map((p) => send(asAlice, `C2C${p}`, 'hi')));
    expect((await conversationIDs(asAlice)).length).toBe(100);

    const response = await asAlice.post('/v1/conversations/delete', { conversationIDList: peers.map((p) => `C2C${p}`), clearHistoryMessage: true });

    expect(response.status).toBe(200);
    expect(response.body.data.results.every((r: { status: string }) => r.status === 'deleted')).toBe(true);
    expect(await conversationIDs(asAlice)).toEqual([]);
    // Too many conversations to purge before answering: hidden now, purged in the background.
    expect(response.body.data.historyPurge).toBe('pending');
    expect(await historyTexts(asAlice, `C2C${peers[0]}`)).toEqual([]);
    await stack.bus.drain();
    expect(await storedCopies(alice, `C2C${peers[0]}`)).toBe(0);
    expect(await storedCopies(alice, `C2C${peers[99]}`)).toBe(0);
  });
});

describe('events and records', () => {
  it('emits one ConversationsDeleted event with the device that asked and keeps a durable record with a TTL', async () => {
    const [alice, bob] = [uniqueUser('alice'), uniqueUser('bob')];
    const asAlice = await stack.as(alice);
    await send(asAlice, `C2C${bob}`, 'hi');

    const response = await asAlice.post('/v1/conversations/delete', { conversationIDList: [`C2C${bob}`], clearHistoryMessage: false }, { 'X-Device-ID': 'phone-1' });

    expect(response.status).toBe(200);
    const events = eventsFor(alice, DETAIL_TYPES.conversationsDeleted);
    expect(events).toHaveLength(1);
    expect(events[0]!.source).toBe('conversation-deletion-service');
    expect(events[0]!.detail).toMatchObject({
      userID: alice,
      conversationIDList: [`C2C${bob}`],
      clearHistoryMessage: false,
      deletedAt: response.body.data.deletedAt,
      originDeviceID: 'phone-1',
      historyPurge: 'none',
    });
    const records = await stack.db.send(
      new QueryCommand({ TableName: stack.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': keys.deletionPartition(alice) } }),
    );
    expect(records.Items).toHaveLength(1);
    const record = records.Items![0]!;
    expect(record).toMatchObject({ userID: alice, conversationIDList: [`C2C${bob}`], originDeviceID: 'phone-1', clearHistoryMessage: false });
    const ttlDays = (record.expiresAt - Date.parse(record.deletedAt) / 1000) / 86_400;
    expect(ttlDays).toBeGreaterThanOrEqual(30);
  });
});

describe('large histories', () => {
  it('hides a large history at once and purges it in the background, then announces it', async () => {
    const [alice, bob] = [uniqueUser('alice'), uniqueUser('bob')];
    const [asAlice, asBob] = [await stack.as(alice), await stack.as(bob)];
    // 600 messages: above the inline purge limit (500), so the purge is handed to the background.
    for (let i = 0; i < 600; i += 50) {
      await Promise.all(Array.from({ length: 50 }, (_, j) => send(i + j < 300 ? asAlice : asBob, i + j < 300 ? `C2C${bob}` : `C2C${alice}`, `m${i + j}`)));
    }
    expect(await storedCopies(alice, `C2C${bob}`)).toBe(600);

    const response = await asAlice.post('/v1/conversations/delete', `C2C${bob}`);

    expect(response.status).toBe(200);
    expect(response.body.data.historyPurge).toBe('pending');
    // Hidden from the very next read, before the purge has run.
    expect(await historyTexts(asAlice, `C2C${bob}`)).toEqual([]);
    await stack.bus.drain();
    expect(await storedCopies(alice, `C2C${bob}`)).toBe(0);
    expect(await storedCopies(bob, `C2C${alice}`)).toBe(600);
    const purged = eventsFor(alice, DETAIL_TYPES.historyPurged);
    expect(purged).toHaveLength(1);
    expect(purged[0]!.detail).toMatchObject({ conversationIDList: [`C2C${bob}`], messagesDeleted: 600 });
    expect(stack.backgroundErrors).toEqual([]);
  }, 120_000);
});
