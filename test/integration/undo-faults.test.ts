/**
 * Undo under real faults: the whole local stack with DynamoDB behind the fault proxy (half of every batch's items
 * unprocessed, throttles, 500s, delays, resets before the request), while users delete conversations, clear histories
 * and restore some of those changes, a client retrying each failed call with the same Idempotency-Key, as an app would.
 *
 * Then, with the faults off, a full check against what each client was told:
 * - a change whose restore succeeded: every conversation it answered `restored` is back, with every message copy
 *   stored and visible (nothing of a restored history is lost);
 * - a change never restored: its conversations stay deleted or cleared, its cleared copies stay stored until its
 *   grace period ends (nothing purged early) and hidden (nothing cleared comes back);
 * - a restore retried after a lost answer gets its first answer (never ALREADY_RESTORED for its own key).
 * `LONG_PROOFS=1` runs 200 changes; `npm test` alone 40. `FAULT_SEED=<n>` replays a run.
 */
import { GetCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDocumentClient } from '#adapters/dynamodb/client.js';
import { ENV } from '#contracts/environment.js';
import { keys, seqFromKey } from '#contracts/table.js';
import { type FaultProxy, prng, STANDARD_FAULTS, startFaultProxy } from '../support/fault-proxy.js';
import { type ApiClient, type ApiResponse, startTestStack, type TestStack, uniqueUser } from '../support/stack.js';

const LONG = process.env.LONG_PROOFS === '1';
const CHANGES = LONG ? 200 : 40;
const SEED = Number(process.env.FAULT_SEED ?? Date.now() % 1_000_000);
const USERS = 4;
const PEERS_PER_USER = 4;
const MESSAGES_PER_CONVERSATION = 5;

let proxy: FaultProxy;
let stack: TestStack;
let raw: DynamoDBDocumentClient;
beforeAll(async () => {
  // Not what this run tests (rate-limit.test.ts does): its users change their conversations faster than the limit.
  process.env[ENV.deletionRateLimit] = '0';
  proxy = await startFaultProxy({ target: inject('dynamodbEndpoint'), seed: SEED });
  stack = await startTestStack({ dynamodbEndpoint: proxy.endpoint, deletionGracePeriodSeconds: 600 });
  raw = createDocumentClient({ endpoint: inject('dynamodbEndpoint') });
});
afterAll(async () => {
  await stack?.stop();
  await proxy?.close();
  raw?.destroy();
  delete process.env[ENV.deletionRateLimit];
});

/** Calls until an answer that is not a fault (5xx, 409 in progress, a reset), as an app retries. */
const untilAnswered = async (call: () => Promise<ApiResponse>): Promise<ApiResponse> => {
  for (let attempt = 0; attempt < 40; attempt++) {
    const response = await call().catch(() => undefined);
    if (response && response.status < 500 && !(response.status === 409 && response.body?.error === 'IDEMPOTENCY_IN_PROGRESS')) return response;
    await new Promise((resolve) => setTimeout(resolve, 50 + attempt * 20));
  }
  throw new Error('no answer after 40 attempts');
};

