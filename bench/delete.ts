/**
 * `npm run bench:delete`: how fast the deletion service deletes, against the raw floor of the same DynamoDB work.
 *
 * Starts its own in-memory DynamoDB Local and the whole local stack (the real handlers behind the local HTTP API
 * and event bus), seeds data with the service's own key shapes, and measures, each a median of several runs with
 * fresh users (every run deletes real data) and the floor measured in the same run:
 *   (a)  POST /v1/conversations/delete of 100 conversations without history, end to end over HTTP,
 *        against the same 100 tombstone puts sent straight as 4 parallel BatchWriteItem calls;
 *   (b1) the same with 100 x 1,000 message copies: the response time, against (a) (target <= 1.5x);
 *   (b2) the background purge's items/s, against the same 100k deletes sent straight with BatchWriteItem at the
 *        best concurrency found (target >= 80%), and against a one-DeleteItem-at-a-time loop (on a sample);
 *   (c)  a cloud-sized purge, simulated: the same background purge of 20 conversations x 1,500 copies, with the
 *        functions' DynamoDB calls going through the fault proxy (test/support/fault-proxy.ts) enforcing a scaled-down
 *        per-partition write limit (100 writes/s per partition key), against the partition-limited ceiling
 *        (20 partitions x the limit; target >= 80%).
 * Knobs (environment): BENCH_RUNS (7), BENCH_HEAVY_RUNS (3), BENCH_CONVERSATIONS (100), BENCH_MESSAGES (1000),
 * BENCH_NAIVE_ITEMS (2000), BENCH_FLOOR_CONCURRENCY (8,16,32,64), BENCH_CALIBRATION_ITEMS (15000),
 * BENCH_CALIBRATION_ROUNDS (2), BENCH_SEED_CONCURRENCY (16); case (c): BENCH_PARTITION_RUNS (3, 0 skips it),
 * BENCH_PARTITION_LIMIT (100 writes/s per partition), BENCH_PARTITION_CONVERSATIONS (20), BENCH_PARTITION_MESSAGES (1500).
 * Investigation (off by default): BENCH_PURGE_EXPERIMENTS, e.g. "4x16x1000,16x4x1000,blind4x16x1000" (conversations x
 * chunks x Query page size of the background purge, run directly, each next to a floor run; BENCH_EXPERIMENT_CONVERSATIONS
 * (30), BENCH_EXPERIMENT_ROUNDS (1)); BENCH_INLINE_EXPERIMENTS, e.g. "4,32,across32,blind,blind-nomark" (strategies for
 * the inline purge of BENCH_CONVERSATIONS x BENCH_INLINE_MESSAGES (1) small histories, BENCH_RUNS rounds).
 * A quick check: BENCH_RUNS=2 BENCH_HEAVY_RUNS=1 BENCH_MESSAGES=100 BENCH_CALIBRATION_ITEMS=2000 BENCH_PARTITION_RUNS=1 npm run bench:delete
 * Case (c) alone (about 1.5 minutes): BENCH_RUNS=1 BENCH_HEAVY_RUNS=0 npm run bench:delete
 */
import './support/quiet.js';
import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { WriteRequest } from '#adapters/dynamodb/batch-writer.js';
import { LIVE_ATTRIBUTES, setClause, tombstoneFields, tombstoneItem } from '#adapters/dynamodb/conversation-items.js';
import { DETAIL_TYPES, type HistoryPurgedDetail } from '#contracts/events.js';
import { type Key, keys } from '#contracts/table.js';
import { startDynamoDbLocal } from '#local/dynamodb-local.js';
import { type LocalStack, startLocalStack } from '#local/stack.js';
import { benchClient, countItems, deleteOneByOne, readKeys, writeAll } from './support/dynamo.js';
import { parseVariants, purgeAcrossConversations, purgeBlindRange, purgeWithVariant, type PurgeVariant, variantName } from './support/purge-variants.js';
import { buildUser, type SeededUser } from './support/seed.js';
import { alternate, int, intEnv, list, load, machine, median, ms, now, pct, ratio } from './support/stats.js';
import { isStopping, onStop, progress, stopAll } from './support/lifecycle.js';
import { routeCalls } from './support/route.js';
import { dynamoDBClient } from '#adapters/dynamodb/client.js';
import { startFaultProxy } from '../test/support/fault-proxy.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';


