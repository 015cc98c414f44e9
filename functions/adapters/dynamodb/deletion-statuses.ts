import { type DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { decodeOpaque, encodeOpaque } from '#contracts/opaque-cursor.js';
import { ENV, requireEnv } from '#contracts/environment.js';
import { keys } from '#contracts/table.js';
import { InvalidCursorError } from '#domain/errors.js';
import type { DeletionRecord, DeletionStatuses, PurgeProgressMark, StoredDeletionStatus } from '#domain/ports/deletions.js';
import { defineAdapter } from '#wiring/define.js';
import { batchGet, keyString } from './batch-reader.js';
import { documentClient } from './client.js';
import { writtenIf } from './conditional.js';

/** What a stored status item holds beyond the record; absent fields have their defaults. */
const toStatus = (item: Record<string, unknown>): StoredDeletionStatus => {
  const { pk: _pk, sk: _sk, position: _position, expiresAt: _expires, restoresDeletionID: _restores, restoreKey: _key, restoreResults: _results, ...rest } = item;
  return {
    ...(rest as unknown as DeletionRecord),
    messagesPurged: (item.messagesPurged as number | undefined) ?? 0,
    restoredAt: (item.restoredAt as string | undefined) ?? null,
    restoreID: (item.restoreID as string | undefined) ?? null,
    restore: item.restoreResults ? { key: (item.restoreKey as string | undefined) ?? null, results: item.restoreResults as NonNullable<StoredDeletionStatus['restore']>['results'] } : null,
  };
};

const toRecord = (item: Record<string, unknown>): DeletionRecord => {
  const { pk: _pk, sk: _sk, expiresAt: _expires, pushedConnectionIDs: _pushed, ...rest } = item;
  const record = rest as unknown as DeletionRecord;
  // Records written before the audit fields existed: a user's own deletion.
  return { ...record, kind: record.kind ?? 'conversationsDeleted', actedBy: record.actedBy ?? record.userID, actedAs: record.actedAs ?? 'user', results: record.results ?? [] };
};

/** A deletion's status by ID (`keys.deletionStatus`), and the audit's reading of the records (`keys.deletionRecord`). */
export class DynamoDeletionStatuses implements DeletionStatuses {
  public constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  public async read(userID: string, deletionID: string): Promise<StoredDeletionStatus | null> {
    const response = await this.client.send(new GetCommand({ TableName: this.tableName, Key: keys.deletionStatus(userID, deletionID), ConsistentRead: true }));
    return response.Item ? toStatus(response.Item) : null;
  }

  public markRestored(
    userID: string,
    deletionID: string,
    restore: { restoredAt: string; restoreID: string; key: string | null; results: { conversationID: string; status: string }[] },
  ): Promise<boolean> {
    return writtenIf(
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.deletionStatus(userID, deletionID),
          UpdateExpression: 'SET restoredAt = :at, restoreID = :id, restoreKey = :key, restoreResults = :results',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(restoredAt)',
          ExpressionAttributeValues: { ':at': restore.restoredAt, ':id': restore.restoreID, ':key': restore.key, ':results': restore.results },
        }),
      ),
    );
  }

  public async readPurgeProgress(userID: string, conversationIDs: readonly string[]): Promise<Map<string, PurgeProgressMark>> {
    const conversationKeys = conversationIDs.map((id) => keys.conversation(userID, id));
    const found = await batchGet(this.client, this.tableName, conversationKeys, ['purgedSeq', 'purgedAt']);
    return new Map(
      conversationIDs.map((id, i) => {
        const item = found.get(keyString(conversationKeys[i]!));
        return [id, { purgedSeq: (item?.purgedSeq as number | undefined) ?? 0, purgedAt: (item?.purgedAt as string | undefined) ?? null }];
      }),
    );
  }

  public async listForUser(
    userID: string,
    from: { since: string | null; cursor: string | null },
    limit: number,
  ): Promise<{ entries: (DeletionRecord & { status: StoredDeletionStatus | null })[]; nextCursor: string | null }> {
    const after = from.cursor === null ? null : decodeAuditCursor(from.cursor);
    const items: Record<string, unknown>[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const response = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: after !== null ? 'pk = :pk AND sk > :from' : from.since !== null ? 'pk = :pk AND sk >= :from' : 'pk = :pk',
          ExpressionAttributeValues: { ':pk': keys.deletionPartition(userID), ...(after !== null ? { ':from': after } : from.since !== null ? { ':from': from.since } : {}) },
          ScanIndexForward: true,
          Limit: limit + 1 - items.length,
          ExclusiveStartKey: startKey,
        }),
      );
      items.push(...(response.Items ?? []));
      startKey = response.LastEvaluatedKey;
    } while (startKey && items.length <= limit);
    const page = items.slice(0, limit);
    const statusKeys = page.map((item) => keys.deletionStatus(userID, item.deletionID as string));
    const statuses = page.length > 0 ? await batchGet(this.client, this.tableName, statusKeys) : new Map<string, Record<string, unknown>>();
    return {
      entries: page.map((item, i) => {
        const status = statuses.get(keyString(statusKeys[i]!));
        return { ...toRecord(item), status: status ? toStatus(status) : null };
      }),
      nextCursor: items.length > limit ? encodeOpaque({ a: page.at(-1)!.sk }) : null,
    };
  }
}

const decodeAuditCursor = (cursor: string): string => {
  const value = decodeOpaque(cursor);
  const position = value?.a;
  if (!value || Object.keys(value).length !== 1 || typeof position !== 'string' || position.length === 0 || Buffer.byteLength(position, 'utf8') > 1024) {
    throw new InvalidCursorError('cursor is not one this list returned: pass nextCursor back unchanged, or start again with since');
  }
  return position;
};

export const deletionStatuses = defineAdapter<DeletionStatuses>({
  env: [ENV.tableName],
  methods: {
    read: { table: ['dynamodb:GetItem'] },
    markRestored: { table: ['dynamodb:UpdateItem'] },
    readPurgeProgress: { table: ['dynamodb:BatchGetItem'] },
    listForUser: { table: ['dynamodb:Query', 'dynamodb:BatchGetItem'] },
  },
  build: () => new DynamoDeletionStatuses(documentClient(), requireEnv(ENV.tableName)),
});
