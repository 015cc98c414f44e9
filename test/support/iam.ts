/**
 * IAM as the cloud would apply it, for the calls the functions really send locally (DynamoDB Local enforces no
 * IAM). `functionPolicies` reads each function's role statements from the synthesized template; `requiredPermissions`
 * says which action on which ARN a call needs (as the service authorizes it: per table for batch calls, per item
 * for transactions, on the index ARN for an index query); `uncoveredCalls` lists the calls no statement allows.
 */
import type { AwsCall } from '#local/aws-calls.js';
import type { FunctionName } from '#contracts/functions.js';

/** A role statement with its resources still as CloudFormation expressions. */
export type RawStatement = { actions: string[]; resources: unknown[] };

/** Each function's statements plus the logical IDs an ARN expression may point at. */
export type SynthesizedPolicies = {
  functions: Record<string, RawStatement[]>;
  logicalIds: { table: string; idempotencyTable: string; bus: string; webSocketApi: string };
};

/** What the local stack calls those resources. */
export type LocalNames = { table: string; idempotencyTable: string; bus: string; webSocketApiId: string; webSocketStage: string };

export const REGION = 'us-east-1';
export const ACCOUNT = '000000000000';

export type Permission = { action: string; resource: string };
export type ResolvedPolicies = Record<string, Permission[]>;

const tableArn = (name: string) => `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${name}`;
const busArn = (nameOrArn: string) => (nameOrArn.startsWith('arn:') ? nameOrArn : `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/${nameOrArn}`);

/** Evaluates the intrinsic functions CDK emits in IAM resources (Ref, Fn::GetAtt Arn, Fn::Join). */
const resolve = (value: unknown, names: LocalNames, ids: SynthesizedPolicies['logicalIds']): string => {
  if (typeof value === 'string') return value;
  const v = value as Record<string, any>;
  if (v.Ref !== undefined) {
    const ref = v.Ref as string;
    const known: Record<string, string> = {
      'AWS::Partition': 'aws',
      'AWS::Region': REGION,
      'AWS::AccountId': ACCOUNT,
      'AWS::URLSuffix': 'amazonaws.com',
      [ids.table]: names.table,
      [ids.idempotencyTable]: names.idempotencyTable,
      [ids.bus]: names.bus,
      [ids.webSocketApi]: names.webSocketApiId,
    };
    return known[ref] ?? `<unresolved Ref ${ref}>`;
  }
  if (v['Fn::GetAtt']) {
    const [id, attribute] = v['Fn::GetAtt'] as [string, string];
    if (attribute === 'Arn' && id === ids.table) return tableArn(names.table);
    if (attribute === 'Arn' && id === ids.idempotencyTable) return tableArn(names.idempotencyTable);
    if (attribute === 'Arn' && id === ids.bus) return busArn(names.bus);
    return `<unresolved ${id}.${attribute}>`;
  }
  if (v['Fn::Join']) {
    const [separator, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map((p) => resolve(p, names, ids)).join(separator);
  }
  return `<unresolved ${JSON.stringify(value)}>`;
};

export const resolvePolicies = (policies: SynthesizedPolicies, names: LocalNames): ResolvedPolicies =>
  Object.fromEntries(
    Object.entries(policies.functions).map(([fn, statements]) => [
      fn,
      statements.flatMap((s) => s.actions.flatMap((action) => s.resources.map((r) => ({ action, resource: resolve(r, names, policies.logicalIds) })))),
    ]),
  );

const TRANSACT_ACTIONS: Record<string, string> = { Put: 'PutItem', Update: 'UpdateItem', Delete: 'DeleteItem', ConditionCheck: 'ConditionCheckItem', Get: 'GetItem' };

/** The permissions one call needs, as the service authorizes it. */
export const requiredPermissions = (call: AwsCall, names: LocalNames): Permission[] => {
  const command = call.commandName.replace(/Command$/, '');
  const input = call.input as Record<string, any>;
  switch (call.clientName) {
    case 'DynamoDBClient': {
      const action = `dynamodb:${command}`;
      if (command === 'BatchWriteItem' || command === 'BatchGetItem') {
        return Object.keys(input.RequestItems ?? {}).map((table) => ({ action, resource: tableArn(table) }));
      }
      if (command === 'TransactWriteItems' || command === 'TransactGetItems') {
        return (input.TransactItems as Record<string, { TableName: string }>[]).flatMap((item) =>
          Object.entries(item).map(([kind, op]) => ({ action: `dynamodb:${TRANSACT_ACTIONS[kind] ?? kind}`, resource: tableArn(op.TableName) })),
        );
      }
      const table = tableArn(input.TableName as string);
      return [{ action, resource: input.IndexName ? `${table}/index/${input.IndexName}` : table }];
    }
    case 'EventBridgeClient':
      return [...new Set((input.Entries as { EventBusName?: string }[]).map((e) => e.EventBusName ?? 'default'))].map((bus) => ({
        action: `events:${command}`,
        resource: busArn(bus),
      }));
    case 'ApiGatewayManagementApiClient': {
      const method = { PostToConnection: 'POST', GetConnection: 'GET', DeleteConnection: 'DELETE' }[command] ?? command;
      return [
        {
          action: 'execute-api:ManageConnections',
          resource: `arn:aws:execute-api:${REGION}:${ACCOUNT}:${names.webSocketApiId}/${names.webSocketStage}/${method}/@connections/${input.ConnectionId}`,
        },
      ];
    }
    default:
      return [{ action: `${call.clientName}:${command}`, resource: '<unknown service>' }];
  }
};

/** IAM's wildcard matching: `*` any run of characters, `?` one character. */
const matches = (pattern: string, value: string): boolean =>
  new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*').replaceAll('?', '.')}$`).test(value);

export const allows = (permissions: readonly Permission[], needed: Permission): boolean =>
  permissions.some((p) => matches(p.action, needed.action) && matches(p.resource, needed.resource));

export type Uncovered = { functionName: FunctionName; commandName: string; needed: Permission };

/** Every permission some call needed that its function's policy does not grant (deduplicated). */
export const uncoveredCalls = (calls: readonly AwsCall[], policies: ResolvedPolicies, names: LocalNames): Uncovered[] => {
  const seen = new Map<string, Uncovered>();
  for (const call of calls) {
    for (const needed of requiredPermissions(call, names)) {
      if (allows(policies[call.functionName] ?? [], needed)) continue;
      seen.set(`${call.functionName} ${needed.action} ${needed.resource}`, { functionName: call.functionName, commandName: call.commandName, needed });
    }
  }
  return [...seen.values()];
};

export const describeUncovered = (list: readonly Uncovered[]): string =>
  list.map((u) => `${u.functionName} sent ${u.commandName}, which needs ${u.needed.action} on ${u.needed.resource}: not in its IAM policy`).join('\n');
