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
    // The sweeper may step in one second after a clear, and a copy may land up to a second after it (the cloud:
    // a minute and 30 s).
    process.env[ENV.purgeHandoffSeconds] = '1';
    process.env[ENV.purgeStragglerSeconds] = '1';
    stack = await startTestStack();
  });
  afterAll(async () => {
    delete process.env[ENV.purgeHandoffSeconds];
    delete process.env[ENV.purgeStragglerSeconds];
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
    // The re-driven purge announces itself; a verification pass after it (if the first began inside the straggler
    // window) announces itself again with nothing more deleted.
    expect(purged.length).toBeGreaterThanOrEqual(1);
    for (const event of purged) expect(event.detail).toMatchObject({ conversationIDList: [`C2C${bob}`] });
    expect(purged.reduce((sum, e) => sum + (e.detail as { messagesDeleted: number }).messagesDeleted, 0)).toBe(600);
    expect(await asBob.get(`/v1/conversations/C2C${alice}/messages?limit=1`)).toMatchObject({ status: 200 });
    expect(await storedCopies(bob, `C2C${alice}`)).toBe(601);
  }, 120_000);

  it('purges a copy that landed behind the purge, from a send that died before its conversation update', async () => {
    // Prepare: Bob's message has its sequence; its copies are held until Alice's clear has purged, then its
    // conversation updates fail (as if its invocation died there), so nothing would ever delete Alice's copy.
    const [alice, bob] = [uniqueUser('alice'), uniqueUser('bob')];
    const [asAlice, asBob] = [await stack.as(alice), await stack.as(bob)];
    await send(asBob, `C2C${alice}`, 'first');
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let reached!: () => void;
    const held = new Promise<void>((r) => (reached = r));
    const remove = stack.intercept(async (call) => {
      if (call.functionName !== 'messages') return;
      if (call.commandName === 'BatchWriteItemCommand') {
        reached();
        await released;
      }
      if (call.commandName === 'UpdateItemCommand' && String((call.input.Key as { sk?: string } | undefined)?.sk).startsWith(keys.conversationSortPrefix)) throw new Error('invocation died (simulated)');
    });
    const sending = asBob.post('/v1/messages', { conversationID: `C2C${alice}`, text: 'straggler' });
    await held;

    // Act: the clear covers the straggler's sequence and purges inline; then the straggler's copies land.
    const clearing = await asAlice.post('/v1/conversations/delete', `C2C${bob}`);
    expect(clearing.body.data, JSON.stringify(clearing.body)).toMatchObject({ historyPurge: 'complete' });
    release();
    expect((await sending).status).toBeGreaterThanOrEqual(500);
    remove();
    expect(await storedCopies(alice, `C2C${bob}`)).toBe(1);

    // Assess: the sweep's verification pass (after the straggler window) finds and deletes it, then closes the debt.
    await eventually(
      async () => {
        await stack.runScheduled();
        await stack.bus.drain();
        return (await storedCopies(alice, `C2C${bob}`)) === 0 && (await conversationItem(alice, `C2C${bob}`))?.[PENDING_PURGES_INDEX.partitionKey] === undefined;
      },
      'the straggler is purged and the debt closed',
      20_000,
    );
    expect(await historyTexts(asAlice, `C2C${bob}`)).toEqual([]);
    expect(await storedCopies(bob, `C2C${alice}`)).toBe(2);
  }, 60_000);
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

  const markPending = (userID: string, conversationID: string, points: { clearSeq: number; purgedSeq: number }, dueAt: number, clearedAt = dueAt - 60_000) =>
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
          purgeClearedAt: new Date(clearedAt).toISOString(),
        },
      }),
    );
  const stored = async (userID: string, conversationID: string) => (await client.send(new GetCommand({ TableName: tableName, Key: keys.conversation(userID, conversationID), ConsistentRead: true }))).Item;

  it('drives an overdue purge once per lease, and leaves one not yet due alone', async () => {
    // Prepare
    const [alice, bob] = [uniqueUser('alice'), uniqueUser('bob')];
    await markPending(alice, 'C2Cx', { clearSeq: 9, purgedSeq: 4 }, t0 - 1000);
    await markPending(bob, 'C2Cy', { clearSeq: 3, purgedSeq: 0 }, t0 + 60_000);
    published.length = 0;

    // Act + Assess: due now, leased, re-driven with its cursor; the next sweeps leave it until the lease ends.
    expect(await sweepAt(t0)).toEqual({ due: 1, redriven: 1 });
    // From the start of the history: a copy that landed behind an earlier pass's cursor is found too.
    expect(published.map((e) => e.detail)).toEqual([
      expect.objectContaining({ deletionID: 'd-1', userID: alice, targets: [{ conversationID: 'C2Cx', clearSeq: 9, afterSeq: 0 }], attempt: 0 }),
    ]);
    expect(await sweepAt(t0 + 1000)).toEqual({ due: 0, redriven: 0 });
    expect(await sweepAt(t0 + 301_000)).toEqual({ due: 2, redriven: 2 });
    expect(published).toHaveLength(3);
  });

  it('closes a debt only from a pass begun after the straggler window, and never one a newer clear reopened', async () => {
    // Prepare: cleared at t0 (straggler window 30 s); the other's clear point rose to 8 after a purge to 5 began.
    const alice = uniqueUser('alice');
    await markPending(alice, 'C2Crecent', { clearSeq: 5, purgedSeq: 0 }, t0 + 60_000, t0);
    await markPending(alice, 'C2Cagain', { clearSeq: 8, purgedSeq: 0 }, t0 + 60_000, t0);
    const purger = new DynamoHistoryPurger(client, tableName, { stragglerSeconds: 30 });
    const at = (ms: number) => new Date(ms).toISOString();

    // Act + Assess: a pass begun 5 s after the clear records its progress but keeps the debt; one begun 31 s after closes it.
    await purger.markPurged(alice, 'C2Crecent', 5, at(t0 + 5_000));
    expect(await stored(alice, 'C2Crecent')).toMatchObject({ purgedSeq: 5, [PENDING_PURGES_INDEX.partitionKey]: pendingPurgeShard(alice) });
    await purger.markPurged(alice, 'C2Crecent', 5, at(t0 + 31_000));
    expect((await stored(alice, 'C2Crecent'))?.[PENDING_PURGES_INDEX.partitionKey]).toBeUndefined();
    // A pass that reached only the older clear point keeps the newer debt, however late it began.
    await purger.markPurged(alice, 'C2Cagain', 5, at(t0 + 31_000));
    expect(await stored(alice, 'C2Cagain')).toMatchObject({ purgedSeq: 5, [PENDING_PURGES_INDEX.partitionKey]: pendingPurgeShard(alice) });
    await purger.markPurged(alice, 'C2Cagain', 8, at(t0 + 31_000));
    expect(await stored(alice, 'C2Cagain')).toMatchObject({ purgedSeq: 8 });
    expect((await stored(alice, 'C2Cagain'))?.[PENDING_PURGES_INDEX.partitionKey]).toBeUndefined();
  });
});
