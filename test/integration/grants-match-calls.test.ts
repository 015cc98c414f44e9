/**
 * Grants match calls: what each function really sends to AWS (recorded by an SDK middleware on the functions'
 * clients, keyed by function) must be allowed by its synthesized IAM policy. Every integration test file checks
 * this after its tests (test/support/grants-check.ts); this file also drives the rare paths through the real
 * stack, such as a message copy that lands after its conversation was cleared and must be deleted again.
 */
import { PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ENV } from '#contracts/environment.js';
import { DETAIL_TYPES } from '#contracts/events.js';
import { type AwsResource, FUNCTIONS } from '#wiring/index.js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CONVERSATIONS_BY_TIME_INDEX, keys, PENDING_PURGES_INDEX } from '#contracts/table.js';
import type { AwsCall } from '#local/aws-calls.js';
import { historyTexts, send } from '../support/chat.js';
import { ACCOUNT, allows, type LocalNames, REGION, requiredPermissions, resolvePolicies, uncoveredCalls } from '../support/iam.js';
import { Device, eventually } from '../support/websocket.js';
import { describeUncovered, startTestStack, type TestStack, uniqueUser } from '../support/stack.js';

let stack: TestStack;
const devices: Device[] = [];
beforeAll(async () => {
  // The settings switch applies at once (the cache is covered by the sync tests).
  process.env[ENV.settingsCacheSeconds] = '0';
  stack = await startTestStack();
});
afterAll(async () => {
  await Promise.all(devices.map((d) => d.close()));
  await stack?.stop();
});

