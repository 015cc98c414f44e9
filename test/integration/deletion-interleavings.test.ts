/**
 * The deletion use case against DynamoDB Local with interleavings forced at exact points, and with
 * throttling that DynamoDB Local cannot produce by itself (a client wrapper returns items as unprocessed).
 */
import { randomUUID } from 'node:crypto';
import { ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createDocumentClient } from '#adapters/dynamodb/client.js';
import { DynamoConversationRepository } from '#adapters/dynamodb/conversation-repository.js';
import { DynamoDeletionRepository } from '#adapters/dynamodb/deletion-repository.js';
import { DynamoGroupRepository } from '#adapters/dynamodb/group-repository.js';
import { DynamoHistoryPurger } from '#adapters/dynamodb/history-purger.js';
import { DynamoMessageRepository } from '#adapters/dynamodb/message-repository.js';
import { parseConversationID } from '#contracts/ids.js';
import { DeletionIncompleteError } from '#domain/errors.js';
import { keys } from '#contracts/table.js';
import { deleteConversations } from '#domain/delete-conversations.js';
import { runPurgeJob } from '#domain/purge-job.js';
import { type MessagingDeps, listMessages, sendMessage } from '#domain/messaging.js';
import { listConversations } from '#domain/conversations.js';
import type { ConversationRepository } from '#domain/ports/conversations.js';
import { systemClock } from '#domain/ports/clock.js';
import { type DeletionRepository } from '#domain/ports/deletions.js';
import { type OutgoingEvent } from '#domain/ports/events.js';
import { createTables } from '#local/dynamodb-local.js';
import { uniqueUser } from '../support/stack.js';

const c2c = (peerUserID: string) => ({ type: 'C2C' as const, conversationID: `C2C${peerUserID}`, peerUserID });

const tableName = `t${randomUUID().slice(0, 8)}`;
let client: DynamoDBDocumentClient;
let messaging: MessagingDeps & { conversations: ConversationRepository };
const published: OutgoingEvent[] = [];
const events = { publish: async (e: OutgoingEvent[]) => void published.push(...e) };

beforeAll(async () => {
  const endpoint = inject('dynamodbEndpoint');
  await createTables(endpoint, { tableName, idempotencyTableName: `${tableName}-idem` });
  client = createDocumentClient({ endpoint });
  messaging = {
    messages: new DynamoMessageRepository(client, tableName),
    conversations: new DynamoConversationRepository(client, tableName),
    groups: new DynamoGroupRepository(client, tableName),
    clock: systemClock,
  };
});
afterAll(() => client?.destroy());

const deletionDeps = (deletions: DeletionRepository) => ({
  deletions,
  purger: new DynamoHistoryPurger(client, tableName),
  events,
  clock: systemClock,
  // Undo off: these interleavings are about the points and the purge, which undo would postpone.
  settings: { current: async () => ({ syncConversationDeletion: false, deletionGracePeriodSeconds: 0 }) },
  options: { writeBudgetMs: 300 },
});

/** The real repository, with a hook that runs just before the tombstones are written. */
const withHookBeforeTombstones = (hook: () => Promise<void>): DeletionRepository => {
  const real = new DynamoDeletionRepository(client, tableName);
  return Object.assign(Object.create(real) as DeletionRepository, {
    writeTombstones: async (...args: Parameters<DeletionRepository['writeTombstones']>) => {
      await hook();
      return real.writeTombstones(...args);
    },
  });
};

