import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { noticeOf } from '#contracts/push-messages.js';
import { ENV, requireEnv } from '#contracts/environment.js';
import { keys } from '#contracts/table.js';
import { defineAdapter } from '#wiring/define.js';
import { documentClient } from './client.js';
import type { DeletionKey, DeletionLog, DeletionLogEntry, PushProgress } from '#domain/ports/deletion-log.js';

/**
 * The deletion records (`keys.deletionRecord`) read in time order: the sort key `<deletedAt ISO>#<deletionID>`
 * is the position, so "after a position" is one Query with `sk > :after`.
 */
export class DynamoDeletionLog implements DeletionLog {
  public constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  public async listAfter(userID: string, after: string | null, limit: number): Promise<{ entries: DeletionLogEntry[]; hasMore: boolean }> {
    const entries: DeletionLogEntry[] = [];
    let startKey: Record<string, unknown> | undefined;
    // One more than asked, to tell whether more follow; a Query page may stop short at 1 MB, hence the loop.
    do {
      const response = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: after === null ? 'pk = :pk' : 'pk = :pk AND sk > :after',
          ExpressionAttributeValues: { ':pk': keys.deletionPartition(userID), ...(after === null ? {} : { ':after': after }) },
          // Only what a device needs: clear points and push progress stay behind.
          ProjectionExpression: 'sk, kind, deletionID, conversationIDList, clearHistoryMessage, deletedAt, originDeviceID, restoresDeletionID',
          ScanIndexForward: true,
          Limit: limit + 1 - entries.length,
          ExclusiveStartKey: startKey,
        }),
      );
      entries.push(...(response.Items ?? []).map(toEntry));
      startKey = response.LastEvaluatedKey;
    } while (startKey && entries.length <= limit);
    return { entries: entries.slice(0, limit), hasMore: entries.length > limit };
  }

  public positionAt(time: Date): string {
    // "2025-01-01T00:00:00.000Z" sorts before "2025-01-01T00:00:00.000Z#<id>" and after every earlier record.
    return time.toISOString();
  }
}

const toEntry = (item: Record<string, unknown>): DeletionLogEntry => ({ position: item.sk as string, notice: noticeOf(item as unknown as Parameters<typeof noticeOf>[0]) });

/** Attribute of the deletion record listing the connections its push reached (a string set). */
const PUSHED_TO = 'pushedConnectionIDs';

/**
 * Push progress kept on the deletion record itself, so it expires with it. The event goes out alongside the record:
 * if a first push fails before the record has landed, nothing is stored and the retry posts to every device again.
 */
export class DynamoPushProgress implements PushProgress {
  public constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  public async served(deletion: DeletionKey): Promise<Set<string>> {
    const response = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: keys.deletionRecord(deletion.userID, deletion.deletedAt, deletion.deletionID),
        ProjectionExpression: '#pushed',
        ExpressionAttributeNames: { '#pushed': PUSHED_TO },
        ConsistentRead: true,
      }),
    );
    return new Set((response.Item?.[PUSHED_TO] as Set<string> | undefined) ?? []);
  }

  public async recordServed(deletion: DeletionKey, connectionIDs: string[]): Promise<void> {
    if (connectionIDs.length === 0) return;
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.deletionRecord(deletion.userID, deletion.deletedAt, deletion.deletionID),
          UpdateExpression: 'ADD #pushed :ids',
          // Never create a stub record: without the record there is nothing to resume, and the retry posts to all.
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#pushed': PUSHED_TO },
          ExpressionAttributeValues: { ':ids': new Set(connectionIDs) },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}

export const deletionLog = defineAdapter<DeletionLog>({
  env: [ENV.tableName],
  methods: { listAfter: { table: ['dynamodb:Query'] }, positionAt: {} },
  build: () => new DynamoDeletionLog(documentClient(), requireEnv(ENV.tableName)),
});

export const pushProgress = defineAdapter<PushProgress>({
  env: [ENV.tableName],
  methods: { served: { table: ['dynamodb:GetItem'] }, recordServed: { table: ['dynamodb:UpdateItem'] } },
  build: () => new DynamoPushProgress(documentClient(), requireEnv(ENV.tableName)),
});
