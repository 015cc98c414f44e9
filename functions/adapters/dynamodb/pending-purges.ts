import { type DynamoDBDocumentClient, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ENV, requireEnv } from '#contracts/environment.js';
import { allPendingPurgeShards, keys, PENDING_PURGES_INDEX } from '#contracts/table.js';
import type { PendingPurge, PendingPurges } from '#domain/ports/pending-purges.js';
import { defineAdapter } from '#wiring/define.js';
import { documentClient } from './client.js';
import { writtenIf } from './conditional.js';
import type { ConversationItem } from './conversation-items.js';

const NAMES = { '#shard': PENDING_PURGES_INDEX.partitionKey, '#due': PENDING_PURGES_INDEX.sortKey };

/** The sparse pending-purges index (contracts/table.ts): a clearing tombstone enters it, markPurged leaves it. */
export class DynamoPendingPurges implements PendingPurges {
  public constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  public async listDue(now: Date, limit: number): Promise<PendingPurge[]> {
    const pages = await Promise.all(
      allPendingPurgeShards().map((shard) =>
        this.client.send(
          new QueryCommand({
            TableName: this.tableName,
            IndexName: PENDING_PURGES_INDEX.name,
            KeyConditionExpression: '#shard = :shard AND #due <= :now',
            ExpressionAttributeNames: NAMES,
            ExpressionAttributeValues: { ':shard': shard, ':now': now.toISOString() },
            Limit: limit,
          }),
        ),
      ),
    );
    return pages
      .flatMap((page) => (page.Items ?? []) as (ConversationItem & { purgeDueAt: string })[])
      .map((item) => ({
        userID: keys.userOfConversationPartition(item.pk),
        conversationID: item.conversationID,
        clearSeq: item.clearSeq ?? 0,
        purgedSeq: item.purgedSeq ?? 0,
        dueAt: item.purgeDueAt,
        deletionID: item.purgeDeletionID ?? 'unknown',
      }))
      .sort((a, b) => a.dueAt.localeCompare(b.dueAt))
      .slice(0, limit);
  }

  public async lease(purge: PendingPurge, until: string): Promise<boolean> {
    return writtenIf(
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.conversation(purge.userID, purge.conversationID),
          UpdateExpression: 'SET #due = :until',
          ConditionExpression: '#due = :listed',
          ExpressionAttributeNames: { '#due': PENDING_PURGES_INDEX.sortKey },
          ExpressionAttributeValues: { ':until': until, ':listed': purge.dueAt },
        }),
      ),
    );
  }
}

export const pendingPurges = defineAdapter<PendingPurges>({
  env: [ENV.tableName],
  methods: {
    listDue: { pendingPurgesIndex: ['dynamodb:Query'] },
    lease: { table: ['dynamodb:UpdateItem'] },
  },
  build: () => new DynamoPendingPurges(documentClient(), requireEnv(ENV.tableName)),
});
