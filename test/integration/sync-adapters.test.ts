/** The sync adapters on DynamoDB Local: push progress kept on the deletion record, and the connection registry. */
import { randomUUID } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createDocumentClient } from '#adapters/dynamodb/client.js';
import { DynamoConnectionRegistry } from '#adapters/dynamodb/connection-registry.js';
import { DynamoDeletionLog, DynamoPushProgress } from '#adapters/dynamodb/deletion-log.js';
import { DynamoDeletionRepository } from '#adapters/dynamodb/deletion-repository.js';
import { DynamoSettingsRepository } from '#adapters/dynamodb/settings-repository.js';
import { keys } from '#contracts/table.js';
import { createTables } from '#local/dynamodb-local.js';
import { uniqueUser } from '../support/stack.js';

const tableName = `t${randomUUID().slice(0, 8)}`;
const client = createDocumentClient({ endpoint: inject('dynamodbEndpoint') });

beforeAll(async () => {
  await createTables(inject('dynamodbEndpoint'), { tableName, idempotencyTableName: `${tableName}-idem` });
});

const record = (userID: string) => ({
  deletionID: randomUUID(),
  userID,
  conversationIDList: ['C2Cbob'],
  clearHistoryMessage: true,
  deletedAt: new Date().toISOString(),
  originDeviceID: 'phone',
  clearPoints: { C2Cbob: 3 },
  kind: 'conversationsDeleted' as const,
  actedBy: userID,
  actedAs: 'user' as const,
  results: [{ conversationID: 'C2Cbob', status: 'deleted' }],
  restorableUntil: null,
  purgeScheduledFor: null,
});

describe('DynamoPushProgress', () => {
  it('accumulates served connections on the deletion record, which the catch-up never shows', async () => {
    // Prepare
    const deletion = record(uniqueUser());
    await new DynamoDeletionRepository(client, tableName).putDeletionRecord(deletion);
    const progress = new DynamoPushProgress(client, tableName);

    // Act
    const before = await progress.served(deletion);
    await progress.recordServed(deletion, ['c1', 'c2']);
    await progress.recordServed(deletion, ['c2', 'c3']);

    // Assess
    expect(before).toEqual(new Set());
    expect(await progress.served(deletion)).toEqual(new Set(['c1', 'c2', 'c3']));
    const listed = await new DynamoDeletionLog(client, tableName).listAfter(deletion.userID, null, 10);
    expect(listed.entries.map((e) => e.notice)).toEqual([
      { kind: 'conversationsDeleted', deletionID: deletion.deletionID, conversationIDList: ['C2Cbob'], clearHistoryMessage: true, deletedAt: deletion.deletedAt, originDeviceID: 'phone' },
    ]);
  });

  it('never creates a stub record when the deletion record is gone', async () => {
    const deletion = record(uniqueUser());
    await new DynamoPushProgress(client, tableName).recordServed(deletion, ['c1']);
    const item = await client.send(new GetCommand({ TableName: tableName, Key: keys.deletionRecord(deletion.userID, deletion.deletedAt, deletion.deletionID) }));
    expect(item.Item).toBeUndefined();
  });
});

describe('DynamoDeletionLog', () => {
  it('pages past the limit and reports whether more follow', async () => {
    // Prepare
    const userID = uniqueUser();
    const repository = new DynamoDeletionRepository(client, tableName);
    const made = [];
    for (let i = 0; i < 3; i++) {
      const r = { ...record(userID), deletedAt: new Date(Date.UTC(2025, 0, 1, 0, 0, i)).toISOString() };
      await repository.putDeletionRecord(r);
      made.push(r.deletionID);
    }
    const log = new DynamoDeletionLog(client, tableName);

    // Act
    const first = await log.listAfter(userID, null, 2);
    const second = await log.listAfter(userID, first.entries.at(-1)!.position, 2);
    const fromTime = await log.listAfter(userID, log.positionAt(new Date(Date.UTC(2025, 0, 1, 0, 0, 1))), 10);

    // Assess
    expect([first.entries.map((e) => e.notice.deletionID), first.hasMore]).toEqual([made.slice(0, 2), true]);
    expect([second.entries.map((e) => e.notice.deletionID), second.hasMore]).toEqual([made.slice(2), false]);
    expect(fromTime.entries.map((e) => e.notice.deletionID)).toEqual(made.slice(1));
  });
});

describe('DynamoConnectionRegistry and DynamoSettingsRepository', () => {
  it('removes by connection ID alone, and answers undefined for an unknown one', async () => {
    // Prepare
    const registry = new DynamoConnectionRegistry(client, tableName);
    const connection = { userID: uniqueUser(), connectionID: 'Conn1234567890A=', deviceID: 'tablet', connectedAt: new Date().toISOString(), expiresAt: 2_000_000_000 };
    await registry.register(connection);

    // Act / Assess
    expect(await registry.listForUser(connection.userID)).toEqual([connection]);
    expect(await registry.remove(connection.connectionID)).toEqual(connection);
    expect(await registry.listForUser(connection.userID)).toEqual([]);
    expect(await registry.remove(connection.connectionID)).toBeUndefined();
  });

  it('reads defaults before any write and keeps unnamed settings on update', async () => {
    const settings = new DynamoSettingsRepository(client, tableName);
    expect(await settings.read()).toEqual({ settings: { syncConversationDeletion: false, deletionGracePeriodSeconds: 600 }, updatedAt: null, updatedBy: null });
    await settings.update({ syncConversationDeletion: true }, { updatedAt: '2025-01-01T00:00:00.000Z', updatedBy: 'root' });
    expect(await settings.update({}, { updatedAt: '2025-01-02T00:00:00.000Z', updatedBy: 'ops' })).toEqual({
      settings: { syncConversationDeletion: true, deletionGracePeriodSeconds: 600 },
      updatedAt: '2025-01-02T00:00:00.000Z',
      updatedBy: 'ops',
    });
  });
});
