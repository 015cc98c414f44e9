/**
 * Undo within the grace period (POST /v1/conversations/restore), clearing a history while keeping the conversation
 * (POST /v1/conversations/{id}/clear-history) and a deletion's status (GET /v1/deletions/{id}), against the real local
 * stack: what each returns, what it leaves stored, what other users and devices see, and every refusal.
 */
import { DeleteCommand, GetCommand, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys, RESTORE_WRITE_MARGIN_SECONDS } from '#contracts/table.js';
import { deletionIDFor } from '#domain/delete-conversations.js';
import { conversation, conversationIDs, historyTexts, send } from '../support/chat.js';
import { type ApiClient, startTestStack, type TestStack, uniqueUser } from '../support/stack.js';
import { Device } from '../support/websocket.js';

let stack: TestStack;
let admin: ApiClient;
beforeAll(async () => {
  // Functions read settings at most every SETTINGS_CACHE_SECONDS; 0 makes each change of the grace period apply at once.
  process.env.SETTINGS_CACHE_SECONDS = '0';
  stack = await startTestStack({ deletionGracePeriodSeconds: 600 });
  admin = await stack.as(uniqueUser('admin'), { admin: true });
});
afterAll(() => stack?.stop());

const setGrace = async (seconds: number) => {
  const response = await admin.request('PUT', '/v1/admin/settings', { body: { deletionGracePeriodSeconds: seconds } });
  expect(response.status, JSON.stringify(response.body)).toBe(200);
};

/** The user's message copies of a conversation as stored: what a purge would remove. */
const storedCopies = async (userID: string, conversationID: string): Promise<number> => {
  const page = await stack.db.send(
    new QueryCommand({
      TableName: stack.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': keys.messagePartition(userID, conversationID) },
      Select: 'COUNT',
      ConsistentRead: true,
    }),
  );
  return page.Count ?? 0;
};

const restore = (client: ApiClient, deletionID: unknown, headers?: Record<string, string>) => client.post('/v1/conversations/restore', { deletionID }, headers);

/** Until the returned function is called, the delete function's events fail: its requests fail after their writes. */
const failEvents = () =>
  stack.intercept((call) => {
    if (call.functionName === 'delete-conversations' && call.commandName === 'PutEventsCommand') throw new Error('EventBridge unavailable (simulated)');
  });

/** A user with a conversation of three messages from Bob, and what Alice's list shows of it. */
const withHistory = async (texts = ['one', 'two', 'three']) => {
  const [alice, bob] = [uniqueUser('alice'), uniqueUser('bob')];
  const [asAlice, asBob] = [await stack.as(alice), await stack.as(bob)];
  for (const text of texts) await send(asBob, `C2C${alice}`, text);
  const before = await conversation(asAlice, `C2C${bob}`);
  return { alice, bob, asAlice, asBob, before };
};

