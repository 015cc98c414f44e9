/**
 * Grants match calls: what each function really sends to AWS (recorded by an SDK middleware on the functions'
 * clients, keyed by function) must be allowed by its synthesized IAM policy. Every integration test file checks
 * this after its tests (test/support/grants-check.ts); this file also drives the rare paths through the real
 * stack, such as a message copy that lands after its conversation was cleared and must be deleted again.
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { keys } from '#contracts/table.js';
import type { AwsCall } from '#local/aws-calls.js';
import { send } from '../support/chat.js';
import { allows, type LocalNames, requiredPermissions, resolvePolicies, uncoveredCalls } from '../support/iam.js';
import { describeUncovered, startTestStack, type TestStack, uniqueUser } from '../support/stack.js';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack?.stop());

const storedCopies = async (userID: string, conversationID: string) =>
  (
    await stack.db.send(
      new QueryCommand({ TableName: stack.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': keys.messagePartition(userID, conversationID) }, Select: 'COUNT' }),
    )
  ).Count ?? 0;

/** Holds the named function's first matching call until `release` is called; `reached` resolves when it is held. */
const holdFirst = (functionName: AwsCall['functionName'], commandName: string) => {
  let release!: () => void;
  let reached!: () => void;
  const released = new Promise<void>((r) => (release = r));
  const wasReached = new Promise<void>((r) => (reached = r));
  let held = false;
  const remove = stack.intercept(async (call) => {
    if (held || call.functionName !== functionName || call.commandName !== commandName) return;
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
