import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { type DynamoDBDocumentClient, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ConversationRef } from '#contracts/ids.js';
import { ENV, optionalSecondsEnv, requireEnv } from '#contracts/environment.js';
import {
  CONVERSATIONS_BY_TIME_INDEX,
  DELETION_RECORD_RETENTION_DAYS,
  PENDING_PURGES_INDEX,
  PURGE_SWEEP,
  TIMELINE_SEQUENCE,
  TTL_ATTRIBUTE,
  keys,
  pendingPurgeShard,
  purgeDueAt,
  seqKey,
} from '#contracts/table.js';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { metrics } from '#observability/metrics.js';
import { METRIC } from '#observability/names.js';
import { defineAdapter } from '#wiring/define.js';
import { documentClient } from './client.js';
import type { ConversationState, DeletionRecord, DeletionRepository, Tombstone, TombstoneWrite } from '#domain/ports/deletions.js';
import { batchGet, keyString } from './batch-reader.js';
import type { BatchWriteOptions } from './batch-writer.js';
import { writtenIf } from './conditional.js';
import { isThrottling, retryPartial } from '../retry.js';
import { PARTIAL_RETRY } from '../retry-policy.js';
import { queryAll } from './query-all.js';
import { type ConversationItem, conversationFields, isLive, LIVE_ATTRIBUTES, setClause, tombstoneFields, toMessage } from './conversation-items.js';

/** What a deletion needs of a conversation item and its timeline counter: not the last message, not the counts. */
const STATE_ATTRIBUTES = [CONVERSATIONS_BY_TIME_INDEX.sortKey, 'clearSeq', 'deletedSeq', 'purgedSeq', TIMELINE_SEQUENCE];

export type DeletionRepositoryOptions = Pick<BatchWriteOptions, 'backoff' | 'onRetry'> & {
  /** How long the purge a deletion asks for has before the sweeper re-drives it. @default PURGE_SWEEP.handoffSeconds */
  purgeHandoffSeconds?: number;
};

/** Conditional rounds of one tombstone write; each failed round means another deletion raised a point meanwhile. */
const MAX_MERGE_ROUNDS = 8;

