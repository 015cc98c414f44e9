/**
 * Real crashes: the local runner (`local/start.ts`, the same process `npm start` runs) is killed with SIGKILL at an
 * exact step of a deletion or of its background purge (LOCAL_CRASH_AT), then started again on the same table. With
 * no client retry, every conversation must end either deleted as asked (hidden at once, its cleared copies
 * physically gone within the purge driver's bound) or untouched, the peers' copies and every later message kept.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { type DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { batchWrite } from '#adapters/dynamodb/batch-writer.js';
import { createDocumentClient } from '#adapters/dynamodb/client.js';
import { conversationFields, messageItem } from '#adapters/dynamodb/conversation-items.js';
import { ENV } from '#contracts/environment.js';
import { parseConversationID } from '#contracts/ids.js';
import { keys, PENDING_PURGES_INDEX, TIMELINE_SEQUENCE } from '#contracts/table.js';
import type { Message } from '#domain/ports/messages.js';
import { freePort } from '#local/dynamodb-local.js';
import { historyTexts } from '../support/chat.js';
import { ApiClient, uniqueUser } from '../support/stack.js';

const TSX = 'node_modules/tsx/dist/cli.mjs';
const PEERS = 6;
const MESSAGES = 120;
/** The purge driver's local times, short so that each crash converges in seconds. */
const HANDOFF_SECONDS = 2;
const LEASE_SECONDS = 4;
/** A copy a clear covers may land up to this long after it (the cloud: 30 s, the messages function's timeout). */
const STRAGGLER_SECONDS = 3;
const SWEEP_EVERY_MS = 1000;
/**
 * What the bound promises here: the straggler window or a lease, one sweep interval and the purge's own time (well
 * under a second for 720 copies), with room for a machine the other test files load heavily (the sweep and the
 * purge run in the restarted runner's one process).
 */
const BOUND_MS = (Math.max(STRAGGLER_SECONDS, LEASE_SECONDS) + 1) * 1000 + SWEEP_EVERY_MS + 30_000;

const tableName = `crash${randomUUID().slice(0, 8)}`;
let db: DynamoDBDocumentClient;
beforeAll(() => {
  db = createDocumentClient({ endpoint: inject('dynamodbEndpoint') });
});
afterAll(() => db?.destroy());

type Runner = { url: string; exited: Promise<number | null>; output: () => string; kill: () => void };

