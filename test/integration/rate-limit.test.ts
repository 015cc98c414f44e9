/**
 * The per-user limit on deletion-type calls, against the real local stack (the same handler and middleware as the
 * cloud, counting in DynamoDB Local) with a 3-second window instead of 10 so the test waits little; and the limiter
 * itself against DynamoDB Local on a clock the test moves, for the window's edges.
 */
import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDocumentClient } from '#adapters/dynamodb/client.js';
import { DynamoRateLimiter } from '#adapters/dynamodb/rate-limiter.js';
import { ENV } from '#contracts/environment.js';
import { DETAIL_TYPES } from '#contracts/events.js';
import { keys, TTL_ATTRIBUTE } from '#contracts/table.js';
import type { RateLimit } from '#domain/ports/rate-limits.js';
import { conversationIDs, send } from '../support/chat.js';
import { type ApiClient, startTestStack, type TestStack, uniqueUser } from '../support/stack.js';

const WINDOW_SECONDS = 3;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Waits for the start of the next window, so a burst of calls falls in one window whatever the test's pace. */
const nextWindowStart = () => sleep(WINDOW_SECONDS * 1000 - (Date.now() % (WINDOW_SECONDS * 1000)) + 20);

let stack: TestStack;
beforeAll(async () => {
  // The default 20 calls, in a window of 3 s (the cloud's: 10 s).
  process.env[ENV.deletionRateWindowSeconds] = String(WINDOW_SECONDS);
  stack = await startTestStack();
});
afterAll(async () => {
  delete process.env[ENV.deletionRateWindowSeconds];
  await stack?.stop();
});

const deletedEvents = (userID: string) =>
  stack.bus.history.filter((e) => e['detail-type'] === DETAIL_TYPES.conversationsDeleted && (e.detail as { userID: string }).userID === userID);

/** A user with a conversation with each of `count` new peers. */
const userWithConversations = async (count: number): Promise<{ userID: string; client: ApiClient; peers: string[] }> => {
  const userID = uniqueUser('alice');
  const client = await stack.as(userID);
  const peers = Array.from({ length: count }, () => uniqueUser('peer'));
  await Promise.all(peers.map((peer) => send(client, `C2C${peer}`, 'hi')));
  return { userID, client, peers };
};