export class DynamoDeletionRepository implements DeletionRepository {
  public constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly options: DeletionRepositoryOptions = {},
  ) {}

  public async readStates(userID: string, refs: ConversationRef[]): Promise<Map<string, ConversationState>> {
    const conversationKeys = refs.map((r) => keys.conversation(userID, r.conversationID));
    const timelineKeys = refs.map((r) => keys.timeline(userID, r));
    const found = await batchGet(this.client, this.tableName, [...conversationKeys, ...timelineKeys], STATE_ATTRIBUTES);
    return new Map(
      refs.map((ref, i) => {
        const item = found.get(keyString(conversationKeys[i]!)) as ConversationItem | undefined;
        const timeline = found.get(keyString(timelineKeys[i]!));
        return [
          ref.conversationID,
          {
            live: isLive(item),
            clearSeq: item?.clearSeq ?? 0,
            deletedSeq: item?.deletedSeq ?? 0,
            purgedSeq: item?.purgedSeq ?? 0,
            timelineSeq: (timeline?.[TIMELINE_SEQUENCE] as number | undefined) ?? 0,
          },
        ];
      }),
    );
  }

  public async readTimelineSequences(userID: string, refs: ConversationRef[]): Promise<Map<string, number>> {
    const timelineKeys = refs.map((r) => keys.timeline(userID, r));
    const found = await batchGet(this.client, this.tableName, timelineKeys, [TIMELINE_SEQUENCE]);
    return new Map(refs.map((ref, i) => [ref.conversationID, (found.get(keyString(timelineKeys[i]!))?.[TIMELINE_SEQUENCE] as number | undefined) ?? 0]));
  }

  public async writeTombstones(userID: string, tombstones: Tombstone[], deadline: number): Promise<Map<string, TombstoneWrite>> {
    const outcomes = new Map<string, TombstoneWrite>();
    const policy = PARTIAL_RETRY.batchWrite;
    const backoff = { ...policy.backoff, ...this.options.backoff };
    let lastThrottle = 'throttled';
    const retried = await retryPartial(tombstones, {
      // Each round writes every pending tombstone in parallel; what stays throttled after the SDK's retries goes again.
      attempt: async (pending) => {
        const throttled: Tombstone[] = [];
        await Promise.all(
          pending.map(async (t) => {
            try {
              outcomes.set(t.conversationID, await this.writeTombstone(userID, t));
            } catch (error) {
              if (!isThrottling(error)) {
                outcomes.set(t.conversationID, { status: 'failed', reason: `${(error as Error).name}: ${(error as Error).message}` });
                return;
              }
              lastThrottle = (error as Error).name;
              throttled.push(t);
            }
          }),
        );
        return throttled;
      },
      stop: { deadline, maxAttempts: policy.maxAttempts },
      backoff,
      ...(this.options.onRetry ? { onRetry: (pending: readonly Tombstone[]) => this.options.onRetry!(pending.length) } : {}),
    });
    const reason = `${lastThrottle}; gave up ${retried.stop === 'deadline' ? 'at the deadline' : `after ${retried.attempts} attempts`}`;
    for (const t of retried.remaining) outcomes.set(t.conversationID, { status: 'failed', reason });
    return outcomes;
  }

  /**
   * One conditional write: the tombstone replaces the item only if it moves neither point back. If another deletion
   * stored a higher point meanwhile, the write is repeated with the higher of each (what the two asked together),
   * so concurrent deletions converge on the union of what they deleted and cleared, whatever their order.
   */
  private async writeTombstone(userID: string, tombstone: Tombstone): Promise<TombstoneWrite> {
    let { clearSeq, deletedSeq } = tombstone;
    for (let round = 0; round < MAX_MERGE_ROUNDS; round++) {
      const set = setClause({
        ...tombstoneFields({ ...tombstone, clearSeq, deletedSeq }),
        // The latest clear owed: copies it covers may land until some time after it (PURGE_SWEEP.stragglerSeconds).
        ...(tombstone.purgeOwedTo ? { [PENDING_PURGES_INDEX.partitionKey]: pendingPurgeShard(userID), purgeDeletionID: tombstone.purgeOwedTo, purgeClearedAt: tombstone.deletedAt } : {}),
      });
      const remove = LIVE_ATTRIBUTES.map((_, i) => `#r${i}`);
      try {
        await this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: keys.conversation(userID, tombstone.conversationID),
            // An earlier pending purge keeps its due time: the sweeper's bound counts from the first clear owed.
            UpdateExpression:
              `SET ${set.expression}` +
              (tombstone.purgeOwedTo ? `, #due = if_not_exists(#due, :due)` : '') +
              ` REMOVE ${remove.join(', ')}`,
            ConditionExpression: '(attribute_not_exists(clearSeq) OR clearSeq <= :clearSeq) AND (attribute_not_exists(deletedSeq) OR deletedSeq <= :deletedSeq)',
            ExpressionAttributeNames: {
              ...set.names,
              ...Object.fromEntries(LIVE_ATTRIBUTES.map((name, i) => [`#r${i}`, name])),
              ...(tombstone.purgeOwedTo ? { '#due': PENDING_PURGES_INDEX.sortKey } : {}),
            },
            ExpressionAttributeValues: {
              ...set.values,
              ':clearSeq': clearSeq,
              ':deletedSeq': deletedSeq,
              ...(tombstone.purgeOwedTo ? { ':due': purgeDueAt(Date.parse(tombstone.deletedAt), this.options.purgeHandoffSeconds ?? PURGE_SWEEP.handoffSeconds) } : {}),
            },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        return { status: 'written', clearSeq, deletedSeq };
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        const stored = (error.Item ? unmarshall(error.Item) : {}) as ConversationItem;
        clearSeq = Math.max(clearSeq, stored.clearSeq ?? 0);
        deletedSeq = Math.max(deletedSeq, stored.deletedSeq ?? 0);
      }
    }
    return { status: 'failed', reason: `the conversation kept changing under ${MAX_MERGE_ROUNDS} concurrent deletions; repeat the request` };
  }

  public async restoreRacedConversation(userID: string, ref: ConversationRef, deletedSeq: number): Promise<boolean> {
    const messages = (
      await queryAll(this.client, {
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND sk > :after',
        ExpressionAttributeValues: { ':pk': keys.messagePartition(userID, ref.conversationID), ':after': seqKey(deletedSeq) },
        ScanIndexForward: false,
        ConsistentRead: true,
      })
    ).map(toMessage);
    const newest = messages[0];
    if (!newest) return false;
    const unread = messages.filter((m) => m.from !== userID).length;
    const set = setClause(conversationFields(ref, newest));
    const key = keys.conversation(userID, ref.conversationID);
    // Only over this deletion's own tombstone: if a later message re-created the conversation meanwhile it
    // counted itself, and a newer deletion's tombstone (higher deletedSeq) must not be undone.
    const restored = await writtenIf(
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key,
          UpdateExpression: `SET ${set.expression}, unreadCount = :unread REMOVE tombstone, deletedAt`,
          ConditionExpression: 'attribute_not_exists(lastSeq) AND deletedSeq = :deletedSeq',
          ExpressionAttributeNames: set.names,
          ExpressionAttributeValues: { ...set.values, ':unread': unread, ':deletedSeq': deletedSeq },
        }),
      ),
    );
    if (restored) return true;
    await writtenIf(
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key,
          UpdateExpression: `SET ${set.expression}`,
          ConditionExpression: 'lastSeq < :seq',
          ExpressionAttributeNames: set.names,
          ExpressionAttributeValues: { ...set.values, ':seq': newest.sequence },
        }),
      ),
    );
    return true;
  }

  public async countCopies(userID: string, conversationID: string, afterSeq: number, upToSeq: number): Promise<number> {
    if (upToSeq <= afterSeq) return 0;
    let count = 0;
    let startKey: Record<string, unknown> | undefined;
    do {
      // Keys only, counted by DynamoDB: nothing but the count comes back.
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
          ExpressionAttributeValues: { ':pk': keys.messagePartition(userID, conversationID), ':from': seqKey(afterSeq + 1), ':to': seqKey(upToSeq) },
          Select: 'COUNT',
          ExclusiveStartKey: startKey,
        }),
      );
      count += page.Count ?? 0;
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return count;
  }

  public async putDeletionRecord(record: DeletionRecord): Promise<void> {
    const expiresAt = Math.floor(Date.parse(record.deletedAt) / 1000) + DELETION_RECORD_RETENTION_DAYS * 86_400;
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...keys.deletionRecord(record.userID, record.deletedAt, record.deletionID), ...record, [TTL_ATTRIBUTE]: expiresAt },
      }),
    );
  }
}

export const deletionRepository = defineAdapter<DeletionRepository>({
  env: [ENV.tableName, ENV.purgeHandoffSeconds],
  methods: {
    readStates: { table: ['dynamodb:BatchGetItem'] },
    readTimelineSequences: { table: ['dynamodb:BatchGetItem'] },
    writeTombstones: { table: ['dynamodb:UpdateItem'] },
    restoreRacedConversation: { table: ['dynamodb:Query', 'dynamodb:UpdateItem'] },
    putDeletionRecord: { table: ['dynamodb:PutItem'] },
    countCopies: { table: ['dynamodb:Query'] },
  },
  build: () =>
    new DynamoDeletionRepository(documentClient(), requireEnv(ENV.tableName), {
      onRetry: (n) => metrics.addMetric(METRIC.batchRetries, MetricUnit.Count, n),
      purgeHandoffSeconds: optionalSecondsEnv(ENV.purgeHandoffSeconds, PURGE_SWEEP.handoffSeconds),
    }),
});
