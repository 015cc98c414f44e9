import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DETAIL_TYPES } from '#contracts/events.js';
import { keys } from '#contracts/table.js';
import { conversation, historyTexts, send } from '../support/chat.js';
import { type TestStack, startTestStack, uniqueUser } from '../support/stack.js';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await stack?.stop();
});

const deletedEvents = (userID: string) =>
  stack.bus.history.filter((e) => e['detail-type'] === DETAIL_TYPES.conversationsDeleted && (e.detail as { userID: string }).userID === userID);

describe('Idempotency-Key', () => {
  it('replays the first response to a retried request without doing the work or emitting the event again', async () => {
    // Prepare
    const [alice, bob] = [uniqueUser('alice'), uniqueUser('bob')];
    const [asAlice, asBob] = [await stack.as(alice), await stack.as(bob)];
    await send(asAlice, `C2C${bob}`, 'hi');
    const body = { conversationIDList: [`C2C${bob}`] };

    // Act
    const first = await asAlice.post('/v1/conversations/delete', body, { 'Idempotency-Key': 'retry-1' });
    await send(asBob, `C2C${alice}`, 'after the deletion');
    const retry = await asAlice.post('/v1/conversations/delete', body, { 'Idempotency-Key': 'retry-1' });

    // Assess: same answer, the conversation re-created by Bob's message is not deleted again, one event.
    expect(first.status).toBe(200);
    expect(retry.status).toBe(200);
    expect(retry.body).toEqual(first.body);
    expect(await conversation(asAlice, `C2C${bob}`)).toMatchObject({ lastMessage: { text: 'after the deletion' } });
    expect(deletedEvents(alice)).toHaveLength(1);
  });

  it('refuses the same key with a different body (409) and changes nothing', async () => {
    const [alice, bob, carol] = [uniqueUser('alice'), uniqueUser('bob'), uniqueUser('carol')];
    const asAlice = await stack.as(alice);
    await send(asAlice, `C2C${bob}`, 'hi');
    await send(asAlice, `C2C${carol}`, 'hi');
    await asAlice.post('/v1/conversations/delete', `C2C${bob}`, { 'Idempotency-Key': 'k-1' });

    const reused = await asAlice.post('/v1/conversations/delete', `C2C${carol}`, { 'Idempotency-Key': 'k-1' });

    expect(reused.status).toBe(409);
    expect(reused.body).toMatchObject({ code: 40901, error: 'IDEMPOTENCY_KEY_REUSED' });
    expect(await conversation(asAlice, `C2C${carol}`)).toBeDefined();
  });

  it('scopes keys to the user: another user\'s identical key is an unrelated request', async () => {
    const [alice, dave, bob] = [uniqueUser('alice'), uniqueUser('dave'), uniqueUser('bob')];
    const [asAlice, asDave] = [await stack.as(alice), await stack.as(dave)];
    await send(asAlice, `C2C${bob}`, 'hi');
    await send(asDave, `C2C${bob}`, 'hi');

    const a = await asAlice.post('/v1/conversations/delete', `C2C${bob}`, { 'Idempotency-Key': 'shared-key' });
    const d = await asDave.post('/v1/conversations/delete', `C2C${bob}`, { 'Idempotency-Key': 'shared-key' });

    expect(a.status).toBe(200);
    expect(d.status).toBe(200);
    expect(d.body.data.results).toEqual([{ conversationID: `C2C${bob}`, status: 'deleted' }]);
    expect(await conversation(asDave, `C2C${bob}`)).toBeUndefined();
  });

  it('tells a concurrent duplicate when to retry (409 with Retry-After), and the retry then gets the first answer', async () => {
    // Prepare: the first request is held just before its events.
    const [alice, bob] = [uniqueUser('alice'), uniqueUser('bob')];
    const asAlice = await stack.as(alice);
    await send(asAlice, `C2C${bob}`, 'hi');
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let reached!: () => void;
    const held = new Promise<void>((r) => (reached = r));
    const remove = stack.intercept(async (call) => {
      if (call.functionName !== 'delete-conversations' || call.commandName !== 'PutEventsCommand') return;
      reached();
      await released;
    });
    const key = { 'Idempotency-Key': `busy-${alice}` };
    const first = asAlice.post('/v1/conversations/delete', `C2C${bob}`, key);
    await held;

    // Act
    const duplicate = await asAlice.post('/v1/conversations/delete', `C2C${bob}`, key);
    release();
    remove();

    // Assess: the lock lasts at most the first invocation's time, and the answer says how long is left.
    expect(duplicate.status).toBe(409);
    expect(duplicate.body).toMatchObject({ error: 'IDEMPOTENCY_IN_PROGRESS', message: expect.stringMatching(/retry in \d+ s/) });
    const retryAfter = Number(duplicate.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect((await first).status).toBe(200);
    expect((await asAlice.post('/v1/conversations/delete', `C2C${bob}`, key)).body).toEqual((await first).body);
  });

  it('keeps one deletionID across a retry after a failed publish, so devices can drop the repeat', async () => {
    // Prepare: the first attempt's events fail after its tombstones and record are written.
    const [alice, bob] = [uniqueUser('alice'), uniqueUser('bob')];
    const asAlice = await stack.as(alice);
    await send(asAlice, `C2C${bob}`, 'hi');
    const remove = stack.intercept((call) => {
      if (call.functionName === 'delete-conversations' && call.commandName === 'PutEventsCommand') throw new Error('EventBridge unavailable (simulated)');
    });
    const key = { 'Idempotency-Key': `flaky-${alice}` };

    // Act
    const failed = await asAlice.post('/v1/conversations/delete', `C2C${bob}`, key);
    remove();
    const retry = await asAlice.post('/v1/conversations/delete', `C2C${bob}`, key);

    // Assess: every record and the event the retry emitted name the same deletion.
    expect(failed.status).toBeGreaterThanOrEqual(500);
    expect(retry.status).toBe(200);
    const records = (await stack.db.send(new QueryCommand({ TableName: stack.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': keys.deletionPartition(alice) } }))).Items!;
    const ids = new Set([...records.map((r) => r.deletionID as string), ...deletedEvents(alice).map((e) => (e.detail as { deletionID: string }).deletionID)]);
    expect(records.length).toBeGreaterThanOrEqual(1);
    expect(deletedEvents(alice)).toHaveLength(1);
    expect(ids.size).toBe(1);
    expect(retry.body.data.deletionID ?? [...ids][0]).toBe([...ids][0]);
  });

  it('rejects a malformed key with 400', async () => {
    const asAlice = await stack.as(uniqueUser('alice'));
    const response = await asAlice.post('/v1/conversations/delete', 'C2Cbob', { 'Idempotency-Key': 'has spaces in it' });
    expect(response.status).toBe(400);
    expect(response.body.error).toBe('INVALID_HEADER');
  });
});

describe('messages racing with a deletion', () => {
  it('never loses a message that comes after the deletion, and hides every one that came before', async () => {
    // Prepare: Bob keeps writing to Alice while Alice deletes the conversation with its history, repeatedly.
    const [alice, bob] = [uniqueUser('alice'), uniqueUser('bob')];
    const [asAlice, asBob] = [await stack.as(alice), await stack.as(bob)];
    await send(asBob, `C2C${alice}`, 'seed');
    const sent: { text: string; sequence: number }[] = [];

    // Act
    const writer = (async () => {
      for (let i = 0; i < 60; i++) {
        const m = await send(asBob, `C2C${alice}`, `m${i}`);
        sent.push({ text: m.text, sequence: m.sequence });
      }
    })();
    const deleter = (async () => {
      for (let i = 0; i < 8; i++) {
        const r = await asAlice.post('/v1/conversations/delete', `C2C${bob}`);
        expect(r.status).toBe(200);
        await new Promise((resolve) => setTimeout(resolve, 15));
      }
    })();
    await Promise.all([writer, deleter]);
    await stack.bus.drain();

    // Assess: the final clear point splits Bob's messages into "before" (gone) and "after" (all visible).
    const tombstone = await stack.db.send(new GetCommand({ TableName: stack.tableName, Key: keys.conversation(alice, `C2C${bob}`), ConsistentRead: true }));
    const clearSeq = (tombstone.Item?.clearSeq as number | undefined) ?? 0;
    const visible = await historyTexts(asAlice, `C2C${bob}`);
    const expectedVisible = sent.filter((m) => m.sequence > clearSeq).map((m) => m.text).reverse();
    expect(visible).toEqual(expectedVisible);
    if (expectedVisible.length > 0) {
      // ...and the conversation is listed, showing the newest of them.
      expect(await conversation(asAlice, `C2C${bob}`)).toMatchObject({ lastMessage: { text: expectedVisible[0] } });
    }
    // Bob lost nothing.
    expect((await historyTexts(asBob, `C2C${alice}`)).length).toBe(61);
  });
});