describe('20 deletion calls per window per user, through the API', () => {
  it('refuses the 21st and 22nd calls of a window with 429 RATE_LIMITED and Retry-After, changing nothing; both routes count together; other users are unaffected; allowed again after Retry-After', async () => {
    // Prepare: 22 conversations for Alice, one for Bob.
    const alice = await userWithConversations(22);
    const bob = await userWithConversations(1);

    // Act: 22 deletions at once through both routes, and one of Bob's, at the start of a window (the limiter counts
    // each as its request starts, so however long the deletions take, the counts fall in this window).
    await nextWindowStart();
    const [bobsAnswer, ...answers] = await Promise.all([
      bob.client.post('/v1/conversations/delete', `C2C${bob.peers[0]}`),
      ...alice.peers.map((peer, i) => (i % 2 === 0 ? alice.client.post('/v1/conversations/delete', `C2C${peer}`) : alice.client.delete(`/v1/conversations/C2C${peer}`))),
    ]);

    // Assess: exactly 20 done and 2 refused, in the error shape with a Retry-After; their conversations still there.
    const refused = answers.flatMap((answer, i) => (answer.status === 429 ? [i] : []));
    expect(answers.filter((a) => a.status === 200)).toHaveLength(20);
    expect(refused).toHaveLength(2);
    const retryAfters = refused.map((i) => {
      expect(answers[i]!.body).toMatchObject({ code: 42900, error: 'RATE_LIMITED', message: expect.stringContaining('at most 20 per 3 s') });
      return Number(answers[i]!.headers.get('retry-after'));
    });
    for (const seconds of retryAfters) expect(Number.isInteger(seconds) && seconds >= 1 && seconds <= WINDOW_SECONDS + 1, `Retry-After ${seconds}`).toBe(true);
    const notDeleted = refused.map((i) => `C2C${alice.peers[i]}`);
    expect((await conversationIDs(alice.client)).sort()).toEqual(notDeleted.sort());
    await stack.bus.drain();
    expect(deletedEvents(alice.userID)).toHaveLength(20);
    expect(bobsAnswer!.status).toBe(200);

    // Act: once Retry-After has passed, Alice deletes a conversation that was refused.
    await sleep(Math.max(...retryAfters) * 1000);
    const later = await alice.client.delete(`/v1/conversations/${notDeleted[0]}`);

    // Assess
    expect(later.status, JSON.stringify(later.body)).toBe(200);
    expect(await conversationIDs(alice.client)).toEqual([notDeleted[1]]);
  }, 90_000);

  it('counts clearing a history and restoring in the same limit: after 20 calls of all three kinds the 21st is refused', async () => {
    // Prepare: 19 conversations; one deletion made before the window, to restore in it.
    const alice = await userWithConversations(20);
    const earlier = await alice.client.post('/v1/conversations/delete', `C2C${alice.peers[19]}`);
    expect(earlier.status).toBe(200);

    // Act: 18 deletions, 1 restore, 1 clear (20 calls), then 1 more clear, in one window after an empty one (the
    // limit slides: the previous window's calls still count in part).
    await sleep(WINDOW_SECONDS * 1000);
    await nextWindowStart();
    const calls = await Promise.all([
      ...alice.peers.slice(0, 18).map((peer) => alice.client.delete(`/v1/conversations/C2C${peer}?clearHistoryMessage=false`)),
      alice.client.post('/v1/conversations/restore', { deletionID: earlier.body.data.deletionID }),
    ]);
    const cleared = await alice.client.post(`/v1/conversations/C2C${alice.peers[18]}/clear-history`);
    const refused = await alice.client.post(`/v1/conversations/C2C${alice.peers[18]}/clear-history`);

    // Assess
    // Undo is off in this stack (grace period 0): the restore is refused, and counted all the same.
    expect(calls.map((c) => c.status)).toEqual([...Array.from({ length: 18 }, () => 200), 410]);
    expect(cleared.status).toBe(200);
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ error: 'RATE_LIMITED', message: expect.stringContaining('delete, clear history and restore together') });
  }, 30_000);

  it('counts in one item per user, removed by TTL after the next window', async () => {
    const alice = await userWithConversations(1);
    const before = Math.floor(Date.now() / 1000);

    expect((await alice.client.post('/v1/conversations/delete', `C2C${alice.peers[0]}`)).status).toBe(200);

    const item = (await stack.db.send(new GetCommand({ TableName: stack.tableName, Key: keys.rateLimit(alice.userID, 'deletion'), ConsistentRead: true }))).Item;
    const slot = Object.keys(item ?? {}).find((k) => /^n\d$/.test(k))!;
    expect(item?.[slot]).toBe(1);
    expect(item?.[TTL_ATTRIBUTE]).toBeGreaterThan(before + WINDOW_SECONDS);
    expect(item?.[TTL_ATTRIBUTE]).toBeLessThanOrEqual(before + 3 * WINDOW_SECONDS + 1);
  });

  it('fails open: when the counter cannot be written the deletion still happens', async () => {
    // Prepare: every write of the limiter fails, as if DynamoDB were throttling past the SDK's retries.
    const alice = await userWithConversations(1);
    const remove = stack.intercept((call) => {
      const key = call.input.Key as { pk?: { S?: string } } | undefined;
      if (call.commandName === 'UpdateItemCommand' && key?.pk?.S?.startsWith('RATE#')) throw new Error('ProvisionedThroughputExceededException (simulated)');
    });

    // Act
    const answer = await alice.client.post('/v1/conversations/delete', `C2C${alice.peers[0]}`).finally(remove);

    // Assess
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    expect(await conversationIDs(alice.client)).toEqual([]);
  });
});

