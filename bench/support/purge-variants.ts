/**
 * The background purge with its parameters exposed, for the investigation mode (BENCH_PURGE_EXPERIMENTS):
 * the same DynamoHistoryPurger the service uses, driven like functions/domain/purge-history.ts but with the
 * conversation concurrency (all of a job's there), the chunk concurrency and the Query page size as inputs.
 */
import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import pLimit from 'p-limit';
import { batchWrite } from '#adapters/dynamodb/batch-writer.js';
import { DynamoHistoryPurger } from '#adapters/dynamodb/history-purger.js';
import type { PurgeTarget } from '#contracts/events.js';
import { keys as tableKeys, seqKey } from '#contracts/table.js';

export type PurgeVariant = {
  /** Conversations purged at once (service: all of a job's, up to 100). */
  conversations: number;
  /** BatchWriteItem chunks in flight per conversation (service: 16). */
  chunks: number;
  /** Keys per Query page (service: 1000). */
  pageSize: number;
  /** No Query: delete every key of the range (afterSeq, clearSeq] blindly, `pageSize` keys at a time. */
  blind?: boolean;
};

export const variantName = (v: PurgeVariant): string =>
  `${v.blind ? 'blind range deletes (no Query), ' : ''}${v.conversations} conv x ${v.chunks} chunks, ${v.blind ? 'slices' : 'page'} of ${v.pageSize}`;

/** Parses "4x16x1000,1x16x1000,blind4x16x1000": [blind]conversations x chunks x pageSize. */
export const parseVariants = (spec: string): PurgeVariant[] =>
  spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => {
      const blind = s.startsWith('blind');
      const [conversations, chunks, pageSize] = (blind ? s.slice('blind'.length) : s).split('x').map(Number);
      if (!conversations || !chunks || !pageSize) throw new Error(`purge variant ${JSON.stringify(s)}: write [blind]conversations x chunks x pageSize, e.g. 4x16x1000`);
      return { conversations, chunks, pageSize, ...(blind ? { blind } : {}) };
    });

export const purgeWithVariant = async (
  client: DynamoDBDocumentClient,
  tableName: string,
  userID: string,
  targets: readonly PurgeTarget[],
  variant: PurgeVariant,
): Promise<number> => {
  const purger = new DynamoHistoryPurger(client, tableName, { concurrency: variant.chunks, pageSize: variant.pageSize });
  const limit = pLimit(variant.conversations);
  const deadline = Date.now() + 10 * 60_000;
  let deleted = 0;
  await Promise.all(
    targets.map((target) =>
      limit(async () => {
        if (variant.blind) {
          for (let from = target.afterSeq + 1; from <= target.clearSeq; from += variant.pageSize) {
            const to = Math.min(target.clearSeq, from + variant.pageSize - 1);
            const slice = Array.from({ length: to - from + 1 }, (_, i) => ({ DeleteRequest: { Key: tableKeys.message(userID, target.conversationID, from + i) } }));
            const result = await batchWrite(client, slice, { tableName, deadline, concurrency: variant.chunks });
            if (result.failed.length > 0) throw new Error(`${result.failed.length} deletes failed`);
            deleted += slice.length;
          }
        } else {
          const progress = await purger.purgeRange(userID, target, deadline);
          deleted += progress.deleted;
          if (!progress.done) throw new Error(`purge of ${target.conversationID} stopped early`);
        }
        await purger.markPurged(userID, target.conversationID, target.clearSeq, new Date().toISOString());
      }),
    ),
  );
  return deleted;
};

/**
 * An alternative for the inline purge of many small histories (investigation only): one keys-only Query per
 * conversation, all at once, then every key in one parallel BatchWriteItem pass across conversations (a chunk
 * may mix partitions), then the purged marks in parallel: three waves of round trips instead of three per
 * conversation.
 */
export const purgeAcrossConversations = async (
  client: DynamoDBDocumentClient,
  tableName: string,
  userID: string,
  targets: readonly PurgeTarget[],
  options: { parallel: number; chunks: number },
): Promise<number> => {
  const purger = new DynamoHistoryPurger(client, tableName);
  const limit = pLimit(options.parallel);
  const found = await Promise.all(
    targets.map((t) =>
      limit(async () => {
        const keys: Record<string, unknown>[] = [];
        let startKey: Record<string, unknown> | undefined;
        do {
          const page = await client.send(
            new QueryCommand({
              TableName: tableName,
              KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
              ExpressionAttributeValues: { ':pk': tableKeys.messagePartition(userID, t.conversationID), ':from': seqKey(t.afterSeq + 1), ':to': seqKey(t.clearSeq) },
              ProjectionExpression: 'pk, sk',
              ConsistentRead: true,
              ExclusiveStartKey: startKey,
            }),
          );
          keys.push(...(page.Items ?? []));
          startKey = page.LastEvaluatedKey;
        } while (startKey);
        return keys;
      }),
    ),
  );
  const all = found.flat();
  const result = await batchWrite(client, all.map((Key) => ({ DeleteRequest: { Key } })), { tableName, deadline: Date.now() + 60_000, concurrency: options.chunks });
  if (result.failed.length > 0) throw new Error(`${result.failed.length} deletes failed`);
  await Promise.all(targets.map((t) => limit(() => purger.markPurged(userID, t.conversationID, t.clearSeq, new Date().toISOString()))));
  return all.length;
};

/**
 * Another alternative for small histories (investigation only): no Query at all. The inline path only runs when
 * clearSeq - afterSeq is small (<= 500 in total), so delete every key of the range blindly (a BatchWriteItem
 * delete of a missing key is a no-op), all chunks in parallel. `mark` adds the per-conversation purged marks
 * (UpdateItem each); without it, the cost if purgedSeq were written with the tombstone instead.
 */
export const purgeBlindRange = async (
  client: DynamoDBDocumentClient,
  tableName: string,
  userID: string,
  targets: readonly PurgeTarget[],
  options: { chunks: number; mark: boolean },
): Promise<number> => {
  const requests = targets.flatMap((t) =>
    Array.from({ length: Math.max(0, t.clearSeq - t.afterSeq) }, (_, i) => ({ DeleteRequest: { Key: tableKeys.message(userID, t.conversationID, t.afterSeq + 1 + i) } })),
  );
  const result = await batchWrite(client, requests, { tableName, deadline: Date.now() + 60_000, concurrency: options.chunks });
  if (result.failed.length > 0) throw new Error(`${result.failed.length} deletes failed`);
  if (options.mark) {
    const purger = new DynamoHistoryPurger(client, tableName);
    const limit = pLimit(32);
    await Promise.all(targets.map((t) => limit(() => purger.markPurged(userID, t.conversationID, t.clearSeq, new Date().toISOString()))));
  }
  return requests.length;
};