/** The sequences of the user's stored copies of a conversation, read past the proxy. */
const storedSeqs = async (userID: string, conversationID: string): Promise<number[]> => {
  const page = await raw.send(
    new QueryCommand({ TableName: stack.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': keys.messagePartition(userID, conversationID) }, ProjectionExpression: 'sk', ConsistentRead: true }),
  );
  return (page.Items ?? []).map((item) => seqFromKey(item.sk as string));
};

/** The stored clear point of the user's conversation, read past the proxy. */
const clearSeqOf = async (userID: string, conversationID: string): Promise<number> =>
  ((await raw.send(new GetCommand({ TableName: stack.tableName, Key: keys.conversation(userID, conversationID), ConsistentRead: true }))).Item?.clearSeq as number | undefined) ?? 0;

const visible = async (client: ApiClient, conversationID: string): Promise<number> => {
  const response = await client.get(`/v1/conversations/${conversationID}/messages?limit=100`);
  expect(response.status).toBe(200);
  return response.body.data.messageList.length;
};

type Change = { userID: string; deletionID: string; conversationIDs: string[]; kind: 'delete' | 'keep' | 'clear'; restored: string[] | null };

/**
 * What each conversation's clear point must be, by what the client was told: a clearing change sets it (read once the
 * change has answered: each user's changes are sequential), a restore answered `restored` puts the one before back.
 */
const expectedClear = new Map<string, number>();
/** Every copy seen stored after a change answered: all must still be there at the end (nothing purged early). */
const seen = new Map<string, Set<number>>();

describe(`undo under faults (seed ${SEED}, ${CHANGES} changes)`, () => {
  it('loses nothing a restore brought back, purges and shows nothing a kept change cleared', async () => {
    // Prepare, faults off: each user chats with each peer.
    const users = Array.from({ length: USERS }, () => uniqueUser('u'));
    const clients = new Map<string, ApiClient>();
    for (const userID of users) clients.set(userID, await stack.as(userID));
    const peersOf = new Map(users.map((u) => [u, Array.from({ length: PEERS_PER_USER }, () => uniqueUser('p'))]));
    for (const userID of users) {
      for (const peer of peersOf.get(userID)!) {
        const asPeer = await stack.as(peer);
        for (let i = 0; i < MESSAGES_PER_CONVERSATION; i++) expect((await asPeer.post('/v1/messages', { conversationID: `C2C${userID}`, text: `m${i}` })).status).toBe(201);
      }
    }

    // Act, faults on: random changes, each restored or not, each call retried with its own key until answered.
    proxy.setFaults(STANDARD_FAULTS);
    const random = prng(SEED);
    const changes: Change[] = [];
    let next = 0;
    // One worker per user, so each user's changes happen in the order the check reads them; users run side by side.
    const worker = async (userID: string) => {
      while (next < CHANGES) {
        const n = next++;
        const client = clients.get(userID)!;
        const peers = peersOf.get(userID)!;
        const roll = random();
        const kind: Change['kind'] = roll < 0.4 ? 'delete' : roll < 0.6 ? 'keep' : 'clear';
        const picked = kind === 'clear' ? [peers[Math.floor(random() * peers.length)]!] : peers.filter(() => random() < 0.5);
        if (picked.length === 0) continue;
        const ids = picked.map((p) => `C2C${p}`);
        const key = { 'Idempotency-Key': `change-${SEED}-${n}` };
        const answer =
          kind === 'clear'
            ? await untilAnswered(() => client.post(`/v1/conversations/${ids[0]}/clear-history`, undefined, key))
            : await untilAnswered(() => client.post('/v1/conversations/delete', { conversationIDList: ids, clearHistoryMessage: kind === 'delete' }, key));
        if (answer.status === 404) continue; // clearing a conversation another change had just deleted
        expect(answer.status, JSON.stringify(answer.body)).toBe(200);
        const change: Change = { userID, deletionID: answer.body.data.deletionID, conversationIDs: ids, kind, restored: null };
        changes.push(change);
        const before = new Map(ids.map((id) => [id, expectedClear.get(`${userID} ${id}`) ?? 0]));
        for (const id of ids) {
          expectedClear.set(`${userID} ${id}`, await clearSeqOf(userID, id));
          seen.set(`${userID} ${id}`, new Set([...(seen.get(`${userID} ${id}`) ?? []), ...(await storedSeqs(userID, id))]));
        }
        if (kind === 'keep') for (const id of ids) expect(expectedClear.get(`${userID} ${id}`), `${userID} ${id}: a deletion keeping history moved the clear point`).toBe(before.get(id));
        if (random() < 0.5) {
          const restoreKey = { 'Idempotency-Key': `restore-${SEED}-${n}` };
          const restored = await untilAnswered(() => client.post('/v1/conversations/restore', { deletionID: change.deletionID }, restoreKey));
          expect(restored.status, JSON.stringify(restored.body)).toBe(200);
          change.restored = restored.body.data.conversationIDList;
          for (const id of change.restored!) expectedClear.set(`${userID} ${id}`, before.get(id)!);
        }
        // Bring the conversations back for later changes: a new message each, under faults too.
        for (const peer of picked) await untilAnswered(async () => (await stack.as(peer)).post('/v1/messages', { conversationID: `C2C${userID}`, text: 'again' }));
      }
    };
    await Promise.all(users.map(worker));
    proxy.clearFaults();
    await stack.bus.drain();

    // Assess: per conversation, the clear point the clients' answers imply; every copy still stored (no purge may run
    // within the grace period); exactly the copies above the clear point visible.
    let checked = 0;
    for (const [where, clearSeq] of expectedClear) {
      const [userID, conversationID] = where.split(' ') as [string, string];
      const seqs = await storedSeqs(userID, conversationID);
      expect(await clearSeqOf(userID, conversationID), `${where}: the clear point`).toBe(clearSeq);
      const missing = [...seen.get(where)!].filter((seq) => !seqs.includes(seq));
      expect(missing, `${where}: copies purged within the grace period`).toEqual([]);
      expect(await visible(clients.get(userID)!, conversationID), `${where}: visible messages`).toBe(seqs.filter((seq) => seq > clearSeq).length);
      checked++;
    }
    expect(checked).toBeGreaterThan(USERS);
    expect(changes.filter((c) => c.restored !== null).length).toBeGreaterThan(CHANGES / 5);
    const stats = proxy.stats;
    const requests = Object.values(stats.requests).reduce((sum, n) => sum + n, 0);
    console.log(
      `undo under faults, seed ${SEED}: ${changes.length} changes, ${changes.filter((c) => c.restored).length} restored, ${checked} conversations checked; faults ${JSON.stringify(stats.faults)} over ${requests} DynamoDB requests`,
    );
    expect(stack.backgroundErrors.filter((e) => !/retry|throttl|InternalServerError|ECONNRESET|socket/i.test(JSON.stringify(e)))).toEqual([]);
  }, 300_000);
});