/** `defaults`: npm start's own purge-driver times (30 s hand-off, lease and straggler window, a sweep every 5 s). */
const startRunner = async (crashAt?: string, options: { defaults?: boolean } = {}): Promise<Runner> => {
  const port = await freePort();
  const child = spawn(process.execPath, [TSX, 'local/start.ts', '--in-memory'], {
    env: {
      ...process.env,
      PORT: String(port),
      DYNAMODB_ENDPOINT: inject('dynamodbEndpoint'),
      LOCAL_TABLE_NAME: tableName,
      ...(options.defaults
        ? {}
        : {
            [ENV.purgeHandoffSeconds]: String(HANDOFF_SECONDS),
            [ENV.purgeLeaseSeconds]: String(LEASE_SECONDS),
            [ENV.purgeStragglerSeconds]: String(STRAGGLER_SECONDS),
            LOCAL_SCHEDULE_EVERY_MS: String(SWEEP_EVERY_MS),
          }),
      ...(crashAt ? { LOCAL_CRASH_AT: crashAt } : {}),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? -1 : null))));
  const until = Date.now() + 60_000;
  while (!/running at http:\/\/localhost:\d+/.test(output)) {
    if (Date.now() > until || child.exitCode !== null) throw new Error(`the runner did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  // Undo off, as an admin would set it before the test: these crashes are about the deletion and its purge, which
  // undo would postpone by its grace period. Stored before any call, so the runner's first settings read sees it.
  await db.send(new PutCommand({ TableName: tableName, Item: { ...keys.settings(), deletionGracePeriodSeconds: 0 } }));
  return { url: `http://localhost:${port}`, exited, output: () => output, kill: () => child.kill('SIGKILL') };
};

const clientFor = async (runner: Runner, userID: string) => {
  const response = await fetch(`${runner.url}/local/token`, { method: 'POST', body: JSON.stringify({ userID }) });
  return new ApiClient(runner.url, ((await response.json()) as { token: string }).token);
};

/** `MESSAGES` messages from each peer to `owner`, stored with the service's own key shapes (both users' copies). */
const seed = async (owner: string, peers: string[]) => {
  const items: Record<string, unknown>[] = [];
  for (const peer of peers) {
    const mine = parseConversationID(`C2C${peer}`)!;
    const theirs = parseConversationID(`C2C${owner}`)!;
    let last: Message | undefined;
    for (let sequence = 1; sequence <= MESSAGES; sequence++) {
      const at = new Date(Date.now() - (MESSAGES - sequence) * 1000).toISOString();
      const message = (conversationID: string): Message => ({ messageID: `${peer}-${sequence}`, conversationID, sequence, from: peer, text: `m${sequence}`, createdAt: at });
      items.push(messageItem(owner, message(mine.conversationID)), messageItem(peer, message(theirs.conversationID)));
      last = message(mine.conversationID);
    }
    items.push({ ...keys.timeline(owner, mine), [TIMELINE_SEQUENCE]: MESSAGES });
    items.push({ ...keys.conversation(owner, mine.conversationID), ...conversationFields(mine, last!), unreadCount: MESSAGES });
    items.push({ ...keys.conversation(peer, theirs.conversationID), ...conversationFields(theirs, { ...last!, conversationID: theirs.conversationID }), unreadCount: 0 });
  }
  const result = await batchWrite(db, items.map((Item) => ({ PutRequest: { Item } })), { tableName, deadline: Date.now() + 30_000 });
  expect(result.failed).toEqual([]);
};

const storedCopies = async (userID: string, conversationID: string) =>
  (await db.send(new QueryCommand({ TableName: tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': keys.messagePartition(userID, conversationID) }, Select: 'COUNT', ConsistentRead: true }))).Count ?? 0;

const conversationItems = async (userID: string) =>
  (await db.send(new QueryCommand({ TableName: tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': keys.conversationPartition(userID) }, ConsistentRead: true }))).Items ?? [];

/** Every crash point: a step of the deletion (before its n-th call of that kind) or of its background purge. */
const CRASH_POINTS = [
  // The delete function's first UpdateItem is the rate limiter's counter; the tombstones are the next six.
  { step: 'mid-tombstones (2 of 6 written)', at: 'delete-conversations:UpdateItemCommand:4' },
  { step: 'after the tombstones, before the deletion record', at: 'delete-conversations:PutItemCommand:1' },
  // With npm start's own times: what a killed run left owed is purged within a minute of the next start.
  { step: 'during the events (before PutEvents), npm start\'s own times', at: 'delete-conversations:PutEventsCommand:1', defaults: true, boundMs: 60_000 },
  { step: 'mid-purge (before its 4th batch of deletes)', at: 'purge-history:BatchWriteItemCommand:4' },
  { step: 'after the purge, before it records its progress', at: 'purge-history:UpdateItemCommand:1' },
  { step: 'before the purge announces it is done', at: 'purge-history:PutEventsCommand:1' },
] as { step: string; at: string; defaults?: boolean; boundMs?: number }[];

const measured: { step: string; convergedMs: number; deleted: number; kept: number; copiesPurged: number }[] = [];
afterAll(() => {
  for (const m of measured) console.log(`crash ${m.step}: converged ${m.convergedMs} ms after restart; ${m.deleted} deleted, ${m.kept} kept, ${m.copiesPurged} cleared copies purged, 0 lost`);
});

describe('a runner killed mid-deletion or mid-purge', () => {
  it.each(CRASH_POINTS.map((p) => [p.step, p] as const))('converges with no client retry: %s', async (_step, point) => {
    // Prepare
    const [alice, ...peers] = [uniqueUser('alice'), ...Array.from({ length: PEERS }, () => uniqueUser('peer'))];
    const conversations = peers.map((p) => `C2C${p}`);
    let runner = await startRunner(point.at, { defaults: point.defaults ?? false });
    const bound = point.boundMs ?? BOUND_MS;
    try {
      await seed(alice, peers);
      const asAlice = await clientFor(runner, alice);

      // Act: the deletion (6 conversations: a background purge) is cut off by the kill at the chosen step.
      const answer = await asAlice.post('/v1/conversations/delete', { conversationIDList: conversations, clearHistoryMessage: true }).catch((error: unknown) => error);
      expect([-1, 137]).toContain(await runner.exited);
      expect(runner.output()).toContain('LOCAL_CRASH_AT: killing the runner');
      const restartedAt = Date.now();
      runner = await startRunner(undefined, { defaults: point.defaults ?? false });

      // A message after the crash, to a conversation that may or may not have been deleted: never lost.
      const asPeer = await clientFor(runner, peers[0]!);
      expect((await asPeer.post('/v1/messages', { conversationID: `C2C${alice}`, text: 'after the crash' })).status).toBe(201);

      // Assess: each conversation converges to deleted-and-purged or untouched, within the bound, with no retry.
      const asAliceAgain = await clientFor(runner, alice);
      const settled = async () => {
        const items = await conversationItems(alice);
        if (items.some((i) => i[PENDING_PURGES_INDEX.partitionKey] !== undefined)) return false;
        for (const id of conversations) {
          const item = items.find((i) => i.conversationID === id)!;
          const cleared = (item.clearSeq ?? 0) >= MESSAGES;
          const expected = (cleared ? 0 : MESSAGES) + (id === conversations[0] ? 1 : 0);
          if ((await storedCopies(alice, id)) !== expected) return false;
        }
        return true;
      };
      while (!(await settled())) {
        if (Date.now() - restartedAt > bound) throw new Error(`not converged within ${bound} ms after the restart (${point.at}); answer: ${String(answer)}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      const convergedMs = Date.now() - restartedAt;

      const listed = ((await asAliceAgain.get('/v1/conversations?limit=100')).body.data.conversationList as { conversationID: string }[]).map((c) => c.conversationID);
      let deleted = 0;
      for (const id of conversations) {
        const texts = await historyTexts(asAliceAgain, id);
        const item = (await conversationItems(alice)).find((i) => i.conversationID === id)!;
        const later = id === conversations[0] ? ['after the crash'] : [];
        if ((item.clearSeq ?? 0) >= MESSAGES) {
          // Deleted as asked: hidden, gone from storage, marked purged; only a later message brings it back.
          deleted++;
          expect(texts).toEqual(later);
          expect(item.purgedSeq).toBe(MESSAGES);
          expect(listed.includes(id)).toBe(later.length > 0);
        } else {
          // Untouched: listed with its whole history.
          expect(texts).toHaveLength(MESSAGES + later.length);
          expect(listed).toContain(id);
        }
        expect(await storedCopies(id.slice(3), `C2C${alice}`)).toBe(MESSAGES + later.length);
      }
      // Mid-tombstones, the two written are deleted and the four never sent untouched; at any later step, all deleted.
      expect(deleted).toBe(point.step.startsWith('mid-tombstones') ? 2 : PEERS);
      measured.push({ step: point.step, convergedMs, deleted, kept: PEERS - deleted, copiesPurged: deleted * MESSAGES });
    } finally {
      runner.kill();
      await runner.exited;
    }
  }, 120_000);
});
