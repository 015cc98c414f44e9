import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ConversationRef } from '#contracts/ids.js';
import { ENV, requireEnv } from '#contracts/environment.js';
import { CONVERSATIONS_BY_TIME_INDEX, DELETION_RECORD_RETENTION_DAYS, TIMELINE_SEQUENCE, TTL_ATTRIBUTE, keys, seqKey } from '#contracts/table.js';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { metrics } from '#observability/metrics.js';
import { METRIC } from '#observability/names.js';
import { defineAdapter } from '#wiring/define.js';
import { documentClient } from './client.js';
import type { ConversationState, DeletionRecord, DeletionRepository, Tombstone } from '#domain/ports/deletions.js';
import { batchGet, keyString } from './batch-reader.js';
import { batchWrite, type BatchWriteOptions } from './batch-writer.js';
import { queryAll } from './query-all.js';
import { type ConversationItem, conversationFields, isLive, setClause, tombstoneItem, toMessage } from './conversation-items.js';

/** What a deletion needs of a conversation item and its timeline counter: not the last message, not the counts. */
const STATE_ATTRIBUTES = [CONVERSATIONS_BY_TIME_INDEX.sortKey, 'clearSeq', 'deletedSeq', 'purgedSeq', TIMELINE_SEQUENCE];

export type DeletionRepositoryOptions = Pick<BatchWriteOptions, 'concurrency' | 'backoff' | 'onRetry'>;

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

  public async writeTombstones(userID: string, tombstones: Tombstone[], deadline: number): Promise<Map<string, string>> {
    if (tombstones.length === 0) return new Map();
    const result = await batchWrite(
      this.client,
      tombstones.map((t) => ({ PutRequest: { Item: tombstoneItem(userID, t) } })),
      { tableName: this.tableName, deadline, ...this.options },
    );
    return new Map(result.failed.map((f) => [f.request.PutRequest!.Item.conversationID as string, f.reason]));
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
    try {
      // Only over this deletion's own tombstone: if a later message re-created the conversation meanwhile it
      // counted itself, and a newer deletion's tombstone (higher deletedSeq) must not be undone.
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key,
          UpdateExpression: `SET ${set.expression}, unreadCount = :unread REMOVE tombstone, deletedAt`,
          ConditionExpression: 'attribute_not_exists(lastSeq) AND deletedSeq = :deletedSeq',
          ExpressionAttributeNames: set.names,
          ExpressionAttributeValues: { ...set.values, ':unread': unread, ':deletedSeq': deletedSeq },
        }),
      );
      return true;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key,
          UpdateExpression: `SET ${set.expression}`,
          ConditionExpression: 'lastSeq < :seq',
          ExpressionAttributeNames: set.names,
          ExpressionAttributeValues: { ...set.values, ':seq': newest.sequence },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    return true;
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
  env: [ENV.tableName],
  methods: {
    readStates: { table: ['dynamodb:BatchGetItem'] },
    readTimelineSequences: { table: ['dynamodb:BatchGetItem'] },
    writeTombstones: { table: ['dynamodb:BatchWriteItem'] },
    restoreRacedConversation: { table: ['dynamodb:Query', 'dynamodb:UpdateItem'] },
    putDeletionRecord: { table: ['dynamodb:PutItem'] },
  },
  build: () =>
    new DynamoDeletionRepository(documentClient(), requireEnv(ENV.tableName), { onRetry: (n) => metrics.addMetric(METRIC.batchRetries, MetricUnit.Count, n) }),
});
