import { type DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ENV, requireEnv } from '#contracts/environment.js';
import { CONVERSATIONS_BY_TIME_INDEX, keys } from '#contracts/table.js';
import { defineAdapter } from '#wiring/define.js';
import { documentClient } from './client.js';
import type { Conversation, ConversationRepository } from '#domain/ports/conversations.js';
import type { Page, PageRequest } from '#domain/ports/pages.js';
import { type ConversationItem, toConversation } from './conversation-items.js';
import { decodeCursor, encodeCursor } from './cursor.js';

export class DynamoConversationRepository implements ConversationRepository {
  public constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  public async listConversations(userID: string, page: PageRequest): Promise<Page<Conversation>> {
    const pk = keys.conversationPartition(userID);
    const response = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: CONVERSATIONS_BY_TIME_INDEX.name,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': pk },
        ScanIndexForward: false,
        // A local secondary index reads consistently: a deleted conversation is gone from the very next list.
        ConsistentRead: true,
        Limit: page.limit,
        ExclusiveStartKey: decodeCursor(page.cursor, { pk, skPrefix: keys.conversationSortPrefix, extraStringKeys: [CONVERSATIONS_BY_TIME_INDEX.sortKey] }),
      }),
    );
    return {
      items: (response.Items ?? []).map((item) => toConversation(item as ConversationItem)),
      nextCursor: encodeCursor(response.LastEvaluatedKey),
    };
  }

  public async getClearPoint(userID: string, conversationID: string): Promise<number> {
    const response = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: keys.conversation(userID, conversationID),
        ProjectionExpression: 'clearSeq',
        ConsistentRead: true,
      }),
    );
    return (response.Item?.clearSeq as number | undefined) ?? 0;
  }
}

export const conversationRepository = defineAdapter<ConversationRepository>({
  env: [ENV.tableName],
  methods: {
    // Queried on the local secondary index only: IAM authorizes that on the index ARN.
    listConversations: { conversationIndex: ['dynamodb:Query'] },
    getClearPoint: { table: ['dynamodb:GetItem'] },
  },
  build: () => new DynamoConversationRepository(documentClient(), requireEnv(ENV.tableName)),
});
