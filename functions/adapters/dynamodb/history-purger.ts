import { type DynamoDBDocumentClient, QueryCommand, type QueryCommandOutput, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { PurgeTarget } from '#contracts/events.js';
import { ENV, optionalSecondsEnv, requireEnv } from '#contracts/environment.js';
import { keys, PENDING_PURGES_INDEX, PURGE_SWEEP, RESTORE_WRITE_MARGIN_SECONDS, seqFromKey, seqKey } from '#contracts/table.js';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { metrics } from '#observability/metrics.js';
import { METRIC } from '#observability/names.js';
import { defineAdapter } from '#wiring/define.js';
import { documentClient } from './client.js';
import type { HistoryPurger, PurgeProgress, StoredClearPoint } from '#domain/ports/history-purge.js';
import { batchGet, keyString } from './batch-reader.js';
import { batchWrite, type BatchWriteOptions } from './batch-writer.js';
import { writtenIf } from './conditional.js';
import { UNDO_SAVED, undoCopy } from './conversation-items.js';

export type HistoryPurgerOptions = Pick<BatchWriteOptions, 'concurrency' | 'backoff' | 'onRetry'> & {
  /** Keys read per Query page. @default 1000 */
  pageSize?: number;
  /** @default PURGE_SWEEP.stragglerSeconds */
  stragglerSeconds?: number;
};

export class DynamoHistoryPurger implements HistoryPurger {
  public constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly options: HistoryPurgerOptions = {},
  ) {}

  public async purgeRange(userID: string, target: PurgeTarget, deadline: number): Promise<PurgeProgress> {
    // A cursor at the clear point means done (and an empty BETWEEN range would be refused by DynamoDB).
    if (target.afterSeq >= target.clearSeq) return { deleted: 0, afterSeq: target.clearSeq, done: true };
    const pk = keys.messagePartition(userID, target.conversationID);
    const readPage = (startKey?: Record<string, unknown>): Promise<QueryCommandOutput> =>
      this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
          ExpressionAttributeValues: { ':pk': pk, ':from': seqKey(target.afterSeq + 1), ':to': seqKey(target.clearSeq) },
          ProjectionExpression: 'pk, sk',
          ConsistentRead: true,
          Limit: this.options.pageSize ?? 1000,
          ExclusiveStartKey: startKey,
        }),
      );
    let deleted = 0;
    let afterSeq = target.afterSeq;
    let page = await readPage();
    for (;;) {
      const items = (page.Items ?? []) as { pk: string; sk: string }[];
      // Read the next page while this one is deleted: the purge is bound by write throughput, not reads.
      const next = page.LastEvaluatedKey ? readPage(page.LastEvaluatedKey) : undefined;
      next?.catch(() => undefined);
      if (items.length > 0) {
        const result = await batchWrite(this.client, items.map((Key) => ({ DeleteRequest: { Key } })), {
          tableName: this.tableName,
          deadline,
          concurrency: this.options.concurrency ?? 16,
          ...(this.options.backoff ? { backoff: this.options.backoff } : {}),
          ...(this.options.onRetry ? { onRetry: this.options.onRetry } : {}),
        });
        deleted += items.length - result.failed.length;
        if (result.failed.length > 0) {
          // The cursor moves only past what is confirmed gone: below the lowest key that failed.
          const lowest = Math.min(...result.failed.map((f) => seqFromKey(f.request.DeleteRequest!.Key.sk as string)));
          return { deleted, afterSeq: Math.max(afterSeq, lowest - 1), done: false };
        }
        afterSeq = seqFromKey(items[items.length - 1]!.sk);
      }
      if (!next || afterSeq >= target.clearSeq) return { deleted, afterSeq: target.clearSeq, done: true };
      if (Date.now() >= deadline) return { deleted, afterSeq, done: false };
      page = await next;
    }
  }

  public async readClearPoints(userID: string, conversationIDs: readonly string[]): Promise<Map<string, StoredClearPoint>> {
    const conversationKeys = conversationIDs.map((id) => keys.conversation(userID, id));
    const found = await batchGet(this.client, this.tableName, conversationKeys, ['clearSeq', 'restorableUntil']);
    return new Map(
      conversationIDs.map((id, i) => {
        const item = found.get(keyString(conversationKeys[i]!));
        return [id, { clearSeq: (item?.clearSeq as number | undefined) ?? 0, restorableUntil: (item?.restorableUntil as string | undefined) ?? null }];
      }),
    );
  }

  public async recordPurged(userID: string, deletionID: string, count: number): Promise<void> {
    if (count <= 0) return;
    // On the deletion's status, never creating one (a purge of a deletion whose record has expired counts nowhere).
    await writtenIf(
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.deletionStatus(userID, deletionID),
          UpdateExpression: 'ADD messagesPurged :n',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':n': count },
        }),
      ),
    );
  }

  public async markPurged(userID: string, conversationID: string, clearSeq: number, passStartedAt: string): Promise<void> {
    const key = keys.conversation(userID, conversationID);
    const names = { '#shard': PENDING_PURGES_INDEX.partitionKey, '#due': PENDING_PURGES_INDEX.sortKey };
    const undoNames = Object.fromEntries(UNDO_SAVED.map((attribute, i) => [`#u${i}`, undoCopy(attribute)]));
    const stragglerMs = (this.options.stragglerSeconds ?? PURGE_SWEEP.stragglerSeconds) * 1000;
    const clearedBefore = new Date(Date.parse(passStartedAt) - stragglerMs).toISOString();
    // The purge reached the stored clear point in a pass begun once no copy the clear covers could still land:
    // record it and leave the pending-purges index in one write. The saved copies of an undoable change go too when
    // it can no longer be undone: the last message's text must not outlive the history it previewed. (A change made
    // since the purge read its limits may still be undoable: then its copies stay, and only the debt closes.)
    const close = (removeUndo: boolean) =>
      writtenIf(
        this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: key,
            UpdateExpression:
              'SET purgedSeq = :seq, purgedAt = :now REMOVE #shard, #due, purgeDeletionID, purgeClearedAt' + (removeUndo ? `, ${Object.keys(undoNames).join(', ')}` : ''),
            ConditionExpression:
              'attribute_exists(pk) AND (attribute_not_exists(clearSeq) OR clearSeq <= :seq) AND (attribute_not_exists(purgedSeq) OR purgedSeq <= :seq)' +
              ' AND (attribute_not_exists(purgeClearedAt) OR purgeClearedAt <= :clearedBefore)' +
              (removeUndo ? ' AND (attribute_not_exists(restorableUntil) OR restorableUntil <= :undoneBefore)' : ''),
            ExpressionAttributeNames: { ...names, ...(removeUndo ? undoNames : {}) },
            ExpressionAttributeValues: {
              ':seq': clearSeq,
              ':clearedBefore': clearedBefore,
              ':now': new Date().toISOString(),
              ...(removeUndo ? { ':undoneBefore': new Date(Date.now() - RESTORE_WRITE_MARGIN_SECONDS * 1000).toISOString() } : {}),
            },
          }),
        ),
      );
    const closed = (await close(true)) || (await close(false));
    if (closed) return;
    // A newer clear raised the clear point meanwhile (that purge is still owed), or the pass began too soon after the
    // clear to rule out a straggler: the item stays pending, and the sweeper verifies it once more.
    await writtenIf(
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key,
          UpdateExpression: 'SET purgedSeq = :seq',
          ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(purgedSeq) OR purgedSeq < :seq)',
          ExpressionAttributeValues: { ':seq': clearSeq },
        }),
      ),
    );
  }
}

export const historyPurger = defineAdapter<HistoryPurger>({
  env: [ENV.tableName, ENV.purgeStragglerSeconds],
  methods: {
    purgeRange: { table: ['dynamodb:Query', 'dynamodb:BatchWriteItem'] },
    markPurged: { table: ['dynamodb:UpdateItem'] },
    readClearPoints: { table: ['dynamodb:BatchGetItem'] },
    recordPurged: { table: ['dynamodb:UpdateItem'] },
  },
  build: () =>
    new DynamoHistoryPurger(documentClient(), requireEnv(ENV.tableName), {
      onRetry: (n) => metrics.addMetric(METRIC.batchRetries, MetricUnit.Count, n),
      stragglerSeconds: optionalSecondsEnv(ENV.purgeStragglerSeconds, PURGE_SWEEP.stragglerSeconds),
    }),
});