const config = {
  runs: Math.max(1, intEnv('BENCH_RUNS', 7)),
  heavyRuns: intEnv('BENCH_HEAVY_RUNS', 3),
  conversations: Math.min(100, Math.max(1, intEnv('BENCH_CONVERSATIONS', 100))),
  messages: Math.max(1, intEnv('BENCH_MESSAGES', 1000)),
  naiveItems: Math.max(1, intEnv('BENCH_NAIVE_ITEMS', 2000)),
  floorConcurrency: (process.env.BENCH_FLOOR_CONCURRENCY ?? '8,16,32,64').split(',').map(Number).filter((n) => Number.isInteger(n) && n > 0),
  calibrationItems: Math.max(25, intEnv('BENCH_CALIBRATION_ITEMS', 15_000)),
  calibrationRounds: Math.max(1, intEnv('BENCH_CALIBRATION_ROUNDS', 2)),
  seedConcurrency: Math.max(1, intEnv('BENCH_SEED_CONCURRENCY', 16)),
  experiments: parseVariants(process.env.BENCH_PURGE_EXPERIMENTS ?? ''),
  experimentConversations: Math.min(100, Math.max(1, intEnv('BENCH_EXPERIMENT_CONVERSATIONS', 30))),
  experimentRounds: Math.max(1, intEnv('BENCH_EXPERIMENT_ROUNDS', 1)),
  inlineExperiments: (process.env.BENCH_INLINE_EXPERIMENTS ?? '').split(',').map((x) => x.trim()).filter(Boolean),
  inlineMessages: Math.max(1, intEnv('BENCH_INLINE_MESSAGES', 1)),
  partitionRuns: intEnv('BENCH_PARTITION_RUNS', 3),
  partitionLimit: intEnv('BENCH_PARTITION_LIMIT', 100, 1),
  partitionConversations: Math.min(100, intEnv('BENCH_PARTITION_CONVERSATIONS', 20, 1)),
  partitionMessages: intEnv('BENCH_PARTITION_MESSAGES', 1500, 1),
};
for (const v of config.inlineExperiments) {
  if (!/^(\d+|across\d+|blind|blind-nomark)$/.test(v)) throw new Error(`BENCH_INLINE_EXPERIMENTS: ${JSON.stringify(v)} is not a conversation concurrency (e.g. 4), across<parallel> (e.g. across32), blind or blind-nomark`);
}
if (config.floorConcurrency.length === 0) throw new Error('BENCH_FLOOR_CONCURRENCY: give at least one positive number, e.g. 8,16,32');

const TABLE = 'bench-conversations';
const PURGE_WAIT_MS = 15 * 60_000;

// ---------------------------------------------------------------------------------------------------------------
// ---------------------------------------------------------------------------------------------------------------
type Env = { stack: LocalStack; db: DynamoDBDocumentClient; backgroundErrors: string[] };

const seed = async (env: Env, label: string, users: SeededUser[]): Promise<void> => {
  const requests = users.flatMap((u) => u.requests);
  const started = now();
  let next = 0.25;
  await writeAll(env.db, requests, {
    tableName: TABLE,
    concurrency: config.seedConcurrency,
    onProgress: (written) => {
      if (requests.length >= 20_000 && written / requests.length >= next) {
        progress(`    ${label}: ${int(written)}/${int(requests.length)} items (${int(written / ((now() - started) / 1000))}/s)`);
        next += 0.25;
      }
    },
  });
  if (requests.length >= 20_000) progress(`    ${label}: seeded ${int(requests.length)} items in ${((now() - started) / 1000).toFixed(1)} s`);
};

type DeleteResponse = { ms: number; historyPurge: string; deleted: number; publishedMs: number };

/**
 * POST /v1/conversations/delete over real HTTP; the clock covers the request and reading the whole response.
 * `publishedMs`: when the local bus received the deletion's ConversationsDeleted event (the handler's last step).
 */
const deleteOverHttp = async (env: Env, token: string, userID: string, conversationIDList: string[]): Promise<DeleteResponse> => {
  const body = JSON.stringify({ conversationIDList, clearHistoryMessage: true });
  let publishedAt = Number.NaN;
  const off = env.stack.bus.onEvent((event) => {
    if (event['detail-type'] === DETAIL_TYPES.conversationsDeleted && event.detail.userID === userID) publishedAt = now();
  });
  const started = now();
  const response = await fetch(`${env.stack.url}/v1/conversations/delete`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body,
  });
  const text = await response.text();
  const elapsed = now() - started;
  off();
  if (response.status !== 200) throw new Error(`delete answered ${response.status}: ${text.slice(0, 500)}`);
  const data = (JSON.parse(text) as { data: { conversationIDList: string[]; historyPurge: string; results: { status: string }[] } }).data;
  const deleted = data.results.filter((r) => r.status === 'deleted').length;
  if (deleted !== conversationIDList.length) throw new Error(`expected ${conversationIDList.length} deleted, got ${text.slice(0, 500)}`);
  return { ms: elapsed, historyPurge: data.historyPurge, deleted, publishedMs: publishedAt - started };
};

/** The conversation list must be empty right after the deletion (checks that the seeded data was live). */
const assertListEmpty = async (env: Env, token: string) => {
  const response = await fetch(`${env.stack.url}/v1/conversations?limit=10`, { headers: { authorization: `Bearer ${token}` } });
  const body = (await response.json()) as { data?: { conversationList?: unknown[] } };
  const items = body.data?.conversationList;
  if (response.status !== 200 || !Array.isArray(items) || items.length !== 0) throw new Error(`conversation list not empty after delete: ${JSON.stringify(body).slice(0, 300)}`);
};

const assertListed = async (env: Env, token: string, expected: number) => {
  const response = await fetch(`${env.stack.url}/v1/conversations?limit=100`, { headers: { authorization: `Bearer ${token}` } });
  const body = (await response.json()) as { data?: { conversationList?: unknown[] } };
  const items = body.data?.conversationList;
  if (!Array.isArray(items) || items.length !== Math.min(100, expected)) throw new Error(`seeded conversations are not live: ${JSON.stringify(body).slice(0, 300)}`);
};

/** The floor of case (a): the tombstone puts the service writes, sent straight, all chunks at once. */
const tombstoneFloor = async (env: Env, user: SeededUser): Promise<number> => {
  const deletedAt = new Date().toISOString();
  const requests: WriteRequest[] = user.conversationIDs.map((conversationID) => ({
    PutRequest: { Item: tombstoneItem(user.userID, { conversationID, deletionID: 'floor', deletedSeq: 0, clearSeq: 0, deletedAt }) as Record<string, unknown> },
  }));
  const started = now();
  await writeAll(env.db, requests, { tableName: TABLE, concurrency: Math.ceil(requests.length / 25) });
  return now() - started;
};

