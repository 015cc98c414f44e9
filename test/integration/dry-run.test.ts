/** `"dryRun": true` (and `?dryRun=true`): what a deletion would do, from the same read, changing and emitting nothing. */
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conversationIDs, historyTexts, send } from '../support/chat.js';
import { startTestStack, type TestStack, uniqueUser } from '../support/stack.js';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack?.stop());

/** Every item of the table and the bus's history: what a dry run must leave exactly as it was. */
const snapshot = async () => {
  let count = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const page = await stack.db.send(new ScanCommand({ TableName: stack.tableName, Select: 'COUNT', ExclusiveStartKey: start, ConsistentRead: true }));
    count += page.Count ?? 0;
    start = page.LastEvaluatedKey;
  } while (start);
  return { items: count, events: stack.bus.history.length };
};

describe('a dry run of a deletion', () => {
  it('answers per conversation deleted or absent and the copies a clear would purge, and changes nothing', async () => {
    // Prepare: 3 messages with Bob, 1 with Carol; a conversation with Dave deleted already (absent).
    const [alice, bob, carol, dave] = [uniqueUser('alice'), uniqueUser('bob'), uniqueUser('carol'), uniqueUser('dave')];
    const asAlice = await stack.as(alice);
    for (const text of ['a', 'b', 'c']) await send(await stack.as(bob), `C2C${alice}`, text);
    await send(asAlice, `C2C${carol}`, 'hi');
    await send(asAlice, `C2C${dave}`, 'hi');
    await asAlice.post('/v1/conversations/delete', `C2C${dave}`);
    await stack.bus.drain();
    const before = await snapshot();

    // Act
    const clearing = await asAlice.post('/v1/conversations/delete', { conversationIDList: [`C2C${bob}`, `C2C${carol}`, `C2C${dave}`], dryRun: true });
    const keeping = await asAlice.post('/v1/conversations/delete', { conversationIDList: [`C2C${bob}`], clearHistoryMessage: false, dryRun: true });
    const single = await asAlice.delete(`/v1/conversations/C2C${bob}?dryRun=true`);
    await stack.bus.drain();

    // Assess
    expect(clearing.status).toBe(200);
    expect(clearing.body.data).toEqual({
      dryRun: true,
      conversationIDList: [`C2C${bob}`, `C2C${carol}`, `C2C${dave}`],
      results: [
        { conversationID: `C2C${bob}`, status: 'deleted', messagesToPurge: 3 },
        { conversationID: `C2C${carol}`, status: 'deleted', messagesToPurge: 1 },
        { conversationID: `C2C${dave}`, status: 'absent', messagesToPurge: 0 },
      ],
      messagesToPurge: 4,
    });
    expect(keeping.body.data).toMatchObject({ dryRun: true, results: [{ conversationID: `C2C${bob}`, status: 'deleted', messagesToPurge: 0 }], messagesToPurge: 0 });
    expect(single.body.data).toMatchObject({ dryRun: true, conversationID: `C2C${bob}`, results: [{ status: 'deleted', messagesToPurge: 3 }] });
    expect(await snapshot()).toEqual(before);
    expect((await conversationIDs(asAlice)).sort()).toEqual([`C2C${bob}`, `C2C${carol}`].sort());
    expect(await historyTexts(asAlice, `C2C${bob}`)).toEqual(['c', 'b', 'a']);
  });

  it('refuses a dryRun that is not a boolean, as every other flag', async () => {
    const asAlice = await stack.as(uniqueUser('alice'));
    const body = await asAlice.post('/v1/conversations/delete', { conversationIDList: ['C2Cbob'], dryRun: 'yes' });
    const query = await asAlice.delete('/v1/conversations/C2Cbob?dryRun=maybe');
    expect([body.status, body.body.error]).toEqual([400, 'INVALID_REQUEST']);
    expect([query.status, query.body.error]).toEqual([400, 'INVALID_QUERY']);
  });
});
