/**
 * The purge driver that cannot lose work: a clearing tombstone marks its conversation as owing a purge in the same
 * write, and the sweeper re-drives every owed purge whose own event was lost, until the purge reaches the stored
 * clear point. Against DynamoDB Local and the real local stack (its scheduled sweep, its bus, its purge function).
 */
import { randomUUID } from 'node:crypto';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDocumentClient } from '#adapters/dynamodb/client.js';
import { DynamoHistoryPurger } from '#adapters/dynamodb/history-purger.js';
import { DynamoPendingPurges } from '#adapters/dynamodb/pending-purges.js';
import { ENV } from '#contracts/environment.js';
import { DETAIL_TYPES } from '#contracts/events.js';
import { keys, PENDING_PURGES_INDEX, pendingPurgeShard } from '#contracts/table.js';
import type { OutgoingEvent } from '#domain/ports/events.js';
import { sweepPendingPurges } from '#domain/sweep-purges.js';
import { createTables } from '#local/dynamodb-local.js';
import { historyTexts, send } from '../support/chat.js';
import { startTestStack, type TestStack, uniqueUser } from '../support/stack.js';
import { eventually } from '../support/websocket.js';

describe('a clear whose purge event never went out', () => {
  let stack: TestStack;
  beforeAll(async () => {
    // The sweeper may step in one second after a clear (the cloud waits a minute; the local runner 10 s).
    process.env[ENV.purgeHandoffSeconds] = '1';
    stack = await startTestStack();
  });
  afterAll(async () => {
    delete process.env[ENV.purgeHandoffSeconds];
    await stack?.stop();
  });

  const storedCopies = async (userID: string, conversationID: string) =>
    (await stack.db.send(new QueryCommand({ TableName: stack.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': keys.messagePartition(userID, conversationID) }, Select: 'COUNT' }))).Count ?? 0;
  const conversationItem = async (userID: string, conversationID: string) =>
    (await stack.db.send(new GetCommand({ TableName: stack.tableName, Key: keys.conversation(userID, conversationID), ConsistentRead: true }))).Item;

  it('is purged by the sweep without any retry, even after a later deletion that keeps the history', async () => {
    // Prepare: 600 messages, above the inline purge limit, so the purge is the background's.
    const [alice, bob] = [uniqueUser('alice'), uniqueUser('bob')];
    const [asAlice, asBob] = [await stack.as(alice), await stack.as(bob)];
    for (let i = 0; i < 600; i += 50) await Promise.all(Array.from({ length: 50 }, (_, j) => send(asBob, `C2C${alice}`, `m${i + j}`)));
    // The deletion's events never reach the bus (as if the process died right after its tombstones).
    const remove = stack.intercept((call) => {
      if (call.functionName === 'delete-conversations' && call.commandName === 'PutEventsCommand') throw new Error('lost (simulated)');
    });

    // Act: the clear fails after hiding the history, and nobody repeats it; later a message and a keeping deletion.
    const clearing = await asAlice.post('/v1/conversations/delete', `C2C${bob}`);
    remove();
    expect(clearing.status).toBeGreaterThanOrEqual(500);
    expect(await historyTexts(asAlice, `C2C${bob}`)).toEqual([]);
    expect(await conversationItem(alice, `C2C${bob}`)).toMatchObject({ clearSeq: 600, [PENDING_PURGES_INDEX.partitionKey]: pendingPurgeShard(alice) });
    await send(asBob, `C2C${alice}`, 'later');
    expect((await asAlice.post('/v1/conversations/delete', { conversationIDList: [`C2C${bob}`], clearHistoryMessage: false })).status).toBe(200);
    expect(await storedCopies(alice, `C2C${bob}`)).toBe(601);

    // Assess: the sweep re-drives the owed purge; the cleared copies go, the later one stays, the mark is gone.
    await eventually(
      async () => {
        await stack.runScheduled();
        await stack.bus.drain();
        return (await storedCopies(alice, `C2C${bob}`)) === 1;
      },
      'the sweep purges the 600 cleared copies',
      30_000,
    );
    expect(await historyTexts(asAlice, `C2C${bob}`)).toEqual(['later']);
    const item = await conversationItem(alice, `C2C${bob}`);
    expect(item).toMatchObject({ clearSeq: 600, purgedSeq: 600 });
    expect(item?.[PENDING_PURGES_INDEX.partitionKey]).toBeUndefined();
    expect(item?.[PENDING_PURGES_INDEX.sortKey]).toBeUndefined();
    const purged = stack.bus.history.filter((e) => e['detail-type'] === DETAIL_TYPES.historyPurged && (e.detail as { userID?: string }).userID === alice);
    expect(purged.map((e) => e.detail)).toEqual([expect.objectContaining({ conversationIDList: [`C2C${bob}`], messagesDeleted: 600 })]);
    expect(await asBob.get(`/v1/conversations/C2C${alice}/messages?limit=1`)).toMatchObject({ status: 200 });
    expect(await storedCopies(bob, `C2C${alice}`)).toBe(601);
  });
});

describe('the sweep', () => {
  const tableName = `t${randomUUID().slice(0, 8)}`;
  let client: DynamoDBDocumentClient;
  let pending: DynamoPendingPurges;
  const published: OutgoingEvent[] = [];
  const events = { publish: async (e: OutgoingEvent[]) => void published.push(...e) };
  const t0 = Date.parse('2030-01-01T00:00:00.000Z');
  const sweepAt = (ms: number) => sweepPendingPurges({ pending, events, clock: { now: () => new Date(ms) } }, { leaseSeconds: 300, maxPerSweep: 100 });

  beforeAll(async () => {
    const endpoint = inject('dynamodbEndpoint');
    await createTables(endpoint, { tableName, idempotencyTableName: `${tableName}-idem` });
    client = createDocumentClient({ endpoint });
    pending = new DynamoPendingPurges(client, tableName);
  });
  afterAll(() => client?.destroy());

  const markPending = (userID: string, conversationID: string, points: { clearSeq: number; purgedSeq: number }, dueAt: number) =>
    client.send(
      new PutCommand({
        TableName: tableName,
        Item: {
          ...keys.conversation(userID, conversationID),
          conversationID,
          tombstone: true,
          ...points,
          [PENDING_PURGES_INDEX.partitionKey]: pendingPurgeShard(userID),
          [PENDING_PURGES_INDEX.sortKey]: new Date(dueAt).toISOString(),
          purgeDeletionID: 'd-1',
        },
      }),
    );
  const stored = async (userID: string, conversationID: string) => (await client.send(new GetCommand({ TableName: tableName, Key: keys.conversation(userID, conversationID), ConsistentRead: true }))).Item;

  it('drives an overdue purge once per lease, from the stored purge point, and leaves one not yet due alone', async () => {
    // Prepare
    const [alice, bob] = [uniqueUser('alice'), uniqueUser('bob')];
    await markPending(alice, 'C2Cx', { clearSeq: 9, purgedSeq: 4 }, t0 - 1000);
    await markPending(bob, 'C2Cy', { clearSeq: 3, purgedSeq: 0 }, t0 + 60_000);
    published.length = 0;

    // Act + Assess: due now, leased, re-driven with its cursor; the next sweeps leave it until the lease ends.
    expect(await sweepAt(t0)).toEqual({ due: 1, settled: 0, redriven: 1 });
    expect(published.map((e) => e.detail)).toEqual([
      expect.objectContaining({ deletionID: 'd-1', userID: alice, targets: [{ conversationID: 'C2Cx', clearSeq: 9, afterSeq: 4 }], attempt: 0 }),
    ]);
    expect(await sweepAt(t0 + 1000)).toEqual({ due: 0, settled: 0, redriven: 0 });
    expect(await sweepAt(t0 + 301_000)).toEqual({ due: 2, settled: 0, redriven: 2 });
    expect(published).toHaveLength(3);
  });

  it('takes a purge that is already done off the list, but not one a newer clear made owed again', async () => {
    // Prepare: one mark is stale (purged up to the clear point); the other's clear point rose after its purge.
    const alice = uniqueUser('alice');
    await markPending(alice, 'C2Cdone', { clearSeq: 5, purgedSeq: 5 }, t0 - 1000);
    await markPending(alice, 'C2Cagain', { clearSeq: 8, purgedSeq: 5 }, t0 - 1000);
    const purger = new DynamoHistoryPurger(client, tableName);

    // Act: the sweep settles the stale one; a purge run that reached only the older clear point keeps the other owed.
    await purger.markPurged(alice, 'C2Cagain', 5);
    const outcome = await sweepAt(t0 + 2_000_000);

    // Assess
    expect(outcome.settled).toBeGreaterThanOrEqual(1);
    expect((await stored(alice, 'C2Cdone'))?.[PENDING_PURGES_INDEX.partitionKey]).toBeUndefined();
    expect((await stored(alice, 'C2Cagain'))?.[PENDING_PURGES_INDEX.partitionKey]).toBe(pendingPurgeShard(alice));
    await purger.markPurged(alice, 'C2Cagain', 8);
    expect(await stored(alice, 'C2Cagain')).toMatchObject({ purgedSeq: 8 });
    expect((await stored(alice, 'C2Cagain'))?.[PENDING_PURGES_INDEX.partitionKey]).toBeUndefined();
  });
});