const storedCopies = async (userID: string, conversationID: string) =>
  (await client.send(new QueryCommand({ TableName: tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': keys.messagePartition(userID, conversationID) }, Select: 'COUNT' }))).Count ?? 0;

const visibleTexts = async (userID: string, conversationID: string) =>
  (await listMessages(messaging, { userID, conversation: parseConversationID(conversationID)!, page: { limit: 100 } })).items.map((m) => m.text);
const listed = async (userID: string) => (await listConversations(messaging, { userID, limit: 100 })).conversationList;

describe('a message racing with a deletion', () => {
  it('written entirely between the deletion\'s read and its tombstone is restored, not lost', async () => {
    // Prepare
    const [alice, bob] = [uniqueUser('alice'), uniqueUser('bob')];
    await sendMessage(messaging, { senderID: bob, conversation: c2c(alice), text: 'before' });

    // Act: Bob's message lands after the deletion read the timeline, and its conversation update is then overwritten.
    const deletions = withHookBeforeTombstones(async () => {
      await sendMessage(messaging, { senderID: bob, conversation: c2c(alice), text: 'raced' });
    });
    const outcome = await deleteConversations(deletionDeps(deletions), { userID: alice, conversations: [c2c(bob)], clearHistoryMessage: true, originDeviceID: null });

    // Assess
    expect(outcome.results).toEqual([{ conversationID: `C2C${bob}`, status: 'deleted' }]);
    expect(await visibleTexts(alice, `C2C${bob}`)).toEqual(['raced']);
    expect(await listed(alice)).toEqual([expect.objectContaining({ conversationID: `C2C${bob}`, unreadCount: 1, lastMessage: expect.objectContaining({ text: 'raced' }) })]);
  });

  it('that took its sequence before the deletion but lands after it stays deleted and does not re-create the conversation', async () => {
    const [alice, bob] = [uniqueUser('alice'), uniqueUser('bob')];
    await sendMessage(messaging, { senderID: bob, conversation: c2c(alice), text: 'first' });
    const ref = { type: 'C2C' as const, conversationID: `C2C${bob}`, peerUserID: bob };
    // A sequence is allocated (the message "happened") but its copies and conversation update are still in flight.
    const sequence = await messaging.messages.allocateSequence(bob, ref);

    await deleteConversations(deletionDeps(new DynamoDeletionRepository(client, tableName)), { userID: alice, conversations: [c2c(bob)], clearHistoryMessage: true, originDeviceID: null });
    const late = { messageID: randomUUID(), conversationID: `C2C${bob}`, sequence, from: bob, text: 'late', createdAt: new Date().toISOString() };
    await messaging.messages.putMessageCopies([{ ownerUserID: alice, message: late }]);
    const applied = await messaging.messages.applyToConversation({ ownerUserID: alice, ref, message: late, unreadIncrement: 1 });

    expect(applied).toBe('predates-deletion');
    expect(await visibleTexts(alice, `C2C${bob}`)).toEqual([]);
    expect(await listed(alice)).toEqual([]);
    // The late copy landed after the purge had passed its sequence: it is removed, not left hidden forever.
    expect(await storedCopies(alice, `C2C${bob}`)).toBe(0);
  });
});

describe('two deletions of one conversation at the same moment', () => {
  const storedItem = async (userID: string, conversationID: string) =>
    (await client.send(new GetCommand({ TableName: tableName, Key: keys.conversation(userID, conversationID), ConsistentRead: true }))).Item;

  it('one clearing and one keeping history: the cleared history stays hidden, whichever writes last', async () => {
    // Prepare
    const [alice, bob] = [uniqueUser('alice'), uniqueUser('bob')];
    for (let i = 0; i < 5; i++) await sendMessage(messaging, { senderID: bob, conversation: c2c(alice), text: `m${i}` });

    // Act: the keeping deletion reads first, then the clearing one runs whole, then the keeping one writes its tombstone.
    const clearing = () => deleteConversations(deletionDeps(new DynamoDeletionRepository(client, tableName)), { userID: alice, conversations: [c2c(bob)], clearHistoryMessage: true, originDeviceID: 'phone' });
    const keeping = await deleteConversations(deletionDeps(withHookBeforeTombstones(async () => void (await clearing()))), { userID: alice, conversations: [c2c(bob)], clearHistoryMessage: false, originDeviceID: 'laptop' });

    // Assess: both succeeded; the clear point did not move back, nothing cleared is visible, nothing re-listed.
    expect(keeping.results).toEqual([{ conversationID: `C2C${bob}`, status: 'deleted' }]);
    expect(await storedItem(alice, `C2C${bob}`)).toMatchObject({ clearSeq: 5, deletedSeq: 5, tombstone: true });
    expect(await visibleTexts(alice, `C2C${bob}`)).toEqual([]);
    expect(await listed(alice)).toEqual([]);
  });

  it('two clears that saw different histories: the clear point ends at the newer one', async () => {
    // Prepare
    const [alice, bob] = [uniqueUser('alice'), uniqueUser('bob')];
    for (let i = 0; i < 3; i++) await sendMessage(messaging, { senderID: bob, conversation: c2c(alice), text: `old${i}` });

    // Act: the first clear reads (3 messages); a message arrives; a second clear runs whole (4); then the first writes.
    const second = async () => {
      await sendMessage(messaging, { senderID: bob, conversation: c2c(alice), text: 'new' });
      await deleteConversations(deletionDeps(new DynamoDeletionRepository(client, tableName)), { userID: alice, conversations: [c2c(bob)], clearHistoryMessage: true, originDeviceID: 'phone' });
    };
    await deleteConversations(deletionDeps(withHookBeforeTombstones(second)), { userID: alice, conversations: [c2c(bob)], clearHistoryMessage: true, originDeviceID: 'laptop' });

    // Assess: the later message stays cleared and deleted; it does not come back.
    expect(await storedItem(alice, `C2C${bob}`)).toMatchObject({ clearSeq: 4, deletedSeq: 4, tombstone: true });
    expect(await visibleTexts(alice, `C2C${bob}`)).toEqual([]);
    expect(await listed(alice)).toEqual([]);
  });

  it('a keeping deletion never lowers the point below which old messages may not re-create the conversation', async () => {
    // Prepare: a sequence is taken before either deletion; its copy lands only after both.
    const [alice, bob] = [uniqueUser('alice'), uniqueUser('bob')];
    await sendMessage(messaging, { senderID: bob, conversation: c2c(alice), text: 'first' });

    // Act: the keeping deletion reads (1); a message arrives and a second keeping deletion runs whole (2); the first writes.
    const second = async () => {
      await sendMessage(messaging, { senderID: bob, conversation: c2c(alice), text: 'second' });
      await deleteConversations(deletionDeps(new DynamoDeletionRepository(client, tableName)), { userID: alice, conversations: [c2c(bob)], clearHistoryMessage: false, originDeviceID: 'phone' });
    };
    await deleteConversations(deletionDeps(withHookBeforeTombstones(second)), { userID: alice, conversations: [c2c(bob)], clearHistoryMessage: false, originDeviceID: 'laptop' });

    // Assess: the deletion point stays at 2, the history is kept, the conversation is not listed.
    expect(await storedItem(alice, `C2C${bob}`)).toMatchObject({ clearSeq: 0, deletedSeq: 2, tombstone: true });
    expect(await visibleTexts(alice, `C2C${bob}`)).toEqual(['second', 'first']);
    expect(await listed(alice)).toEqual([]);
  });
});

describe('repeating a deletion that failed after its tombstones were written', () => {
  it('still purges the history and does not claim it is complete before it is', async () => {
    // Prepare: the event cannot be published the first time, after the tombstone is written.
    const [alice, bob] = [uniqueUser('alice'), uniqueUser('bob')];
    for (let i = 0; i < 3; i++) await sendMessage(messaging, { senderID: bob, conversation: c2c(alice), text: `m${i}` });
    const request = { userID: alice, conversations: [c2c(bob)], clearHistoryMessage: true, originDeviceID: null };
    const failingEvents = { publish: async () => Promise.reject(new Error('EventBridge unavailable')) };
    const purgeFirstTime = new DynamoHistoryPurger(client, tableName);
    const noInlinePurge = { ...deletionDeps(new DynamoDeletionRepository(client, tableName)), purger: purgeFirstTime, events: failingEvents, options: { inlinePurgeMaxItems: 0 } };
    await expect(deleteConversations(noInlinePurge, request)).rejects.toThrow('EventBridge unavailable');
    expect(await storedCopies(alice, `C2C${bob}`)).toBe(3);

    // Act: the client repeats the request.
    const repeat = await deleteConversations(deletionDeps(new DynamoDeletionRepository(client, tableName)), request);

    // Assess
    expect(repeat.results).toEqual([{ conversationID: `C2C${bob}`, status: 'absent' }]);
    expect(repeat.historyPurge).toBe('complete');
    expect(await storedCopies(alice, `C2C${bob}`)).toBe(0);
  });
});

describe('the purge cursor', () => {
  it('finishes when a full page ends exactly at the clear point as the deadline passes', async () => {
    const [alice, bob] = [uniqueUser('alice'), uniqueUser('bob')];
    for (let i = 0; i < 10; i++) await sendMessage(messaging, { senderID: bob, conversation: c2c(alice), text: `m${i}` });
    const purger = new DynamoHistoryPurger(client, tableName, { pageSize: 10 });

    const progress = await purger.purgeRange(alice, { conversationID: `C2C${bob}`, clearSeq: 10, afterSeq: 0 }, Date.now());

    expect(progress).toEqual({ deleted: 10, afterSeq: 10, done: true });
    expect(await purger.purgeRange(alice, { conversationID: `C2C${bob}`, clearSeq: 10, afterSeq: 10 }, Date.now())).toEqual({ deleted: 0, afterSeq: 10, done: true });
  });
});

describe('a purge event', () => {
  it('never purges past the stored clear point, whatever it asks, nor records a purge point above it', async () => {
    // Prepare: Alice deleted the chat keeping her history (clear point 0), then an event asks to purge it all.
    const [alice, bob] = [uniqueUser('alice'), uniqueUser('bob')];
    for (let i = 0; i < 3; i++) await sendMessage(messaging, { senderID: bob, conversation: c2c(alice), text: `m${i}` });
    await deleteConversations(deletionDeps(new DynamoDeletionRepository(client, tableName)), { userID: alice, conversations: [c2c(bob)], clearHistoryMessage: false, originDeviceID: null });
    const job = { deletionID: randomUUID(), userID: alice, targets: [{ conversationID: `C2C${bob}`, clearSeq: 3, afterSeq: 0 }], conversationIDList: [`C2C${bob}`], messagesDeleted: 0, attempt: 0, requestedAt: new Date().toISOString() };

    // Act
    const outcome = await runPurgeJob({ purger: new DynamoHistoryPurger(client, tableName), events, clock: systemClock }, job, Date.now() + 5000);

    // Assess: nothing purged, nothing claimed; a later clearing deletion still purges all three.
    expect(outcome).toMatchObject({ messagesDeleted: 0, finished: true });
    expect(await storedCopies(alice, `C2C${bob}`)).toBe(3);
    const item = await client.send(new GetCommand({ TableName: tableName, Key: keys.conversation(alice, `C2C${bob}`) }));
    expect(item.Item?.purgedSeq ?? 0).toBe(0);
    const clearing = await deleteConversations(deletionDeps(new DynamoDeletionRepository(client, tableName)), { userID: alice, conversations: [c2c(bob)], clearHistoryMessage: true, originDeviceID: null });
    expect(clearing.historyPurge).toBe('complete');
    expect(await storedCopies(alice, `C2C${bob}`)).toBe(0);
  });
});

describe('throttled batches', () => {
  /**
   * DynamoDB Local never throttles: this client answers every write to a `throttled` conversation item with the
   * throttling error the SDK raises once its own retries are spent.
   */
  const throttlingClient = (throttled: Set<string>): DynamoDBDocumentClient =>
    new Proxy(client, {
      get(target, property, receiver) {
        if (property !== 'send') return Reflect.get(target, property, receiver);
        return async (command: unknown) => {
          const sk = command instanceof UpdateCommand ? (command.input.Key?.sk as string | undefined) : undefined;
          if (sk?.startsWith(keys.conversationSortPrefix) && throttled.has(sk.slice(keys.conversationSortPrefix.length))) {
            throw new ProvisionedThroughputExceededException({ message: 'The level of configured provisioned throughput for the table was exceeded.', $metadata: {} });
          }
          return target.send(command as never);
        };
      },
    });

  it('reports what failed after the deadline, claims nothing for it, and a repeat finishes the job', async () => {
    // Prepare
    const [alice, bob, carol] = [uniqueUser('alice'), uniqueUser('bob'), uniqueUser('carol')];
    await sendMessage(messaging, { senderID: alice, conversation: c2c(bob), text: 'to bob' });
    await sendMessage(messaging, { senderID: alice, conversation: c2c(carol), text: 'to carol' });
    const throttled = new DynamoDeletionRepository(throttlingClient(new Set([`C2C${carol}`])), tableName, { backoff: { baseMs: 5, capMs: 20 } });
    const request = { userID: alice, conversations: [c2c(bob), c2c(carol)], clearHistoryMessage: true, originDeviceID: null };
    published.length = 0;

    // Act
    const failure = await deleteConversations(deletionDeps(throttled), request).catch((e: unknown) => e);

    // Assess: Bob's conversation is gone, Carol's intact and reported failed; the event names only what is gone.
    expect(failure).toBeInstanceOf(DeletionIncompleteError);
    const { outcome } = failure as DeletionIncompleteError;
    expect(outcome.results).toEqual([
      { conversationID: `C2C${bob}`, status: 'deleted' },
      { conversationID: `C2C${carol}`, status: 'failed', reason: expect.stringContaining('deadline') },
    ]);
    expect(outcome.conversationIDList).toEqual([`C2C${bob}`]);
    expect((await listed(alice)).map((c) => c.conversationID)).toEqual([`C2C${carol}`]);
    expect(await visibleTexts(alice, `C2C${carol}`)).toEqual(['to carol']);
    expect(published.find((e) => e.detailType === 'ConversationsDeleted')?.detail).toMatchObject({ conversationIDList: [`C2C${bob}`] });

    // Act again, unthrottled: the repeat finishes the job.
    const repeat = await deleteConversations(deletionDeps(new DynamoDeletionRepository(client, tableName)), request);
    expect(repeat.results).toEqual([
      { conversationID: `C2C${bob}`, status: 'absent' },
      { conversationID: `C2C${carol}`, status: 'deleted' },
    ]);
    expect(await listed(alice)).toEqual([]);
    const copies = await client.send(new QueryCommand({ TableName: tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': keys.messagePartition(alice, `C2C${carol}`) } }));
    expect(copies.Items).toEqual([]);
  });

  it('retries throttled tombstones until they are written when throttling eases before the deadline', async () => {
    const [alice, bob] = [uniqueUser('alice'), uniqueUser('bob')];
    await sendMessage(messaging, { senderID: alice, conversation: c2c(bob), text: 'hi' });
    const throttledSet = new Set([`C2C${bob}`]);
    setTimeout(() => throttledSet.clear(), 100);
    const deletions = new DynamoDeletionRepository(throttlingClient(throttledSet), tableName, { backoff: { baseMs: 10, capMs: 40 } });

    const outcome = await deleteConversations({ ...deletionDeps(deletions), options: { writeBudgetMs: 5000 } }, { userID: alice, conversations: [c2c(bob)], clearHistoryMessage: false, originDeviceID: null });

    expect(outcome.results).toEqual([{ conversationID: `C2C${bob}`, status: 'deleted' }]);
    const item = await client.send(new GetCommand({ TableName: tableName, Key: keys.conversation(alice, `C2C${bob}`), ConsistentRead: true }));
    expect(item.Item?.tombstone).toBe(true);
  });
});