describe('the limiter over DynamoDB Local, on a clock the test moves', () => {
  let client: DynamoDBDocumentClient;
  let updates: number;
  const W = 10_000;
  const at = { ms: 0 };
  const limiter = (limit: RateLimit, name = 'deletion', clock = at) => new DynamoRateLimiter(client, stack.tableName, name, limit, { now: () => new Date(clock.ms) });
  const stored = async (userID: string, name = 'deletion') =>
    (await stack.db.send(new GetCommand({ TableName: stack.tableName, Key: keys.rateLimit(userID, name), ConsistentRead: true }))).Item;
  const takeMany = async (of: DynamoRateLimiter, userID: string, times: number) => {
    const decisions = [];
    for (let i = 0; i < times; i++) decisions.push(await of.take(userID));
    return decisions.map((d) => (d.allowed ? 'ok' : d.retryAfterSeconds));
  };

  beforeAll(() => {
    client = createDocumentClient({ endpoint: inject('dynamodbEndpoint') });
    // Counts the UpdateItem calls the limiter sends.
    client.middlewareStack.add((next) => async (args) => ((updates += 1), next(args)), { step: 'initialize', name: 'countUpdates' });
  });

  it('allows the limit, refuses beyond it without counting, and lets the previous window fade out', async () => {
    // Prepare: 3 calls per 10 s, from the start of window 100.
    const userID = uniqueUser('u');
    const three = limiter({ calls: 3, windowSeconds: 10 });
    at.ms = 100 * W;
    updates = 0;

    // Act and assess: one UpdateItem per call, allowed or refused at the limit. Refused at the window's start, the
    // next call waits for the next window, until 3 × (1 − f) + 1 ≤ 3 there, f = 1/3: 13.3 s, so Retry-After 14.
    expect(await takeMany(three, userID, 5)).toEqual(['ok', 'ok', 'ok', 14, 14]);
    expect(updates).toBe(5);
    expect(await stored(userID)).toMatchObject({ n1: 3, w1: 100, [TTL_ATTRIBUTE]: 102 * 10 });

    // At the next window's start the previous 3 still weigh fully: the call is counted, then taken back (two calls).
    at.ms = 101 * W;
    updates = 0;
    expect(await takeMany(three, userID, 1)).toEqual([4]);
    expect(updates).toBe(2);
    // A third into it there is room for one: 3 × 0.66 + 1 ≤ 3; the next waits until f = 2/3.
    at.ms = 101 * W + 3_400;
    updates = 0;
    expect(await takeMany(three, userID, 2)).toEqual(['ok', 4]);
    expect(updates).toBe(3);
    expect(await stored(userID)).toMatchObject({ n1: 3, w1: 100, n2: 1, w2: 101 });

    // After an idle window (102) nothing weighs, and the first call finds its slot still holding window 100: it
    // starts it afresh (two calls), the others are one call each.
    at.ms = 103 * W;
    updates = 0;
    expect(await takeMany(three, userID, 4)).toEqual(['ok', 'ok', 'ok', 14]);
    expect(updates).toBe(5);
    expect(await stored(userID)).toMatchObject({ n1: 3, w1: 103, [TTL_ATTRIBUTE]: 105 * 10 });
  });

  it('counts each user and each limit apart, and a limit of 0 calls counts nothing', async () => {
    const [alice, bob] = [uniqueUser('alice'), uniqueUser('bob')];
    at.ms = 200 * W;
    const one = limiter({ calls: 1, windowSeconds: 10 });
    expect(await takeMany(one, alice, 2)).toEqual(['ok', 20]);
    expect(await takeMany(one, bob, 1)).toEqual(['ok']);
    expect(await takeMany(limiter({ calls: 1, windowSeconds: 10 }, 'other'), alice, 1)).toEqual(['ok']);

    updates = 0;
    expect(await takeMany(limiter({ calls: 0, windowSeconds: 10 }), uniqueUser('u'), 3)).toEqual(['ok', 'ok', 'ok']);
    expect(updates).toBe(0);
  });

  it('allows exactly the limit to concurrent calls, also when they must first reset a stale slot', async () => {
    const userID = uniqueUser('u');
    const twenty = limiter({ calls: 20, windowSeconds: 10 });
    for (const window of [300, 306]) {
      at.ms = window * W + 10;
      const decisions = await Promise.all(Array.from({ length: 30 }, () => twenty.take(userID)));
      expect(decisions.filter((d) => d.allowed), `window ${window}`).toHaveLength(20);
    }
  });

  it('counts a call from a clock a moment behind in the newer window it finds, without wiping that window', async () => {
    // Prepare: an instance already in window 401 counted 2 calls.
    const userID = uniqueUser('u');
    const ahead = { ms: 401 * W + 5 };
    const behind = { ms: 401 * W - 5 };
    const limit = { calls: 3, windowSeconds: 10 };
    await takeMany(limiter(limit, 'deletion', ahead), userID, 2);

    // Act: an instance whose clock still reads window 400.
    const late = await takeMany(limiter(limit, 'deletion', behind), userID, 2);

    // Assess: the first joins window 401 (3 calls there), the second is refused as in window 401.
    expect(late).toEqual(['ok', 14]);
    expect(await stored(userID)).toMatchObject({ n2: 3, w2: 401 });
  });
});