describe('undo within the grace period', () => {
  it('brings a deleted conversation back as it was, its cleared history too, and purges nothing before', async () => {
    // Prepare
    const { alice, bob, asAlice, asBob, before } = await withHistory();

    // Act
    const deleted = await asAlice.post('/v1/conversations/delete', `C2C${bob}`);
    const hidden = { list: await conversationIDs(asAlice), copies: await storedCopies(alice, `C2C${bob}`) };
    await stack.runScheduled();
    await stack.bus.drain();
    const restored = await restore(asAlice, deleted.body.data.deletionID);

    // Assess
    expect(deleted.status).toBe(200);
    expect(deleted.body.data).toMatchObject({ conversationID: `C2C${bob}`, historyPurge: 'scheduled' });
    expect(Date.parse(deleted.body.data.restorableUntil) - Date.parse(deleted.body.data.deletedAt)).toBe(600_000);
    expect(hidden).toEqual({ list: [], copies: 3 });
    expect(restored.status, JSON.stringify(restored.body)).toBe(200);
    expect(restored.body.data).toEqual({
      deletionID: deleted.body.data.deletionID,
      restoreID: expect.stringMatching(/^[0-9a-f-]{36}$/),
      restoredAt: expect.any(String),
      conversationIDList: [`C2C${bob}`],
      results: [{ conversationID: `C2C${bob}`, status: 'restored' }],
    });
    expect(await conversation(asAlice, `C2C${bob}`)).toEqual(before);
    expect(await historyTexts(asAlice, `C2C${bob}`)).toEqual(['three', 'two', 'one']);
    expect(await historyTexts(asBob, `C2C${alice}`)).toEqual(['three', 'two', 'one']);
    expect(await storedCopies(alice, `C2C${bob}`)).toBe(3);
    expect(stack.bus.history.filter((e) => e['detail-type'] === 'ConversationsRestored').map((e) => e.detail)).toContainEqual(
      expect.objectContaining({ kind: 'conversationsRestored', userID: alice, restoresDeletionID: deleted.body.data.deletionID, conversationIDList: [`C2C${bob}`] }),
    );
    expect(stack.backgroundErrors).toEqual([]);
  });

  it('keeps a message that arrived between the deletion and the restore, under the history it brings back', async () => {
    // Prepare
    const { alice, bob, asAlice, asBob } = await withHistory(['old']);
    const deleted = await asAlice.post('/v1/conversations/delete', { conversationIDList: [`C2C${bob}`] });
    await send(asBob, `C2C${alice}`, 'new');

    // Act
    const restored = await restore(asAlice, deleted.body.data.deletionID);

    // Assess
    expect(restored.body.data.results).toEqual([{ conversationID: `C2C${bob}`, status: 'restored' }]);
    expect(await historyTexts(asAlice, `C2C${bob}`)).toEqual(['new', 'old']);
    expect((await conversation(asAlice, `C2C${bob}`)).lastMessage.text).toBe('new');
  });

  it('answers ALREADY_RESTORED to a second restore and changes nothing; the same Idempotency-Key replays the first answer', async () => {
    // Prepare
    const { bob, asAlice } = await withHistory(['x']);
    const deleted = await asAlice.post('/v1/conversations/delete', `C2C${bob}`);
    const first = await restore(asAlice, deleted.body.data.deletionID, { 'Idempotency-Key': 'undo-1' });
    await asAlice.post('/v1/conversations/delete', { conversationIDList: [`C2C${bob}`], clearHistoryMessage: false });

    // Act
    const replay = await restore(asAlice, deleted.body.data.deletionID, { 'Idempotency-Key': 'undo-1' });
    const second = await restore(asAlice, deleted.body.data.deletionID);

    // Assess
    expect(first.status).toBe(200);
    expect(replay.body).toEqual(first.body);
    expect(second.status).toBe(409);
    expect(second.body).toMatchObject({ error: 'ALREADY_RESTORED', code: 40903, message: expect.stringContaining('already restored') });
    expect(await conversationIDs(asAlice)).toEqual([]);
  });

  it('answers a retried restore with its first answer even when the idempotency record is gone, and a different key ALREADY_RESTORED', async () => {
    // Prepare: a restore with a key, then its idempotency record lost (as when saving it failed after the work).
    const { bob, asAlice } = await withHistory(['x']);
    const deleted = await asAlice.post('/v1/conversations/delete', `C2C${bob}`);
    const first = await restore(asAlice, deleted.body.data.deletionID, { 'Idempotency-Key': 'undo-lost' });
    const records = await stack.db.send(new ScanCommand({ TableName: stack.idempotencyTableName, ConsistentRead: true }));
    for (const item of records.Items ?? []) await stack.db.send(new DeleteCommand({ TableName: stack.idempotencyTableName, Key: { id: item.id } }));

    // Act
    const retried = await restore(asAlice, deleted.body.data.deletionID, { 'Idempotency-Key': 'undo-lost' });
    const other = await restore(asAlice, deleted.body.data.deletionID, { 'Idempotency-Key': 'undo-other' });

    // Assess
    expect(first.status).toBe(200);
    expect(retried.status).toBe(200);
    expect(retried.body.data).toEqual(first.body.data);
    expect(other.status).toBe(409);
    expect(other.body.error).toBe('ALREADY_RESTORED');
  });

  it('keeps a deletion undoable when its first attempt failed after its writes and the retry with the same key did the rest', async () => {
    // Prepare: the first attempt's events fail after its tombstones are written (its record too, or not: both run
    // side by side), so the retry finds both conversations already deleted by this very deletion.
    const { alice, bob, asAlice, before } = await withHistory(['one', 'two']);
    const carol = uniqueUser('carol');
    await send(await stack.as(carol), `C2C${alice}`, 'from carol');
    const remove = failEvents();
    const key = { 'Idempotency-Key': `undo-retry-${alice}` };
    const body = { conversationIDList: [`C2C${bob}`, `C2C${carol}`], clearHistoryMessage: true };

    // Act
    const failed = await asAlice.post('/v1/conversations/delete', body, key);
    remove();
    const retried = await asAlice.post('/v1/conversations/delete', body, key);
    const restored = await restore(asAlice, retried.body.data?.deletionID);

    // Assess: the retry answers as the first attempt would have, and its undo brings both back with their histories.
    expect(failed.status).toBeGreaterThanOrEqual(500);
    expect(retried.status, JSON.stringify(retried.body)).toBe(200);
    expect(retried.body.data.restorableUntil).toEqual(expect.any(String));
    expect(retried.body.data.results).toEqual([
      { conversationID: `C2C${bob}`, status: 'deleted' },
      { conversationID: `C2C${carol}`, status: 'deleted' },
    ]);
    expect(restored.status, JSON.stringify(restored.body)).toBe(200);
    expect(restored.body.data.conversationIDList).toEqual([`C2C${bob}`, `C2C${carol}`]);
    expect(await conversation(asAlice, `C2C${bob}`)).toEqual(before);
    expect(await historyTexts(asAlice, `C2C${bob}`)).toEqual(['two', 'one']);
    expect(await historyTexts(asAlice, `C2C${carol}`)).toEqual(['from carol']);
  });

  it('never makes a deletion or a clear again that a restore undid: a retry with the same key answers ALREADY_RESTORED and changes nothing', async () => {
    // Prepare: a deletion and a clear whose first attempts fail after their writes (the events fail), then each undone.
    const { alice, bob, asAlice, asBob } = await withHistory(['one', 'two']);
    const carol = uniqueUser('carol');
    await send(await stack.as(carol), `C2C${alice}`, 'from carol');
    const remove = failEvents();
    const deleteKey = `undo-then-retry-${alice}`;
    const clearKey = `clear-then-retry-${alice}`;
    const failedDelete = await asAlice.post('/v1/conversations/delete', `C2C${bob}`, { 'Idempotency-Key': deleteKey });
    const failedClear = await asAlice.post(`/v1/conversations/C2C${carol}/clear-history`, undefined, { 'Idempotency-Key': clearKey });
    remove();
    const restoredDelete = await restore(asAlice, deletionIDFor(alice, deleteKey));
    const restoredClear = await restore(asAlice, deletionIDFor(alice, clearKey));
    await send(asBob, `C2C${alice}`, 'three');

    // Act
    const retriedDelete = await asAlice.post('/v1/conversations/delete', `C2C${bob}`, { 'Idempotency-Key': deleteKey });
    const retriedClear = await asAlice.post(`/v1/conversations/C2C${carol}/clear-history`, undefined, { 'Idempotency-Key': clearKey });

    // Assess
    expect([failedDelete.status, failedClear.status]).toEqual([500, 500]);
    expect([restoredDelete.status, restoredClear.status]).toEqual([200, 200]);
    expect(retriedDelete.status, JSON.stringify(retriedDelete.body)).toBe(409);
    expect(retriedDelete.body).toMatchObject({ code: 40903, error: 'ALREADY_RESTORED', message: expect.stringContaining('a new Idempotency-Key') });
    expect(retriedClear.status, JSON.stringify(retriedClear.body)).toBe(409);
    expect(retriedClear.body.error).toBe('ALREADY_RESTORED');
    expect(await conversationIDs(asAlice)).toEqual([`C2C${bob}`, `C2C${carol}`]);
    expect(await historyTexts(asAlice, `C2C${bob}`)).toEqual(['three', 'two', 'one']);
    expect(await historyTexts(asAlice, `C2C${carol}`)).toEqual(['from carol']);
  });

  it('keeps no promise of undo for a retry whose first attempt was made with undo off', async () => {
    // Prepare: undo off for the first attempt, which fails after its tombstone; undo on again for the retry.
    const { alice, bob, asAlice, asBob } = await withHistory(['one']);
    await setGrace(0);
    const remove = failEvents();
    const key = { 'Idempotency-Key': `undo-off-then-on-${alice}` };
    const failed = await asAlice.post('/v1/conversations/delete', `C2C${bob}`, key).finally(remove);
    await setGrace(600);

    // Act
    const retried = await asAlice.post('/v1/conversations/delete', `C2C${bob}`, key);
    const restored = await restore(asAlice, retried.body.data?.deletionID);

    // Assess: nothing was saved to undo with, so nothing is promised; the cleared history stays hidden.
    expect(failed.status).toBe(500);
    expect(retried.status, JSON.stringify(retried.body)).toBe(200);
    expect(retried.body.data.restorableUntil).toBeNull();
    expect(restored.status).toBe(410);
    expect(restored.body.error).toBe('RESTORE_EXPIRED');
    await send(asBob, `C2C${alice}`, 'new');
    expect(await historyTexts(asAlice, `C2C${bob}`)).toEqual(['new']);
  });

  it("refuses another user's deletion (404), an ID that is not one (400), and undoes nothing", async () => {
    // Prepare
    const { bob, asAlice } = await withHistory(['x']);
    const deleted = await asAlice.post('/v1/conversations/delete', `C2C${bob}`);
    const mallory = await stack.as(uniqueUser('mallory'));

    // Act
    const foreign = await restore(mallory, deleted.body.data.deletionID);
    const malformed = await Promise.all([restore(asAlice, 'not-an-id'), restore(asAlice, 42), asAlice.post('/v1/conversations/restore', { deletionID: deleted.body.data.deletionID, extra: 1 })]);
    const status = await mallory.get(`/v1/deletions/${deleted.body.data.deletionID}`);

    // Assess
    expect(foreign.status).toBe(404);
    expect(foreign.body).toMatchObject({ error: 'DELETION_NOT_FOUND', code: 40403 });
    expect(malformed.map((r) => [r.status, r.body.error])).toEqual([
      [400, 'INVALID_DELETION_ID'],
      [400, 'INVALID_DELETION_ID'],
      [400, 'UNKNOWN_FIELD'],
    ]);
    expect(status.status).toBe(404);
    expect(await conversationIDs(asAlice)).toEqual([]);
  });

  it('leaves a conversation a later deletion changed again as that left it (superseded), and restores the others', async () => {
    // Prepare
    const [alice, bob, carol] = [uniqueUser('alice'), uniqueUser('bob'), uniqueUser('carol')];
    const asAlice = await stack.as(alice);
    await send(asAlice, `C2C${bob}`, 'to bob');
    await send(asAlice, `C2C${carol}`, 'to carol');
    const first = await asAlice.post('/v1/conversations/delete', { conversationIDList: [`C2C${bob}`, `C2C${carol}`], clearHistoryMessage: false });
    await send(await stack.as(bob), `C2C${alice}`, 'back again');
    await asAlice.post('/v1/conversations/delete', `C2C${bob}`);

    // Act
    const restored = await restore(asAlice, first.body.data.deletionID);

    // Assess
    expect(restored.body.data.results).toEqual([
      { conversationID: `C2C${bob}`, status: 'superseded' },
      { conversationID: `C2C${carol}`, status: 'restored' },
    ]);
    expect(await conversationIDs(asAlice)).toEqual([`C2C${carol}`]);
  });

  it('refuses with RESTORE_EXPIRED when undo was off, and after the period; the purge then removes the copies', async () => {
    // Prepare: one deletion while undo is off, one with a 1 s grace period.
    const off = await withHistory(['a']);
    await setGrace(0);
    const deletedOff = await off.asAlice.post('/v1/conversations/delete', `C2C${off.bob}`);
    const late = await withHistory(['b', 'c']);
    await setGrace(1);
    const deletedLate = await late.asAlice.post('/v1/conversations/delete', `C2C${late.bob}`);
    await setGrace(600);
    await new Promise((resolve) => setTimeout(resolve, 1100));

    // Act
    const [refusedOff, refusedLate] = [await restore(off.asAlice, deletedOff.body.data.deletionID), await restore(late.asAlice, deletedLate.body.data.deletionID)];
    const copiesInMargin = await storedCopies(late.alice, `C2C${late.bob}`);
    await stack.runScheduled();
    await stack.bus.drain();
    const statusInMargin = (await late.asAlice.get(`/v1/deletions/${deletedLate.body.data.deletionID}`)).body.data;
    // The purge may start once the period and the margin are over; the sweeper drives it.
    await new Promise((resolve) => setTimeout(resolve, RESTORE_WRITE_MARGIN_SECONDS * 1000));
    await stack.runScheduled();
    await stack.bus.drain();

    // Assess
    expect(deletedOff.body.data).toMatchObject({ historyPurge: 'complete', restorableUntil: null });
    expect(refusedOff.status).toBe(410);
    expect(refusedOff.body).toMatchObject({ error: 'RESTORE_EXPIRED', code: 41000, message: expect.stringContaining('undo was off') });
    expect(refusedLate.status).toBe(410);
    expect(refusedLate.body.message).toContain(deletedLate.body.data.restorableUntil);
    expect(copiesInMargin).toBe(2);
    expect(statusInMargin.historyPurge).toEqual({ state: 'scheduled', scheduledFor: expect.any(String) });
    expect(await storedCopies(late.alice, `C2C${late.bob}`)).toBe(0);
    // Nor does the saved last message outlive the purge.
    const item = (await stack.db.send(new GetCommand({ TableName: stack.tableName, Key: keys.conversation(late.alice, `C2C${late.bob}`), ConsistentRead: true }))).Item!;
    expect(Object.keys(item).filter((name) => name.startsWith('undo_'))).toEqual([]);
    expect(JSON.stringify(item)).not.toContain('"c"');
    expect(await storedCopies(late.bob, `C2C${late.alice}`)).toBe(2);
    expect(await conversationIDs(late.asAlice)).toEqual([]);
    const done = (await late.asAlice.get(`/v1/deletions/${deletedLate.body.data.deletionID}`)).body.data;
    expect(done.historyPurge).toEqual({ state: 'complete', completedAt: expect.any(String), messagesPurged: 2 });
    expect(stack.backgroundErrors).toEqual([]);
  }, 60_000);

  it('undoes only the last change of a conversation: once it is undone, an earlier one is superseded there, and what an expired change cleared stays hidden', async () => {
    // Prepare: a clear that can no longer be undone, then two undoable clears of the same conversation.
    const { bob, asAlice, asBob, alice } = await withHistory(['expired 1', 'expired 2']);
    await setGrace(1);
    await asAlice.post(`/v1/conversations/C2C${bob}/clear-history`);
    await setGrace(600);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await send(asBob, `C2C${alice}`, 'first');
    const first = await asAlice.post(`/v1/conversations/C2C${bob}/clear-history`);
    await send(asBob, `C2C${alice}`, 'second');
    const second = await asAlice.post(`/v1/conversations/C2C${bob}/clear-history`);

    // Act
    const undoSecond = await restore(asAlice, second.body.data.deletionID);
    const undoFirst = await restore(asAlice, first.body.data.deletionID);

    // Assess
    expect(undoSecond.body.data.results).toEqual([{ conversationID: `C2C${bob}`, status: 'restored' }]);
    expect(undoFirst.body.data.results).toEqual([{ conversationID: `C2C${bob}`, status: 'superseded' }]);
    expect(await historyTexts(asAlice, `C2C${bob}`)).toEqual(['second']);
  });

  it('makes a purge request for a conversation that can still be undone purge nothing (a stale or earlier event)', async () => {
    // Prepare: an undoable deletion, then a purge request for its conversation as an earlier clear's event would be.
    const { alice, bob, asAlice } = await withHistory(['k1', 'k2']);
    const deleted = await asAlice.post('/v1/conversations/delete', `C2C${bob}`);
    const request = {
      deletionID: deleted.body.data.deletionID,
      userID: alice,
      targets: [{ conversationID: `C2C${bob}`, clearSeq: 2, afterSeq: 0 }],
      conversationIDList: [`C2C${bob}`],
      messagesDeleted: 0,
      attempt: 0,
      requestedAt: new Date().toISOString(),
    };

    // Act
    stack.bus.putEvents([{ EventBusName: stack.eventBusName, Source: 'conversation-deletion-service', DetailType: 'ConversationHistoryPurgeRequested', Detail: JSON.stringify(request) }]);
    await stack.bus.drain();
    const restored = await restore(asAlice, deleted.body.data.deletionID);

    // Assess
    expect(restored.status).toBe(200);
    expect(await storedCopies(alice, `C2C${bob}`)).toBe(2);
    expect(await historyTexts(asAlice, `C2C${bob}`)).toEqual(['k2', 'k1']);
    expect(stack.bus.history.some((e) => e['detail-type'] === 'ConversationHistoryPurged' && e.detail.deletionID === deleted.body.data.deletionID)).toBe(false);
  });

  it('races a restore against the sweeper at the end of the period: the history is either back whole or purged whole', async () => {
    // Prepare
    const { alice, bob, asAlice } = await withHistory(['p', 'q', 'r']);
    await setGrace(1);
    const deleted = await asAlice.post('/v1/conversations/delete', `C2C${bob}`);
    await setGrace(600);
    const until = Date.parse(deleted.body.data.restorableUntil);

    // Act: restores and sweeps around the deadline.
    const attempts: Promise<{ status: number }>[] = [];
    const sweeps: Promise<unknown>[] = [];
    while (Date.now() < until + 150) {
      attempts.push(restore(asAlice, deleted.body.data.deletionID));
      sweeps.push(stack.runScheduled());
      // Every 100 ms: a dozen restores, inside the per-user limit of 20 deletion-type calls per 10 s.
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const statuses = (await Promise.all(attempts)).map((r) => r.status);
    await Promise.all(sweeps);
    await stack.bus.drain();

    // Assess: one restore won before the deadline or none did; never a restored conversation missing copies.
    expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(1);
    expect(statuses.every((s) => [200, 409, 410].includes(s))).toBe(true);
    const restored = statuses.includes(200);
    expect(await storedCopies(alice, `C2C${bob}`)).toBe(3);
    expect(await historyTexts(asAlice, `C2C${bob}`)).toEqual(restored ? ['r', 'q', 'p'] : []);
  });
});

describe('clearing a history, keeping the conversation', () => {
  it("hides the caller's copies at once, keeps the conversation without a last message, and touches no one else", async () => {
    // Prepare
    await setGrace(0);
    const { alice, bob, asAlice, asBob, before } = await withHistory();

    // Act
    const cleared = await asAlice.post(`/v1/conversations/C2C${bob}/clear-history`);
    await stack.bus.drain();
    await send(asBob, `C2C${alice}`, 'after');

    // Assess
    expect(cleared.status, JSON.stringify(cleared.body)).toBe(200);
    expect(cleared.body.data).toEqual({
      conversationID: `C2C${bob}`,
      deletionID: expect.any(String),
      clearedAt: expect.any(String),
      historyPurge: 'complete',
      restorableUntil: null,
    });
    expect(await storedCopies(alice, `C2C${bob}`)).toBe(1);
    expect(await historyTexts(asAlice, `C2C${bob}`)).toEqual(['after']);
    expect(await historyTexts(asBob, `C2C${alice}`)).toEqual(['after', 'three', 'two', 'one']);
    expect((await conversation(asAlice, `C2C${bob}`)).lastMessage.text).toBe('after');
    expect(before.lastMessage.text).toBe('three');
    expect(stack.bus.history.filter((e) => e['detail-type'] === 'ConversationHistoryCleared').map((e) => e.detail)).toContainEqual(
      expect.objectContaining({ kind: 'historyCleared', deletionID: cleared.body.data.deletionID, conversationIDList: [`C2C${bob}`] }),
    );
    await setGrace(600);
  });

  it('shows the conversation with lastMessage null and 0 unread until a new message; undo brings the history back', async () => {
    // Prepare
    const { bob, asAlice, before } = await withHistory(['m1', 'm2']);

    // Act
    const cleared = await asAlice.post(`/v1/conversations/C2C${bob}/clear-history`);
    const listed = await conversation(asAlice, `C2C${bob}`);
    const history = await historyTexts(asAlice, `C2C${bob}`);
    const restored = await restore(asAlice, cleared.body.data.deletionID);

    // Assess
    expect(cleared.body.data).toMatchObject({ historyPurge: 'scheduled', restorableUntil: expect.any(String) });
    expect(listed).toEqual({ ...before, lastMessage: null, unreadCount: 0 });
    expect(history).toEqual([]);
    expect(restored.body.data.results).toEqual([{ conversationID: `C2C${bob}`, status: 'restored' }]);
    expect(await conversation(asAlice, `C2C${bob}`)).toEqual(before);
    expect(await historyTexts(asAlice, `C2C${bob}`)).toEqual(['m2', 'm1']);
  });

  it('answers 404 CONVERSATION_NOT_FOUND for a conversation not in the list and 400 for a bad ID, changing nothing', async () => {
    // Prepare
    const { bob, asAlice } = await withHistory(['x']);
    await asAlice.post('/v1/conversations/delete', { conversationIDList: [`C2C${bob}`], clearHistoryMessage: false });

    // Act
    const [deleted, never, bad] = await Promise.all([
      asAlice.post(`/v1/conversations/C2C${bob}/clear-history`),
      asAlice.post(`/v1/conversations/C2C${uniqueUser('nobody')}/clear-history`),
      asAlice.post('/v1/conversations/C2C/clear-history'),
    ]);

    // Assess
    expect([deleted.status, deleted.body.error, never.status, never.body.error, bad.status, bad.body.error]).toEqual([
      404,
      'CONVERSATION_NOT_FOUND',
      404,
      'CONVERSATION_NOT_FOUND',
      400,
      'INVALID_CONVERSATION_ID',
    ]);
    expect(deleted.body.message).toContain('GET /v1/conversations');
  });

  it('is idempotent: the same Idempotency-Key replays the answer, a repeat without one clears nothing more', async () => {
    // Prepare
    const { bob, asAlice } = await withHistory(['x', 'y']);

    // Act
    const first = await asAlice.post(`/v1/conversations/C2C${bob}/clear-history`, undefined, { 'Idempotency-Key': 'clear-1' });
    const replay = await asAlice.post(`/v1/conversations/C2C${bob}/clear-history`, undefined, { 'Idempotency-Key': 'clear-1' });
    const again = await asAlice.post(`/v1/conversations/C2C${bob}/clear-history`);

    // Assess
    expect(replay.body).toEqual(first.body);
    expect(again.status).toBe(200);
    expect(again.body.data.deletionID).not.toBe(first.body.data.deletionID);
    expect(await historyTexts(asAlice, `C2C${bob}`)).toEqual([]);
  });
});

describe('a deletion status', () => {
  it('says who deleted what, until when it can be undone, and the purge state; a restore shows on it', async () => {
    // Prepare
    const { alice, bob, asAlice } = await withHistory(['s']);
    const deleted = await asAlice.post('/v1/conversations/delete', { conversationIDList: [`C2C${bob}`, `C2C${uniqueUser('ghost')}`] });

    // Act
    const scheduled = await asAlice.get(`/v1/deletions/${deleted.body.data.deletionID}`);
    await restore(asAlice, deleted.body.data.deletionID);
    const afterRestore = await asAlice.get(`/v1/deletions/${deleted.body.data.deletionID}`);
    const unknown = await asAlice.get('/v1/deletions/00000000-0000-4000-8000-000000000000');
    const malformed = await asAlice.get('/v1/deletions/nope');

    // Assess
    expect(scheduled.status).toBe(200);
    expect(scheduled.body.data).toEqual({
      deletionID: deleted.body.data.deletionID,
      kind: 'conversationsDeleted',
      userID: alice,
      actedBy: alice,
      actedAs: 'user',
      deletedAt: deleted.body.data.deletedAt,
      clearHistoryMessage: true,
      conversationIDList: deleted.body.data.conversationIDList,
      results: deleted.body.data.results,
      historyPurge: { state: 'scheduled', scheduledFor: new Date(Date.parse(deleted.body.data.restorableUntil) + RESTORE_WRITE_MARGIN_SECONDS * 1000).toISOString() },
      restorableUntil: deleted.body.data.restorableUntil,
      restoredAt: null,
      restoreID: null,
    });
    expect(afterRestore.body.data).toMatchObject({ historyPurge: { state: 'cancelled' }, restoredAt: expect.any(String), restoreID: expect.any(String) });
    expect([unknown.status, unknown.body.error, malformed.status, malformed.body.error]).toEqual([404, 'DELETION_NOT_FOUND', 400, 'INVALID_DELETION_ID']);
  });

  it('shows a purge complete with the copies it removed when undo is off', async () => {
    // Prepare
    await setGrace(0);
    const { bob, asAlice } = await withHistory(['1', '2', '3', '4']);

    // Act
    const deleted = await asAlice.post('/v1/conversations/delete', `C2C${bob}`);
    await stack.bus.drain();
    const status = await asAlice.get(`/v1/deletions/${deleted.body.data.deletionID}`);
    await setGrace(600);

    // Assess
    expect(status.body.data).toMatchObject({ restorableUntil: null, historyPurge: { state: 'complete', completedAt: expect.any(String), messagesPurged: 4 } });
  });
});

describe('an admin acting for a user', () => {
  it('deletes with the same body and answer, names the admin on the record, the event and the audit; refuses non-admins', async () => {
    // Prepare
    const { alice, bob, asAlice } = await withHistory(['hello']);
    const adminID = uniqueUser('ops');
    const asAdmin = await stack.as(adminID, { admin: true });
    const since = new Date().toISOString();

    // Act
    const deleted = await asAdmin.post(`/v1/admin/users/${alice}/conversations/delete`, { conversationIDList: [`C2C${bob}`], clearHistoryMessage: false });
    await asAlice.post(`/v1/conversations/C2C${uniqueUser('none')}/clear-history`);
    await send(asAlice, `C2C${bob}`, 'back');
    const cleared = await asAlice.post(`/v1/conversations/C2C${bob}/clear-history`);
    await restore(asAlice, cleared.body.data.deletionID);
    await stack.bus.drain();
    const audit = await asAdmin.get(`/v1/admin/users/${alice}/deletions?since=${since}&limit=2`);
    const rest = await asAdmin.get(`/v1/admin/users/${alice}/deletions?cursor=${encodeURIComponent(audit.body.data.nextCursor)}`);
    const refused = await Promise.all([
      asAlice.post(`/v1/admin/users/${bob}/conversations/delete`, `C2C${alice}`),
      asAlice.get(`/v1/admin/users/${alice}/deletions`),
    ]);
    const badQuery = await Promise.all([asAdmin.get(`/v1/admin/users/${alice}/deletions?since=yesterday`), asAdmin.get(`/v1/admin/users/${alice}/deletions?cursor=abc`)]);

    // Assess
    expect(deleted.status, JSON.stringify(deleted.body)).toBe(200);
    expect(deleted.body.data).toMatchObject({ conversationIDList: [`C2C${bob}`], results: [{ conversationID: `C2C${bob}`, status: 'deleted' }], historyPurge: 'none' });
    const event = stack.bus.history.find((e) => e.detail.deletionID === deleted.body.data.deletionID);
    expect(event?.detail).toMatchObject({ userID: alice, actedBy: adminID, originDeviceID: null });
    const entries = [...audit.body.data.deletionList, ...rest.body.data.deletionList];
    expect(entries.map((e: { kind: string; actedBy: string; actedAs: string }) => [e.kind, e.actedBy, e.actedAs])).toEqual([
      ['conversationsDeleted', adminID, 'admin'],
      ['historyCleared', alice, 'user'],
      ['conversationsRestored', alice, 'user'],
    ]);
    expect(entries[1]).toMatchObject({ deletionID: cleared.body.data.deletionID, restoredAt: expect.any(String), historyPurge: { state: 'cancelled' } });
    expect(entries[2]).toMatchObject({ restoresDeletionID: cleared.body.data.deletionID });
    expect(rest.body.data.nextCursor).toBeNull();
    expect(refused.map((r) => [r.status, r.body.error])).toEqual([
      [403, 'ADMIN_REQUIRED'],
      [403, 'ADMIN_REQUIRED'],
    ]);
    expect(badQuery.map((r) => [r.status, r.body.error])).toEqual([
      [400, 'INVALID_QUERY'],
      [400, 'INVALID_CURSOR'],
    ]);
  });
});

describe('other devices', () => {
  it('hear of a cleared history and of a restore when sync is on, and the catch-up lists both', async () => {
    // Prepare
    const { alice, bob, asAlice } = await withHistory(['z']);
    expect((await admin.request('PUT', '/v1/admin/settings', { body: { syncConversationDeletion: true } })).status).toBe(200);
    const laptop = await Device.connect(stack, alice, 'laptop');

    // Act
    const cleared = await asAlice.post(`/v1/conversations/C2C${bob}/clear-history`, undefined, { 'X-Device-ID': 'phone' });
    const pushedClear = await laptop.next((m) => m.type === 'conversation.historyCleared');
    const restored = await restore(asAlice, cleared.body.data.deletionID, { 'X-Device-ID': 'phone' });
    const pushedRestore = await laptop.next((m) => m.type === 'conversation.restored');
    const feed = await asAlice.get('/v1/sync/conversation-deletions');
    laptop.close();
    await admin.request('PUT', '/v1/admin/settings', { body: { syncConversationDeletion: false } });

    // Assess
    expect(pushedClear.data).toEqual({
      kind: 'historyCleared',
      deletionID: cleared.body.data.deletionID,
      conversationIDList: [`C2C${bob}`],
      clearHistoryMessage: true,
      deletedAt: cleared.body.data.clearedAt,
      originDeviceID: 'phone',
    });
    expect(pushedRestore.data).toEqual({
      kind: 'conversationsRestored',
      deletionID: restored.body.data.restoreID,
      restoresDeletionID: cleared.body.data.deletionID,
      conversationIDList: [`C2C${bob}`],
      clearHistoryMessage: true,
      deletedAt: restored.body.data.restoredAt,
      originDeviceID: 'phone',
    });
    expect(feed.body.data.deletionList.map((n: { kind: string }) => n.kind)).toEqual(['historyCleared', 'conversationsRestored']);
  });
});