/**
 * The floor of case (a) as the service writes its tombstones since they became conditional: one conditional
 * `UpdateItem` per conversation (points only move forward), all in flight at once, sent straight. A fairer floor than
 * the four `BatchWriteItem` calls, which cannot carry a condition.
 */
const conditionalTombstoneFloor = async (env: Env, user: SeededUser): Promise<number> => {
  const deletedAt = new Date().toISOString();
  // The tombstone's attributes and what it removes, as the service defines them (conversation-items.ts).
  const updates = user.conversationIDs.map((conversationID) => {
    const set = setClause(tombstoneFields({ conversationID, deletionID: 'floor', deletedSeq: 0, clearSeq: 0, deletedAt }));
    const removed = Object.fromEntries(LIVE_ATTRIBUTES.map((attribute, i) => [`#r${i}`, attribute]));
    return new UpdateCommand({
      TableName: TABLE,
      Key: keys.conversation(user.userID, conversationID),
      UpdateExpression: `SET ${set.expression} REMOVE ${Object.keys(removed).join(', ')}`,
      ConditionExpression: '(attribute_not_exists(clearSeq) OR clearSeq <= :c) AND (attribute_not_exists(deletedSeq) OR deletedSeq <= :d)',
      ExpressionAttributeNames: { ...set.names, ...removed },
      ExpressionAttributeValues: { ...set.values, ':c': 0, ':d': 0 },
    });
  });
  const started = now();
  await Promise.all(updates.map((update) => env.db.send(update)));
  return now() - started;
};

const deleteRequests = (keys: readonly Key[]): WriteRequest[] => keys.map((k) => ({ DeleteRequest: { Key: { pk: k.pk, sk: k.sk } } }));

/** The floor of case (b2): items/s of the same deletes, keys known, BatchWriteItem at `concurrency`. */
const deleteFloor = async (env: Env, keys: readonly Key[], concurrency: number): Promise<number> => {
  const requests = deleteRequests(keys);
  const started = now();
  await writeAll(env.db, requests, { tableName: TABLE, concurrency });
  return keys.length / ((now() - started) / 1000);
};

type PurgeMeasure = { responseMs: number; publishedMs: number; purgeMs: number; eventDurationMs: number; messagesDeleted: number; itemsPerSecond: number; purgeRuns: number };