const storedCopies = async (userID: string, conversationID: string) =>
  (
    await stack.db.send(
      new QueryCommand({ TableName: stack.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': keys.messagePartition(userID, conversationID) }, Select: 'COUNT' }),
    )
  ).Count ?? 0;

/** Holds the named function's first matching call until `release` is called; `reached` resolves when it is held. */
const holdFirst = (functionName: AwsCall['functionName'], commandName: string, matches: (call: AwsCall) => boolean = () => true) => {
  let release!: () => void;
  let reached!: () => void;
  const released = new Promise<void>((r) => (release = r));
  const wasReached = new Promise<void>((r) => (reached = r));
  let held = false;
  const remove = stack.intercept(async (call) => {
    if (held || call.functionName !== functionName || call.commandName !== commandName || !matches(call)) return;
    held = true;
    reached();
    await released;
  });
  return { reached: wasReached, release: () => (release(), remove()) };
};

const callsOf = (functionName: AwsCall['functionName'], from: number) => stack.awsCalls.slice(from).filter((c) => c.functionName === functionName);

describe('a copy that lands after its conversation was cleared', () => {
  it('is deleted by the messages function, which is allowed to delete it', async () => {
    // Prepare: Bob's message has its sequence but its copies are held until Alice has cleared the conversation.
    const [alice, bob] = [uniqueUser('alice'), uniqueUser('bob')];
    const [asAlice, asBob] = [await stack.as(alice), await stack.as(bob)];
    await send(asBob, `C2C${alice}`, 'first');
    const from = stack.awsCalls.length;
    const hold = holdFirst('messages', 'BatchWriteItemCommand');

    // Act
    const sending = asBob.post('/v1/messages', { conversationID: `C2C${alice}`, text: 'late' });
    await hold.reached;
    expect((await asAlice.post('/v1/conversations/delete', `C2C${bob}`)).status).toBe(200);
    hold.release();
    expect((await sending).status).toBe(201);

    // Assess: the late copy is gone again, by a DeleteItem the function's role allows.
    expect(await storedCopies(alice, `C2C${bob}`)).toBe(0);
    expect(callsOf('messages', from).map((c) => c.commandName)).toContain('DeleteItemCommand');
    expect(stack.uncoveredCalls().filter((u) => u.functionName === 'messages')).toEqual([]);
  });

  it('is deleted by the admin function for a system notification, which is allowed to delete it', async () => {
    const alice = uniqueUser('alice');
    const [asAlice, asAdmin] = [await stack.as(alice), await stack.as(uniqueUser('root'), { admin: true })];
    const notify = (text: string) => asAdmin.post('/v1/admin/system-notifications', { userIDList: [alice], text });
    expect((await notify('first')).status).toBe(201);
    const from = stack.awsCalls.length;
    const hold = holdFirst('admin', 'BatchWriteItemCommand');

    const sending = notify('late');
    await hold.reached;
    expect((await asAlice.post('/v1/conversations/delete', '@TIM#SYSTEM')).status).toBe(200);
    hold.release();
    expect((await sending).status).toBe(201);

    expect(await storedCopies(alice, '@TIM#SYSTEM')).toBe(0);
    expect(callsOf('admin', from).map((c) => c.commandName)).toContain('DeleteItemCommand');
    expect(stack.uncoveredCalls().filter((u) => u.functionName === 'admin')).toEqual([]);
  });
});

/** Which declared resource an ARN of this stack is. */
const resourceOf = (arn: string): AwsResource | undefined => {
  const table = `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/`;
  if (arn === `${table}${stack.tableName}`) return 'table';
  if (arn === `${table}${stack.tableName}/index/${CONVERSATIONS_BY_TIME_INDEX.name}`) return 'conversationIndex';
  if (arn === `${table}${stack.tableName}/index/${PENDING_PURGES_INDEX.name}`) return 'pendingPurgesIndex';
  if (arn === `${table}${stack.idempotencyTableName}`) return 'idempotencyTable';
  if (arn.startsWith('arn:aws:events:')) return 'eventBus';
  if (arn.startsWith('arn:aws:execute-api:')) return 'webSocketConnections';
  return undefined;
};

/** Every declared (function, resource, action) that no recorded call of this file needed. */
const unexercisedGrants = (): string[] => {
  const used = new Set(stack.awsCalls.flatMap((call) => requiredPermissions(call, stack.localNames).map((p) => `${call.functionName} ${resourceOf(p.resource)} ${p.action}`)));
  return Object.values(FUNCTIONS).flatMap((fn) =>
    Object.entries(fn.access).flatMap(([resource, actions]) => (actions ?? []).map((action) => `${fn.name} ${resource} ${action}`)).filter((grant) => !used.has(grant)),
  );
};

describe('a tour of every path that needs a grant', () => {
  // With every grant exercised here, removing any grant from an adapter's declaration makes a call of this file
  // uncovered, and test/support/grants-check.ts fails the file: the grants are exactly the calls, both ways.
  it('sends, lists, creates a group, notifies, switches sync on and reads the settings', async () => {
    const [alice, bob] = [uniqueUser('alice'), uniqueUser('bob')];
    const [asAlice, asBob, asAdmin] = [await stack.as(alice), await stack.as(bob), await stack.as(uniqueUser('root'), { admin: true })];
    await send(asBob, `C2C${alice}`, 'hello');
    expect((await asAlice.get(`/v1/conversations/C2C${bob}/messages`)).status).toBe(200);
    expect((await asAlice.get('/v1/conversations')).status).toBe(200);
    expect((await asAlice.post('/v1/groups', { groupID: `g${alice}`, memberList: [bob] })).status).toBe(201);
    await send(asBob, `GROUPg${alice}`, 'hi group');
    expect((await asAdmin.post('/v1/admin/system-notifications', { userIDList: [alice], text: 'notice' })).status).toBe(201);
    expect((await asAdmin.request('PUT', '/v1/admin/settings', { body: { syncConversationDeletion: true } })).status).toBe(200);
    expect((await asAdmin.get('/v1/admin/settings')).status).toBe(200);
  });

  it('deletes with an inline purge, repairs a racing message, and records and reads the deletion', async () => {
    const [alice, bob] = [uniqueUser('alice'), uniqueUser('bob')];
    const [asAlice, asBob] = [await stack.as(alice), await stack.as(bob)];
    await send(asBob, `C2C${alice}`, 'before');
    // Bob's message lands between the deletion's read and its tombstones: the race check restores the conversation.
    const hold = holdFirst('delete-conversations', 'UpdateItemCommand', (call) => String((call.input.Key as { sk?: string } | undefined)?.sk).startsWith(keys.conversationSortPrefix));
    const deleting = asAlice.post('/v1/conversations/delete', `C2C${bob}`);
    await hold.reached;
    await send(asBob, `C2C${alice}`, 'raced');
    hold.release();
    expect((await deleting).body.data).toMatchObject({ conversationID: `C2C${bob}`, historyPurge: 'complete' });
    expect(await historyTexts(asAlice, `C2C${bob}`)).toEqual(['raced']);
    expect((await asAlice.get('/v1/sync/conversation-deletions')).body.data.deletionList).toHaveLength(1);
  });

  it('purges a large clear in the background', async () => {
    const [alice, bob] = [uniqueUser('alice'), uniqueUser('bob')];
    const [asAlice, asBob] = [await stack.as(alice), await stack.as(bob)];
    const peers = Array.from({ length: 5 }, (_, i) => `${bob}${i}`);
    for (const peer of peers) await send(await stack.as(peer), `C2C${alice}`, 'hi');
    const response = await asAlice.post('/v1/conversations/delete', { conversationIDList: peers.map((p) => `C2C${p}`) });
    expect(response.body.data.historyPurge).toBe('pending');
    await stack.bus.drain();
    expect(stack.bus.history.some((e) => e['detail-type'] === DETAIL_TYPES.historyPurged && e.detail.userID === alice)).toBe(true);
    void asBob;
  });

  it('sweeps: re-drives the purges whose event was lost', async () => {
    const [alice, bob] = [uniqueUser('alice'), uniqueUser('bob')];
    const [asAlice, asBob] = [await stack.as(alice), await stack.as(bob)];
    const peers = Array.from({ length: 5 }, (_, i) => `${bob}${i}`);
    for (const peer of peers) await send(await stack.as(peer), `C2C${alice}`, 'hi');
    const remove = stack.intercept((call) => {
      if (call.functionName === 'delete-conversations' && call.commandName === 'PutEventsCommand') throw new Error('lost (simulated)');
    });
    await asAlice.post('/v1/conversations/delete', { conversationIDList: peers.map((p) => `C2C${p}`) });
    remove();
    // As if the hand-off time had passed.
    for (const peer of peers) {
      await stack.db.send(
        new UpdateCommand({ TableName: stack.tableName, Key: keys.conversation(alice, `C2C${peer}`), UpdateExpression: 'SET #due = :past', ExpressionAttributeNames: { '#due': PENDING_PURGES_INDEX.sortKey }, ExpressionAttributeValues: { ':past': '2000-01-01T00:00:00.000Z' } }),
      );
    }
    await stack.runScheduled();
    await stack.bus.drain();
    for (const peer of peers) expect(await storedCopies(alice, `C2C${peer}`)).toBe(0);
    void asBob;
  });

  it('releases an Idempotency-Key whose deletion failed, so a retry runs again', async () => {
    const [alice, bob] = [uniqueUser('alice'), uniqueUser('bob')];
    const [asAlice, asBob] = [await stack.as(alice), await stack.as(bob)];
    await send(asBob, `C2C${alice}`, 'hi');
    const remove = stack.intercept((call) => {
      if (call.functionName === 'delete-conversations' && call.commandName === 'PutEventsCommand') throw new Error('EventBridge unavailable (simulated)');
    });
    const key = { 'Idempotency-Key': `k-${alice}` };
    expect((await asAlice.post('/v1/conversations/delete', `C2C${bob}`, key)).status).toBe(500);
    remove();
    const retry = await asAlice.post('/v1/conversations/delete', `C2C${bob}`, key);
    expect(retry.status).toBe(200);
    // The same key again: the first answer, replayed from the idempotency record.
    expect((await asAlice.post('/v1/conversations/delete', `C2C${bob}`, key)).body).toEqual(retry.body);
  });

  it('pushes to devices, forgets one that is gone, and remembers who was served when a post fails', async () => {
    const alice = uniqueUser('alice');
    const asAlice = await stack.as(alice);
    const [phone, tablet] = [await Device.connect(stack, alice, 'phone'), await Device.connect(stack, alice, 'tablet')];
    devices.push(phone, tablet);
    // A device whose $disconnect was lost an hour ago: registered, but gone (410), so the push removes it.
    const connectedAt = new Date(Date.now() - 3600_000).toISOString();
    const expiresAt = Math.floor(Date.now() / 1000) + 3600;
    const lost = { userID: alice, connectionID: 'lost-connection', deviceID: 'old-phone', connectedAt, expiresAt };
    await stack.db.send(new PutCommand({ TableName: stack.tableName, Item: { ...keys.connection(alice, lost.connectionID), ...lost } }));
    // The first post to a live device fails: the other is remembered as served, and the retry posts to the first only.
    let failed = false;
    const remove = stack.intercept((call) => {
      if (failed || call.commandName !== 'PostToConnectionCommand' || call.input.ConnectionId === lost.connectionID) return;
      failed = true;
      throw new Error('connection reset (simulated)');
    });
    const response = await asAlice.post('/v1/conversations/delete', 'C2Csomeone', { 'X-Device-ID': 'laptop' });
    const deletionID = (await stack.db.send(new QueryCommand({ TableName: stack.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': keys.deletionPartition(alice) } }))).Items![0]!.deletionID as string;
    await Promise.all([phone.deletion(deletionID), tablet.deletion(deletionID)]);
    await stack.bus.drain();
    remove();
    expect(response.status).toBe(200);
    expect(failed).toBe(true);
    for (const device of [phone, tablet]) expect(device.received.filter((m) => m.data.deletionID === deletionID)).toHaveLength(1);
    const left = await stack.db.send(new QueryCommand({ TableName: stack.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': keys.connectionPartition(alice) } }));
    expect(left.Items!.map((i) => i.deviceID).sort()).toEqual(['phone', 'tablet']);
  });

  it('clears a history, restores a deletion, reads its status and the admin audit, and deletes for a user', async () => {
    const [alice, bob] = [uniqueUser('alice'), uniqueUser('bob')];
    const [asAlice, asBob, asAdmin] = [await stack.as(alice), await stack.as(bob), await stack.as(uniqueUser('root'), { admin: true })];
    expect((await asAdmin.request('PUT', '/v1/admin/settings', { body: { deletionGracePeriodSeconds: 600 } })).status).toBe(200);
    await send(asBob, `C2C${alice}`, 'keep me');
    const cleared = await asAlice.post(`/v1/conversations/C2C${bob}/clear-history`);
    expect(cleared.status).toBe(200);
    expect((await asAlice.post('/v1/conversations/restore', { deletionID: cleared.body.data.deletionID })).status).toBe(200);
    expect((await asAlice.get(`/v1/deletions/${cleared.body.data.deletionID}`)).status).toBe(200);
    expect((await asAdmin.post(`/v1/admin/users/${alice}/conversations/delete`, `C2C${bob}`)).status).toBe(200);
    expect((await asAdmin.get(`/v1/admin/users/${alice}/deletions`)).body.data.deletionList).toHaveLength(3);
    expect((await asAdmin.request('PUT', '/v1/admin/settings', { body: { deletionGracePeriodSeconds: 0 } })).status).toBe(200);
  });

  it('connects and disconnects a device', async () => {
    const device = await Device.connect(stack, uniqueUser('carol'), 'watch');
    await device.close();
    await eventually(async () => stack.awsCalls.some((c) => c.functionName === 'ws-disconnect'), 'the $disconnect ran');
  });

  it('has exercised every grant of every function, but for a library fallback named here', () => {
    expect(unexercisedGrants()).toEqual([
      // Powertools' idempotency reads a record with GetItem only when a failed conditional put did not return the
      // existing item; DynamoDB returns it (ReturnValuesOnConditionCheckFailure: ALL_OLD), so the fallback never
      // runs here. The grant stays: without it the fallback would fail in the cloud.
      'delete-conversations idempotencyTable dynamodb:GetItem',
    ]);
  });
});

describe('the check itself', () => {
  const names: LocalNames = { table: 'tbl', idempotencyTable: 'tbl-idempotency', bus: 'bus', webSocketApiId: 'api', webSocketStage: 'v1' };
  const call = (functionName: AwsCall['functionName'], clientName: string, commandName: string, input: Record<string, unknown>): AwsCall => ({ functionName, clientName, commandName, input });

  it('authorizes batch calls per table, transactions per item and index queries on the index ARN', () => {
    const table = 'arn:aws:dynamodb:us-east-1:000000000000:table/tbl';
    expect(requiredPermissions(call('messages', 'DynamoDBClient', 'BatchWriteItemCommand', { RequestItems: { tbl: [] } }), names)).toEqual([{ action: 'dynamodb:BatchWriteItem', resource: table }]);
    expect(
      requiredPermissions(call('ws-connect', 'DynamoDBClient', 'TransactWriteItemsCommand', { TransactItems: [{ Put: { TableName: 'tbl' } }, { Delete: { TableName: 'tbl' } }] }), names),
    ).toEqual([{ action: 'dynamodb:PutItem', resource: table }, { action: 'dynamodb:DeleteItem', resource: table }]);
    expect(requiredPermissions(call('conversations', 'DynamoDBClient', 'QueryCommand', { TableName: 'tbl', IndexName: 'byUpdatedAt' }), names)).toEqual([
      { action: 'dynamodb:Query', resource: `${table}/index/byUpdatedAt` },
    ]);
    expect(requiredPermissions(call('push-deletion', 'ApiGatewayManagementApiClient', 'PostToConnectionCommand', { ConnectionId: 'c1' }), names)).toEqual([
      { action: 'execute-api:ManageConnections', resource: 'arn:aws:execute-api:us-east-1:000000000000:api/v1/POST/@connections/c1' },
    ]);
  });

  it('reports a call whose action or resource the synthesized policy lacks', () => {
    const policies = resolvePolicies(inject('functionPolicies'), names);
    const onTable = call('conversations', 'DynamoDBClient', 'QueryCommand', { TableName: 'tbl' });
    const onIndex = call('conversations', 'DynamoDBClient', 'QueryCommand', { TableName: 'tbl', IndexName: 'byUpdatedAt' });
    const onOtherTable = call('conversations', 'DynamoDBClient', 'QueryCommand', { TableName: 'other', IndexName: 'byUpdatedAt' });
    expect(uncoveredCalls([onIndex], policies, names)).toEqual([]);
    expect(describeUncovered(uncoveredCalls([onTable, onOtherTable], policies, names))).toMatch(/conversations sent QueryCommand.*table\/tbl: not in.*\n.*table\/other\/index/);
    expect(allows([{ action: 'dynamodb:Query', resource: 'arn:aws:dynamodb:*:*:table/tbl*' }], { action: 'dynamodb:Query', resource: 'arn:aws:dynamodb:us-east-1:000000000000:table/tbl/index/x' })).toBe(true);
  });
});
