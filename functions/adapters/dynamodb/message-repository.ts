import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, type DynamoDBDocumentClient, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { ConversationRef } from '#contracts/ids.js';
import { ENV, requireEnv } from '#contracts/environment.js';
import { keys, SEQ_PREFIX, seqKey, TIMELINE_SEQUENCE } from '#contracts/table.js';
import { defineAdapter } from '#wiring/define.js';
import { documentClient } from './client.js';
import type { ApplyOutcome, Message, MessageRepository } from '#domain/ports/messages.js';
import type { Page, PageRequest } from '#domain/ports/pages.js';
import { batchWrite } from './batch-writer.js';
import { type ConversationItem, conversationFields, messageItem, setClause, toMessage } from './conversation-items.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { purgeAllowed } from '#domain/undo.js';

const WRITE_BUDGET_MS = 10_000;

export class DynamoMessageRepository implements MessageRepository {
  public constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  public async allocateSequence(ownerUserID: string, ref: ConversationRef): Promise<number> {
    const response = await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.timeline(ownerUserID, ref),
        UpdateExpression: 'ADD #seq :one',
        ExpressionAttributeNames: { '#seq': TIMELINE_SEQUENCE },
        ExpressionAttributeValues: { ':one': 1 },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    return response.Attributes![TIMELINE_SEQUENCE] as number;
  }

  public async putMessageCopies(copies: { ownerUserID: string; message: Message }[]): Promise<void> {
    const result = await batchWrite(
      this.client,
      copies.map((c) => ({ PutRequest: { Item: messageItem(c.ownerUserID, c.message) } })),
      { tableName: this.tableName, deadline: Date.now() + WRITE_BUDGET_MS },
    );
    if (result.failed.length > 0) {
      throw new Error(`${result.failed.length} message copies not written: ${result.failed[0]!.reason}`);
    }
  }

  public async applyToConversation(input: { ownerUserID: string; ref: ConversationRef; message: Message; unreadIncrement: 0 | 1 }): Promise<ApplyOutcome> {
    const key = keys.conversation(input.ownerUserID, input.ref.conversationID);
    const set = setClause(conversationFields(input.ref, input.message));
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key,
          // Re-creating a deleted conversation drops the tombstone marks but keeps its clear point.
          UpdateExpression: `SET ${set.expression} REMOVE tombstone, deletedAt ADD unreadCount :inc`,
          ConditionExpression: '(attribute_not_exists(deletedSeq) OR deletedSeq < :seq) AND (attribute_not_exists(lastSeq) OR lastSeq < :seq)',
          ExpressionAttributeNames: set.names,
          ExpressionAttributeValues: { ...set.values, ':inc': input.unreadIncrement, ':seq': input.message.sequence },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return 'applied';
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const old = (error.Item ? unmarshall(error.Item) : {}) as ConversationItem;
      if ((old.deletedSeq ?? 0) >= input.message.sequence) {
        // The copy landed after a deletion that cleared it (and maybe after its purge passed): remove it now.
        // Not while that deletion can be undone: the purge after its grace period removes the copy, or a restore shows it.
        if ((old.clearSeq ?? 0) >= input.message.sequence && purgeAllowed(old.restorableUntil, new Date())) {
          await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: keys.message(input.ownerUserID, input.ref.conversationID, input.message.sequence) }));
        }
        return 'predates-deletion';
      }
    }
    // A newer message got there first: keep its preview, still count this one as unread.
    if (input.unreadIncrement === 0) return 'counted';
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key,
          UpdateExpression: 'ADD unreadCount :inc',
          ConditionExpression: 'attribute_exists(lastSeq) AND (attribute_not_exists(deletedSeq) OR deletedSeq < :seq)',
          ExpressionAttributeValues: { ':inc': input.unreadIncrement, ':seq': input.message.sequence },
        }),
      );
      return 'counted';
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return 'predates-deletion';
      throw error;
    }
  }

  public async listMessages(ownerUserID: string, conversationID: string, afterSeq: number, page: PageRequest): Promise<Page<Message>> {
    const pk = keys.messagePartition(ownerUserID, conversationID);
    const startKey = decodeCursor(page.cursor, { pk, skPrefix: SEQ_PREFIX });
    // The history was cleared past this cursor since it was issued: nothing older is visible any more.
    if (startKey && startKey.sk! <= seqKey(afterSeq)) return { items: [], nextCursor: null };
    const response = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND sk > :after',
        ExpressionAttributeValues: { ':pk': pk, ':after': seqKey(afterSeq) },
        ScanIndexForward: false,
        ConsistentRead: true,
        Limit: page.limit,
        ExclusiveStartKey: startKey,
      }),
    );
    return { items: (response.Items ?? []).map(toMessage), nextCursor: encodeCursor(response.LastEvaluatedKey) };
  }
}

export const messageRepository = defineAdapter<MessageRepository>({
  env: [ENV.tableName],
  methods: {
    allocateSequence: { table: ['dynamodb:UpdateItem'] },
    putMessageCopies: { table: ['dynamodb:BatchWriteItem'] },
    // Deletes a copy that landed after its conversation was cleared.
    applyToConversation: { table: ['dynamodb:UpdateItem', 'dynamodb:DeleteItem'] },
    listMessages: { table: ['dynamodb:Query'] },
  },
  build: () => new DynamoMessageRepository(documentClient(), requireEnv(ENV.tableName)),
});