/** One deletion with a background purge: the response time, then the purge from its request event to its purged event. */
const deleteWithPurge = async (env: Env, user: SeededUser, expectedCopies: number): Promise<PurgeMeasure> => {
  const token = await env.stack.token(user.userID);
  let requestedAt: number | undefined;
  let purgeRuns = 0;
  let onPurged!: (value: { at: number; detail: HistoryPurgedDetail }) => void;
  const purged = new Promise<{ at: number; detail: HistoryPurgedDetail }>((resolve) => (onPurged = resolve));
  const off = env.stack.bus.onEvent((event) => {
    if (event.detail.userID !== user.userID) return;
    if (event['detail-type'] === DETAIL_TYPES.historyPurgeRequested) {
      purgeRuns++;
      if (event.detail.attempt === 0) requestedAt = now();
    }
    if (event['detail-type'] === DETAIL_TYPES.historyPurged) onPurged({ at: now(), detail: event.detail as unknown as HistoryPurgedDetail });
  });
  try {
    const response = await deleteOverHttp(env, token, user.userID, user.conversationIDs);
    if (response.historyPurge !== 'pending') throw new Error(`expected a background purge (historyPurge "pending"), got "${response.historyPurge}"`);
    let timer: NodeJS.Timeout | undefined;
    const done = await Promise.race([
      purged,
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no ${DETAIL_TYPES.historyPurged} event within ${PURGE_WAIT_MS / 60_000} min`)), PURGE_WAIT_MS))),
    ]).finally(() => clearTimeout(timer));
    await env.stack.bus.drain();
    if (requestedAt === undefined) throw new Error(`no ${DETAIL_TYPES.historyPurgeRequested} event seen`);
    const purgeMs = done.at - requestedAt;
    if (done.detail.messagesDeleted !== expectedCopies) throw new Error(`purge reported ${done.detail.messagesDeleted} copies deleted, expected ${expectedCopies}`);
    const left = await countItems(env.db, TABLE, user.messagePartitions);
    if (left !== 0) throw new Error(`${left} message copies left after the purge`);
    await assertListEmpty(env, token);
    return {
      responseMs: response.ms,
      publishedMs: response.publishedMs,
      purgeMs,
      eventDurationMs: done.detail.durationMs,
      messagesDeleted: done.detail.messagesDeleted,
      itemsPerSecond: done.detail.messagesDeleted / (purgeMs / 1000),
      purgeRuns,
    };
  } finally {
    off();
  }
};

// ---------------------------------------------------------------------------------------------------------------
const main = async () => {
  const wallStart = now();
  const machineLine = machine();
  progress(`machine: ${machineLine}`);
  progress(`load average at start (1/5/15 min): ${load()}`);
  progress(`config: ${JSON.stringify({ ...config, experiments: config.experiments.map(variantName) })}`);

  const ddb = await startDynamoDbLocal({});
  onStop(ddb.stop);
  const backgroundErrors: string[] = [];
  const stack = await startLocalStack({
    port: 0,
    dynamodbEndpoint: ddb.endpoint,
    tableName: TABLE,
    // No purge sweep: it would re-drive a purge still running from its event after the hand-off time (10 s locally),
    // and two purges of the same history would share the work and the measurement.
    schedule: { everyMs: 0 },
    log: (message, extra) => backgroundErrors.push(`${message}${extra ? `: ${String((extra as Error)?.message ?? extra)}` : ''}`),
  });
  onStop(stack.stop);
  const db = benchClient(ddb.endpoint);
  onStop(async () => db.destroy());
  const env: Env = { stack, db, backgroundErrors };
  progress(`DynamoDB Local at ${ddb.endpoint}, local API at ${stack.url}`);

  const N = config.conversations;
  const M = config.messages;

  // The app's undo grace period: 0 for the cases that measure the purge (with undo on it waits 10 minutes); case (a3)
  // switches it on to measure the product's default deletion. Functions cache the setting for 10 s.
  const adminToken = await stack.token('benchadmin', true);
  const setGrace = async (seconds: number) => {
    const response = await fetch(`${stack.url}/v1/admin/settings`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ deletionGracePeriodSeconds: seconds }),
    });
    if (response.status !== 200) throw new Error(`setting the grace period answered ${response.status}`);
  };
  await setGrace(0);

  // -- Warm-up: load every handler, open connections, let both JITs settle. Not measured. -----------------------
  progress('warm-up...');
  for (let i = 0; i < 3; i++) {
    const svc = buildUser('wa', N, 0);
    const floor = buildUser('wf', N, 0);
    await seed(env, 'warm-up', [svc, floor]);
    await deleteOverHttp(env, await stack.token(svc.userID), svc.userID, svc.conversationIDs);
    await tombstoneFloor(env, floor);
  }
  {
    const small = buildUser('wp', 2, 600);
    const bulk = buildUser('wb', 10, 1000);
    await seed(env, 'warm-up data', [small, bulk]);
    await deleteWithPurge(env, small, 1200);
    await deleteFloor(env, bulk.messageKeys, 16);
  }

  // -- (a) 100 conversations, no history; (a2) one message each (purged inline) -----------------------------------
  progress(`(a) ${config.runs} runs: delete ${N} conversations over HTTP vs ${Math.ceil(N / 25)} parallel BatchWriteItem calls`);
  const a = { service: [] as number[], published: [] as number[], floor: [] as number[], conditionalFloor: [] as number[], inline: [] as number[], inlineStates: [] as string[] };
  for (let run = 0; run < config.runs; run++) {
    const svc = buildUser('ba', N, 0);
    const floor = buildUser('bf', N, 0);
    const inline = buildUser('bi', N, 1);
    await seed(env, 'a', [svc, floor, inline]);
    if (run === 0) await assertListed(env, await stack.token(svc.userID), N);
    const token = await stack.token(svc.userID);
    const inlineToken = await stack.token(inline.userID);
    // Alternate the order so neither side always runs on a warmer or colder DynamoDB Local.
    const measureService = async () => {
      const response = await deleteOverHttp(env, token, svc.userID, svc.conversationIDs);
      if (response.historyPurge !== 'complete') throw new Error(`(a) expected historyPurge "complete", got ${response.historyPurge}`);
      a.service.push(response.ms);
      a.published.push(response.publishedMs);
    };
    const measureFloor = async () => a.floor.push(await tombstoneFloor(env, floor));
    await alternate(run, measureService, measureFloor);
    const conditional = buildUser('bk', N, 0);
    await seed(env, 'a', [conditional]);
    a.conditionalFloor.push(await conditionalTombstoneFloor(env, conditional));
    const inlineResponse = await deleteOverHttp(env, inlineToken, inline.userID, inline.conversationIDs);
    a.inline.push(inlineResponse.ms);
    a.inlineStates.push(inlineResponse.historyPurge);
    await stack.bus.drain();
    await assertListEmpty(env, token);
    progress(`  run ${run + 1}: service ${ms(a.service.at(-1)!)} ms, floor ${ms(a.floor.at(-1)!)} ms, 1 msg each ${ms(a.inline.at(-1)!)} ms (historyPurge ${a.inlineStates.at(-1)})`);
  }

  // -- (a3) the same as (a) with undo on (the product's default): each tombstone also saves what it replaces ---------
  progress(`(a3) ${config.runs} runs: (a) with undo on (grace period 600 s)`);
  await setGrace(600);
  await new Promise((resolve) => setTimeout(resolve, 11_000));
  const a3 = { service: [] as number[], floor: [] as number[] };
  for (let run = 0; run < config.runs; run++) {
    const svc = buildUser('bu', N, 0);
    const floor = buildUser('bg', N, 0);
    await seed(env, 'a3', [svc, floor]);
    const token = await stack.token(svc.userID);
    const measureService = async () => {
      const response = await deleteOverHttp(env, token, svc.userID, svc.conversationIDs);
      if (response.historyPurge !== 'complete' && response.historyPurge !== 'scheduled') throw new Error(`(a3) unexpected historyPurge ${response.historyPurge}`);
      a3.service.push(response.ms);
    };
    await alternate(run, measureService, async () => a3.floor.push(await tombstoneFloor(env, floor)));
    progress(`  run ${run + 1}: service ${ms(a3.service.at(-1)!)} ms, floor ${ms(a3.floor.at(-1)!)} ms`);
  }
  await setGrace(0);
  await new Promise((resolve) => setTimeout(resolve, 11_000));

  // -- Floor calibration: which concurrency gives DynamoDB Local its best delete throughput ------------------------
  const calibration = new Map<number, number[]>(config.floorConcurrency.map((c) => [c, []]));
  let bestConcurrency = Math.max(...config.floorConcurrency);
  if (config.heavyRuns > 0 && config.floorConcurrency.length > 1) {
    progress(`floor calibration: ${int(config.calibrationItems)} deletes at concurrency ${config.floorConcurrency.join('/')}, ${config.calibrationRounds} round(s)`);
    const perConversation = Math.min(M, config.calibrationItems);
    for (let round = 0; round < config.calibrationRounds; round++) {
      const order = round % 2 === 0 ? config.floorConcurrency : [...config.floorConcurrency].reverse();
      const users = order.map((c) => ({ c, user: buildUser('bc', Math.ceil(config.calibrationItems / perConversation), perConversation) }));
      await seed(env, `calibration round ${round + 1}`, users.map((u) => u.user));
      for (const { c, user } of users) {
        calibration.get(c)!.push(await deleteFloor(env, user.messageKeys, c));
        progress(`  round ${round + 1}: concurrency ${c}: ${int(calibration.get(c)!.at(-1)!)} items/s`);
      }
    }
    bestConcurrency = [...calibration.entries()].sort((x, y) => median(y[1]) - median(x[1]))[0]![0];
    progress(`  best floor concurrency: ${bestConcurrency}`);
  }

  // -- (b) 100 conversations x 1,000 messages -----------------------------------------------------------------------
  const copies = N * M;
  const b = { response: [] as number[], published: [] as number[], paired: [] as number[], purgeItemsPerSecond: [] as number[], purgeMs: [] as number[], eventMs: [] as number[], purgeRuns: [] as number[], floor: [] as number[], read: [] as number[], naive: [] as number[] };
  for (let run = 0; run < config.heavyRuns; run++) {
    progress(`(b) run ${run + 1}/${config.heavyRuns}: ${N} conversations x ${int(M)} messages = ${int(copies)} copies, twice (service and floor) + ${int(config.naiveItems)} for the naive loop`);
    const svc = buildUser('bs', N, M);
    const floor = buildUser('bg', N, M);
    const naive = buildUser('bn', 1, config.naiveItems);
    const paired = buildUser('bp', N, 0);
    await seed(env, 'seed', [svc, floor, naive, paired]);
    if (run === 0) await assertListed(env, await stack.token(svc.userID), N);
    const measureService = async () => {
      // Case (a) again, just before, on the same table in the same state: the fair reference for (b1).
      const pairedResponse = await deleteOverHttp(env, await stack.token(paired.userID), paired.userID, paired.conversationIDs);
      b.paired.push(pairedResponse.ms);
      await stack.bus.drain();
      const m = await deleteWithPurge(env, svc, copies);
      b.response.push(m.responseMs);
      b.published.push(m.publishedMs);
      b.purgeMs.push(m.purgeMs);
      b.eventMs.push(m.eventDurationMs);
      b.purgeItemsPerSecond.push(m.itemsPerSecond);
      b.purgeRuns.push(m.purgeRuns);
      progress(`  service: paired (a) ${ms(pairedResponse.ms)} ms; response ${ms(m.responseMs)} ms (events published at ${ms(m.publishedMs)} ms); purge ${int(m.messagesDeleted)} copies in ${(m.purgeMs / 1000).toFixed(1)} s = ${int(m.itemsPerSecond)} items/s (${m.purgeRuns} purge run(s); event durationMs ${int(m.eventDurationMs)})`);
    };
    const measureFloor = async () => {
      // The read half of a purge, for reference: the purge must find the keys, the delete floor knows them.
      const readStarted = now();
      const found = await readKeys(env.db, TABLE, floor.messagePartitions, { pageSize: 1000, concurrency: 4 });
      if (found !== copies) throw new Error(`read ${found} keys, expected ${copies}`);
      b.read.push(copies / ((now() - readStarted) / 1000));
      b.floor.push(await deleteFloor(env, floor.messageKeys, bestConcurrency));
      progress(`  floor: ${int(copies)} BatchWriteItem deletes at concurrency ${bestConcurrency}: ${int(b.floor.at(-1)!)} items/s (reading the keys first, as the purge must: ${int(b.read.at(-1)!)} keys/s)`);
    };
    await alternate(run, measureService, measureFloor);
    const started = now();
    await deleteOneByOne(env.db, TABLE, naive.messageKeys);
    b.naive.push(naive.messageKeys.length / ((now() - started) / 1000));
    progress(`  naive: ${int(naive.messageKeys.length)} DeleteItem one at a time: ${int(b.naive.at(-1)!)} items/s`);
  }

  // -- (c) A cloud-sized purge, simulated: the fault proxy enforces a per-partition write limit -------------------
  const PC = config.partitionConversations;
  const PM = config.partitionMessages;
  const ceiling = PC * config.partitionLimit;
  const c = { itemsPerSecond: [] as number[], purgeMs: [] as number[], purgeRuns: [] as number[], refused: [] as number[], calls: [] as number[], refusedWhole: [] as number[], admissible: [] as number[], timelines: [] as number[][] };
  if (config.partitionRuns > 0) {
    const proxy = await startFaultProxy({ target: ddb.endpoint });
    onStop(proxy.close);
    // Only the functions' calls go through the proxy, and only during this case; seeding and checks go straight.
    const route = routeCalls(dynamoDBClient());
    /** The purge through the proxy, and the writes it let through each second (from the deletion request on). */
    const throughProxy = async (user: SeededUser): Promise<{ measure: PurgeMeasure; perSecond: number[] }> => {
      proxy.setFaults({ partitionWriteLimit: { perSecond: config.partitionLimit } });
      proxy.resetStats();
      route.via(proxy.endpoint);
      const perSecond: number[] = [];
      let last = 0;
      const timer = setInterval(() => {
        const written = [...proxy.stats.partitions.values()].reduce((sum, p) => sum + p.written, 0);
        perSecond.push(written - last);
        last = written;
      }, 1000);
      try {
        return { measure: await deleteWithPurge(env, user, user.messageKeys.length), perSecond };
      } finally {
        clearInterval(timer);
        route.via(undefined);
        proxy.clearFaults();
      }
    };
    progress(`(c) warm-up: ${PC} conversations x 200 copies through the proxy`);
    const warm = buildUser('bw', PC, 200);
    await seed(env, 'seed (c) warm-up', [warm]);
    await throughProxy(warm);
    progress(`(c) ${config.partitionRuns} runs: background purge of ${PC} conversations x ${int(PM)} copies, ${config.partitionLimit} writes/s per partition (ceiling ${int(ceiling)} items/s)`);
    for (let run = 0; run < config.partitionRuns; run++) {
      const user = buildUser('bl', PC, PM);
      await seed(env, 'seed (c)', [user]);
      const { measure: m, perSecond } = await throughProxy(user);
      const seconds = m.purgeMs / 1000;
      // The limiter's buckets start full (one second's worth): over T seconds it admits at most limit x (T + 1).
      c.admissible.push((ceiling * (seconds + 1)) / seconds);
      c.timelines.push(perSecond);
      c.itemsPerSecond.push(m.itemsPerSecond);
      c.purgeMs.push(m.purgeMs);
      c.purgeRuns.push(m.purgeRuns);
      c.refused.push([...proxy.stats.partitions.values()].reduce((sum, p) => sum + p.refused, 0));
      c.calls.push(proxy.stats.requests.BatchWriteItem ?? 0);
      c.refusedWhole.push((proxy.stats.requests.BatchWriteItem ?? 0) - (proxy.stats.forwarded.BatchWriteItem ?? 0));
      progress(`  run ${run + 1}: ${int(m.messagesDeleted)} copies in ${seconds.toFixed(1)} s = ${int(m.itemsPerSecond)} items/s = ${pct(m.itemsPerSecond / ceiling)} of the ceiling, ${pct(m.itemsPerSecond / c.admissible.at(-1)!)} of what the limiter could admit in that time; ${int(c.calls.at(-1)!)} BatchWriteItem calls (${int(c.refusedWhole.at(-1)!)} refused whole), ${int(c.refused.at(-1)!)} writes refused by the limit; written per second: ${perSecond.join(' ')}`);
    }
  }

  // -- Optional: the purge with other parameters, run directly, each paired with a floor run next to it ----------
  const experiments = new Map<string, { rates: number[]; ratios: number[] }>(config.experiments.map((v) => [variantName(v), { rates: [], ratios: [] }]));
  if (config.experiments.length > 0) {
    const ec = config.experimentConversations;
    progress(`purge experiments: ${ec} conversations x ${int(M)} messages per variant, each next to a floor run of the same size, ${config.experimentRounds} round(s)`);
    for (let round = 0; round < config.experimentRounds; round++) {
      const order: PurgeVariant[] = round % 2 === 0 ? config.experiments : [...config.experiments].reverse();
      for (const [i, v] of order.entries()) {
        const user = buildUser('bx', ec, M);
        const floorUser = buildUser('by', ec, M);
        await seed(env, `experiment ${variantName(v)}`, [user, floorUser]);
        const targets = user.conversationIDs.map((conversationID) => ({ conversationID, clearSeq: M, afterSeq: 0 }));
        const runVariant = async () => {
          const started = now();
          const deleted = await purgeWithVariant(env.db, TABLE, user.userID, targets, v);
          if (deleted !== ec * M) throw new Error(`${variantName(v)} deleted ${deleted}, expected ${ec * M}`);
          return deleted / ((now() - started) / 1000);
        };
        let rate: number;
        let floorRate: number;
        if ((round + i) % 2 === 0) {
          rate = await runVariant();
          floorRate = await deleteFloor(env, floorUser.messageKeys, bestConcurrency);
        } else {
          floorRate = await deleteFloor(env, floorUser.messageKeys, bestConcurrency);
          rate = await runVariant();
        }
        experiments.get(variantName(v))!.rates.push(rate);
        experiments.get(variantName(v))!.ratios.push(rate / floorRate);
        progress(`  round ${round + 1}: ${variantName(v)}: ${int(rate)} items/s, floor ${int(floorRate)} items/s = ${pct(rate / floorRate)}`);
      }
    }
  }

  // -- Optional: the inline purge of many small histories, run directly with other strategies -----------------------
  const inlineExperiments = new Map<string, number[]>(config.inlineExperiments.map((v) => [v, []]));
  if (config.inlineExperiments.length > 0) {
    const im = config.inlineMessages;
    progress(`inline purge experiments: ${N} conversations x ${im} message(s), ${config.runs} round(s)`);
    for (let round = 0; round < config.runs; round++) {
      const order = round % 2 === 0 ? config.inlineExperiments : [...config.inlineExperiments].reverse();
      const users = order.map((v) => ({ v, user: buildUser('bq', N, im) }));
      await seed(env, `inline experiments round ${round + 1}`, users.map((u) => u.user));
      for (const { v, user } of users) {
        const targets = user.conversationIDs.map((conversationID) => ({ conversationID, clearSeq: im, afterSeq: 0 }));
        const started = now();
        const deleted = v.startsWith('blind')
          ? await purgeBlindRange(env.db, TABLE, user.userID, targets, { chunks: 32, mark: v === 'blind' })
          : v.startsWith('across')
            ? await purgeAcrossConversations(env.db, TABLE, user.userID, targets, { parallel: Number(v.slice('across'.length)), chunks: 16 })
            : await purgeWithVariant(env.db, TABLE, user.userID, targets, { conversations: Number(v), chunks: 16, pageSize: 1000 });
        if (deleted !== N * im) throw new Error(`inline variant ${v} deleted ${deleted}, expected ${N * im}`);
        inlineExperiments.get(v)!.push(now() - started);
      }
      progress(`  round ${round + 1}: ${order.map((v) => `${v}: ${ms(inlineExperiments.get(v)!.at(-1)!)} ms`).join(', ')}`);
    }
  }

  // -- Report --------------------------------------------------------------------------------------------------------
  const aService = median(a.service);
  const aFloor = median(a.floor);
  const aInline = median(a.inline);
  const rows: string[][] = [
    [
      `(a) delete ${N} conversations, no history: response over HTTP (median of ${a.service.length})`,
      `${ms(aService)} ms`,
      `${ms(aFloor)} ms (${Math.ceil(N / 25)} BatchWriteItem calls of 25 puts, in parallel, SDK straight)`,
      `${ratio(aService / aFloor)} the floor`,
      '-',
    ],
    [
      `(a) reference: the floor as the service writes tombstones, ${N} conditional UpdateItem calls in parallel (median of ${a.conditionalFloor.length})`,
      '-',
      `${ms(median(a.conditionalFloor))} ms`,
      `service = ${ratio(aService / median(a.conditionalFloor))} it`,
      '-',
    ],
    [
      `(a3) same as (a) with undo on (the default: each tombstone saves what it replaces) (median of ${a3.service.length})`,
      `${ms(median(a3.service))} ms`,
      `${ms(median(a3.floor))} ms (the same floor, measured beside it)`,
      `${ratio(median(a3.service) / median(a3.floor))} the floor; ${ratio(median(a3.service) / aService)} case (a)`,
      '-',
    ],
    [
      `(a2) same, 1 message each (${N} copies, inline purge budget 400 ms; purge finished inline in ${a.inlineStates.filter((x) => x === 'complete').length} of ${a.inline.length} runs) (median of ${a.inline.length})`,
      `${ms(aInline)} ms`,
      '-',
      `${ratio(aInline / aService)} case (a)`,
      '-',
    ],
  ];
  if (b.response.length > 0) {
    const bResponse = median(b.response);
    const purge = median(b.purgeItemsPerSecond);
    const floorRate = median(b.floor);
    const naiveRate = median(b.naive);
    const readDeleteFloor = median(b.read.map((r, i) => 1 / (1 / r + 1 / b.floor[i]!)));
    const pairedRatio = median(b.response.map((r, i) => r / b.paired[i]!));
    rows.push(
      [
        `(b1) delete ${N} conversations x ${int(M)} messages: response over HTTP (median of ${b.response.length})`,
        `${ms(bResponse)} ms`,
        `case (a): ${ms(aService)} ms; (a) repeated in the same run just before (b1): ${ms(median(b.paired))} ms`,
        `${ratio(bResponse / aService)} case (a); ${ratio(pairedRatio)} the paired (a) (median of per-run ratios)`,
        `<= 1.5x: ${bResponse / aService <= 1.5 ? 'met' : 'NOT met'} vs (a), ${pairedRatio <= 1.5 ? 'met' : 'NOT met'} vs the paired (a)`,
      ],
      [
        `(b2) background purge of ${int(copies)} copies (median of ${b.purgeItemsPerSecond.length})`,
        `${int(purge)} items/s (${(median(b.purgeMs) / 1000).toFixed(1)} s)`,
        `${int(floorRate)} items/s (${int(copies)} BatchWriteItem deletes, ${bestConcurrency} calls in flight)`,
        `${pct(purge / floorRate)} of the floor`,
        `>= 80%: ${purge / floorRate >= 0.8 ? 'met' : 'NOT met'}`,
      ],
      [
        `(b2) reference: floor including reading the keys (keys-only Query pages of 1000, then the deletes; sequential sum)`,
        '-',
        `${int(readDeleteFloor)} items/s (reads alone: ${int(median(b.read))} keys/s)`,
        `purge = ${pct(purge / readDeleteFloor)} of it`,
        '-',
      ],
      [
        `(b2) naive loop: one DeleteItem at a time (${int(config.naiveItems)}-item sample, median of ${b.naive.length})`,
        '-',
        `${int(naiveRate)} items/s`,
        `purge = ${ratio(purge / naiveRate)} the naive loop`,
        '-',
      ],
    );
  }
  if (c.itemsPerSecond.length > 0) {
    const rate = median(c.itemsPerSecond);
    const strict = median(c.itemsPerSecond.map((r, i) => r / c.admissible[i]!));
    rows.push([
      `(c) cloud-sized purge, simulated: background purge of ${PC} conversations x ${int(PM)} copies, ${config.partitionLimit} writes/s per partition (median of ${c.itemsPerSecond.length})`,
      `${int(rate)} items/s (${(median(c.purgeMs) / 1000).toFixed(1)} s)`,
      `ceiling ${int(ceiling)} items/s (${PC} partitions x ${config.partitionLimit} writes/s); the limiter, whose buckets start with a second's worth, admits at most ${int(median(c.admissible))} items/s over such a run`,
      `${pct(rate / ceiling)} of the ceiling; ${pct(strict)} of what the limiter admits (median of per-run ratios)`,
      `>= 80%: ${strict >= 0.8 ? 'met' : 'NOT met'} (on the stricter ratio)`,
    ]);
  }
  const table = [
    '| case | service | raw floor / reference | ratio | target |',
    '|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');

  const out: string[] = [];
  out.push('', '## Deletion benchmark', '');
  out.push(`Machine: ${machineLine}. Load average at the end (1/5/15 min): ${load()}.`);
  out.push(
    `Each figure is the median of several runs with fresh users, so every run deletes real data; the floor is measured in the same run, alternating which goes first. ` +
      `Case (a) has ${config.runs} runs; the heavy case (b) has ${config.heavyRuns} (fewer, since each seeds about ${int(copies * 2 + config.naiveItems)} items). ` +
      `Seeded with the service's key shapes and item builders: for the deleting user, what POST /v1/messages leaves (timeline counter at seq = messages, the user's copies, the live conversation item); the peers' copies are not written (a deletion never touches them). ` +
      `The service runs in the same Node process as the benchmark (local HTTP API, real handlers, local event bus); ` +
      `the purge's time runs from its ${DETAIL_TYPES.historyPurgeRequested} event to its ${DETAIL_TYPES.historyPurged} event.`,
  );
  out.push('', table, '');
  out.push('Raw figures (per run):');
  out.push(`- (a) service ms: ${list(a.service)}; ConversationsDeleted event reached the bus at ms: ${list(a.published)}; floor ms: ${list(a.floor)}; (a2) ms: ${list(a.inline)} (historyPurge: ${a.inlineStates.join(', ')})`);
  if (b.response.length > 0) {
    out.push(`- (b1) response ms: ${list(b.response)}; events reached the bus at ms: ${list(b.published)}; paired (a) in the same run, just before: ${list(b.paired)} ms`);
    out.push(`- (b2) purge items/s: ${list(b.purgeItemsPerSecond, int)}; purge s: ${list(b.purgeMs.map((x) => x / 1000), (x) => x.toFixed(1))}; event durationMs: ${list(b.eventMs, int)}; purge runs: ${b.purgeRuns.join(', ')}`);
    out.push(`- (b2) floor items/s at concurrency ${bestConcurrency}: ${list(b.floor, int)}; key reads keys/s: ${list(b.read, int)}; naive items/s: ${list(b.naive, int)}`);
  }
  if (c.itemsPerSecond.length > 0) {
    out.push(`- (c) purge items/s: ${list(c.itemsPerSecond, int)}; purge s: ${list(c.purgeMs.map((x) => x / 1000), (x) => x.toFixed(1))}; purge runs: ${c.purgeRuns.join(', ')}; BatchWriteItem calls: ${list(c.calls, int)} (refused whole: ${list(c.refusedWhole, int)}); writes refused by the partition limit: ${list(c.refused, int)}${c.timelines.length > 0 ? `; items written per second through the proxy, from the deletion request on, each run: ${c.timelines.map((t) => t.join(' ')).join(' | ')}` : ''}`);
  }
  if (calibration.size > 1 && [...calibration.values()].some((v) => v.length > 0)) {
    out.push(`- floor calibration (${int(config.calibrationItems)} deletes, items/s, median of ${config.calibrationRounds}): ${[...calibration.entries()].map(([c, v]) => `${c} in flight: ${int(median(v))}`).join('; ')}`);
  }
  if (experiments.size > 0) {
    out.push(`- purge variants run directly (${config.experimentConversations} conversations x ${int(M)} messages; items/s and share of a floor run of the same size right next to it; median of ${config.experimentRounds}):`);
    for (const [name, e] of experiments) out.push(`  - ${name}: ${int(median(e.rates))} items/s, ${pct(median(e.ratios))} of the floor (per round: ${e.ratios.map(pct).join(', ')})`);
  }
  if (inlineExperiments.size > 0) {
    out.push(`- inline purge of ${N} conversations x ${config.inlineMessages} message(s) run directly (ms, median of ${config.runs}; a number = purge-history.ts's loop with that many conversations at once, across<n> = one Query per conversation n at a time, one BatchWriteItem pass across conversations, marks in parallel; blind = no Query, delete every key of each range, marks in parallel; blind-nomark = the same without the marks):`);
    for (const [name, times] of inlineExperiments) out.push(`  - ${name}: ${ms(median(times))} ms (${list(times)})`);
  }
  const errors = new Map<string, number>();
  for (const e of backgroundErrors) errors.set(e.slice(0, 200), (errors.get(e.slice(0, 200)) ?? 0) + 1);
  if (errors.size > 0) out.push(`- background errors reported by the local bus: ${[...errors.entries()].map(([e, n]) => `${n}x ${e}`).join('; ')}`);
  out.push(`- total runtime ${((now() - wallStart) / 1000).toFixed(0)} s`);
  console.log(out.join('\n'));
};

try {
  await main();
} catch (error) {
  if (isStopping()) progress(`interrupted (${(error as Error).message})`);
  else progress(`benchmark failed: ${(error as Error).stack ?? String(error)}`);
  process.exitCode = 1;
} finally {
  await stopAll();
}
process.exit(process.exitCode ?? 0);
