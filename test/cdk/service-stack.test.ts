/**
 * The stack with its default options (Cognito, retained table, no CORS) plus an alarm e-mail: one synthesis
 * (bundling skipped) shared by every assertion of this file.
 */
import { Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { deletionRateLimiter } from '#adapters/dynamodb/rate-limiter.js';
import { ADMIN_GROUP } from '#contracts/auth.js';
import { ENV, type EnvName } from '#contracts/environment.js';
import { FUNCTIONS } from '#wiring/index.js';
import { RULE_PATTERNS } from '#contracts/events.js';
import { EVENT_TARGETS, FUNCTION_NAMES, type FunctionName, SCHEDULED_FUNCTIONS } from '#contracts/functions.js';
import { HTTP_FUNCTIONS, HTTP_ROUTES, routeKey, WEBSOCKET_ROUTES } from '#contracts/routes.js';
import { IDEMPOTENCY_TABLE, SERVICE_TABLE } from '#contracts/table-definition.js';
import { PENDING_PURGES_INDEX, PURGE_SWEEP, RESTORE_WRITE_MARGIN_SECONDS } from '#contracts/table.js';
import { type Synthesized, synthesize } from '../support/cdk.js';


let stack: Synthesized['stack'];
let template: Synthesized['template'];
let resources: Synthesized['resources'];
let ofType: Synthesized['ofType'];
let idOf: Synthesized['idOf'];

beforeAll(() => {
  // One synthesis for the file.
  ({ stack, template, resources, ofType, idOf } = synthesize('Test', { alarmEmail: 'ops@example.com' }));
});

describe('functions', () => {
  it('creates one function per entry of FUNCTION_NAMES, each on nodejs24.x and arm64 with active tracing', () => {
    expect(stack.functions.size).toBe(FUNCTION_NAMES.length);
    for (const name of FUNCTION_NAMES) {
      const fn = resources[stack.functions.get(name)!.logicalId]!;
      expect(fn.Type, name).toBe('AWS::Lambda::Function');
      expect(fn.Properties.Runtime, name).toBe('nodejs24.x');
      expect(fn.Properties.Architectures, name).toEqual(['arm64']);
      expect(fn.Properties.TracingConfig, name).toEqual({ Mode: 'Active' });
    }
    // Each declaration sits under its own name.
    for (const [name, declaration] of Object.entries(FUNCTIONS)) expect(declaration.name).toBe(name);
    // Nothing else in the stack is a Lambda function but CDK's two helpers of the console's deployment (copying the
    // page into its bucket; emptying the bucket when the stack is deleted), which run only while deploying.
    const others = ofType('AWS::Lambda::Function').filter(([id]) => ![...stack.functions.values()].some((fn) => fn.logicalId === id));
    expect(others.map(([id]) => id.replace(/[0-9A-F]{8,}.*$/, '')).sort()).toEqual(['CustomCDKBucketDeployment', 'CustomS3AutoDeleteObjectsCustomResourceProviderHandler']);
  });

  it('sets the Powertools environment and source maps on every function, and exactly the variables its declaration reads', () => {
    const cloudValues: Partial<Record<EnvName, unknown>> = {
      [ENV.tableName]: { Ref: idOf(stack.data.table) },
      [ENV.idempotencyTableName]: { Ref: idOf(stack.data.idempotencyTable) },
      [ENV.eventBusName]: { Ref: idOf(stack.events.bus) },
      [ENV.userIDClaim]: 'username',
      [ENV.cognitoUserPoolID]: { Ref: idOf(stack.auth.userPool!) },
      [ENV.cognitoClientID]: { 'Fn::Join': [',', [{ Ref: idOf(stack.auth.userPoolClient!) }, { Ref: idOf(stack.console!.client) }]] },
      [ENV.websocketManagementEndpoint]: expect.anything(),
      [ENV.deletionRateLimit]: '20',
      [ENV.deletionRateWindowSeconds]: '10',
    };
    for (const fn of stack.functions.values()) {
      const { POWERTOOLS_SERVICE_NAME, POWERTOOLS_METRICS_NAMESPACE, POWERTOOLS_LOG_LEVEL, NODE_OPTIONS, ...service } = resources[fn.logicalId]!.Properties.Environment.Variables;
      expect({ POWERTOOLS_SERVICE_NAME, POWERTOOLS_METRICS_NAMESPACE, POWERTOOLS_LOG_LEVEL, NODE_OPTIONS }, fn.name).toEqual({
        POWERTOOLS_SERVICE_NAME: 'conversation-deletion',
        POWERTOOLS_METRICS_NAMESPACE: 'ConversationDeletion',
        POWERTOOLS_LOG_LEVEL: 'INFO',
        NODE_OPTIONS: '--enable-source-maps',
      });
      const expected = Object.fromEntries(FUNCTIONS[fn.name].environment.flatMap((env) => (env in cloudValues ? [[env, cloudValues[env]]] : [])));
      expect(service, fn.name).toEqual(expected);
    }
    // Spot checks of the derivation: the table where a DynamoDB adapter is built, the idempotency table only for deletions.
    expect(FUNCTIONS.conversations.environment).toContain(ENV.tableName);
    expect(FUNCTIONS['ws-authorizer'].environment).not.toContain(ENV.tableName);
    expect(Object.values(FUNCTIONS).filter((f) => f.environment.includes(ENV.idempotencyTableName)).map((f) => f.name)).toEqual(['delete-conversations']);
  });

  it('gives the per-user deletion rate limit (20 per 10 s by default) to the functions that serve deletion-type routes, and only UpdateItem on the table for it', () => {
    // Prepare: who builds the limiter, and what it may do.
    const limited = Object.values(FUNCTIONS).filter((f) => f.environment.includes(ENV.deletionRateLimit));
    const adapters = Object.values(FUNCTIONS['delete-conversations'].adapters as Record<string, unknown>);

    // Assess
    expect(limited.map((f) => f.name)).toEqual(['delete-conversations']);
    expect(adapters).toContain(deletionRateLimiter);
    expect(deletionRateLimiter.access).toEqual({ table: ['dynamodb:UpdateItem'] });
    const variables = resources[stack.functions.get('delete-conversations')!.logicalId]!.Properties.Environment.Variables;
    expect([variables[ENV.deletionRateLimit], variables[ENV.deletionRateWindowSeconds]]).toEqual(['20', '10']);
  });

  it('gives each function its own log group kept 30 days', () => {
    for (const fn of stack.functions.values()) {
      const props = resources[fn.logicalId]!.Properties;
      const logGroupId = props.LoggingConfig.LogGroup.Ref as string;
      expect(resources[logGroupId]!.Properties.RetentionInDays, fn.name).toBe(30);
    }
  });

  it('reserves no concurrency on any function by default (a new account has none to spare)', () => {
    // The purge function gets one only with -c purgeConcurrency=N (test/cdk/options.test.ts).
    const reserved = [...stack.functions.values()].filter((fn) => resources[fn.logicalId]!.Properties.ReservedConcurrentExecutions !== undefined);
    expect(reserved.map((fn) => fn.name)).toEqual([]);
  });

  it('keeps HTTP functions under the 30-second integration limit and gives the purge 5 minutes', () => {
    for (const name of HTTP_FUNCTIONS) expect(resources[stack.functions.get(name)!.logicalId]!.Properties.Timeout, name).toBeLessThan(30);
    expect(resources[stack.functions.get('purge-history')!.logicalId]!.Properties.Timeout).toBe(300);
  });
});

describe('IAM least privilege', () => {
  /** Every action the function's role may take, as "action on resource-kind". */
  const permissionsOf = (name: FunctionName): string[] => {
    const fn = stack.functions.get(name)!;
    const roleId = idOf(fn.role);
    const kinds: [string, string][] = [
      [`${idOf(stack.data.table)}.Arn/index/`, 'index'],
      [`${idOf(stack.data.table)}.Arn`, 'table'],
      [`${idOf(stack.data.idempotencyTable)}.Arn`, 'idempotency-table'],
      [`${idOf(stack.events.bus)}.Arn`, 'bus'],
      [`${idOf(fn.logGroup)}.Arn`, 'own-log-group'],
      [`${idOf(stack.webSocketApi.api)}/v1/POST/@connections/*`, 'ws-post-connections'],
      ...stack.events.targets.map((t): [string, string] => [`${idOf(t.deadLetterQueue)}.Arn`, 'own-dlq']),
    ];
    const kindOf = (resource: unknown): string => {
      if (resource === '*') return '*';
      // Flatten intrinsic functions into a comparable string: {Fn::GetAtt:[X,Arn]} -> X.Arn, Fn::Join pieces concatenated.
      const flat = (v: any): string =>
        typeof v === 'string' ? v : v['Fn::GetAtt'] ? v['Fn::GetAtt'].join('.') : v.Ref ? v.Ref : v['Fn::Join'] ? v['Fn::Join'][1].map(flat).join('') : JSON.stringify(v);
      const text = flat(resource);
      const kind = kinds.find(([needle]) => text.includes(needle));
      return kind ? kind[1] : `unknown(${text})`;
    };
    const statements = ofType('AWS::IAM::Policy')
      .filter(([, p]) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === roleId))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as { Effect: string; Action: string | string[]; Resource: unknown }[]);
    expect(resources[roleId]!.Properties.ManagedPolicyArns, `${name} has no managed policies`).toBeUndefined();
    const found = new Set<string>();
    for (const s of statements) {
      expect(s.Effect).toBe('Allow');
      for (const action of [s.Action].flat()) for (const resource of [s.Resource].flat()) found.add(`${action} on ${kindOf(resource)}`);
    }
    return [...found].sort();
  };

  const baseline = ['logs:CreateLogStream on own-log-group', 'logs:PutLogEvents on own-log-group', 'xray:PutTelemetryRecords on *', 'xray:PutTraceSegments on *'];
  const on = (kind: string, ...actions: string[]) => actions.map((a) => `${a} on ${kind}`);
  const expected: Record<FunctionName, string[]> = {
    messages: on('table', 'dynamodb:UpdateItem', 'dynamodb:BatchWriteItem', 'dynamodb:DeleteItem', 'dynamodb:Query', 'dynamodb:GetItem'),
    groups: on('table', 'dynamodb:PutItem', 'dynamodb:BatchWriteItem'),
    // The list reads the by-time index; a deletion's status reads its item and the conversations' purge progress.
    conversations: [...on('index', 'dynamodb:Query'), ...on('table', 'dynamodb:GetItem', 'dynamodb:BatchGetItem')],
    'delete-conversations': [
      ...on('table', 'dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem', 'dynamodb:Query', 'dynamodb:UpdateItem', 'dynamodb:PutItem', 'dynamodb:GetItem'),
      ...on('idempotency-table', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'),
      ...on('bus', 'events:PutEvents'),
    ],
    admin: on('table', 'dynamodb:UpdateItem', 'dynamodb:BatchWriteItem', 'dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:BatchGetItem'),
    sync: on('table', 'dynamodb:GetItem', 'dynamodb:Query'),
    'ws-authorizer': [],
    'ws-connect': on('table', 'dynamodb:PutItem'),
    'ws-disconnect': on('table', 'dynamodb:DeleteItem'),
    'purge-history': [
      ...on('table', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:BatchWriteItem', 'dynamodb:UpdateItem'),
      ...on('bus', 'events:PutEvents'),
      ...on('own-dlq', 'sqs:SendMessage'),
    ],
    'push-deletion': [
      ...on('table', 'dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:DeleteItem', 'dynamodb:UpdateItem'),
      ...on('ws-post-connections', 'execute-api:ManageConnections'),
      ...on('own-dlq', 'sqs:SendMessage'),
    ],
    'sweep-purges': [...on('index', 'dynamodb:Query'), ...on('table', 'dynamodb:UpdateItem'), ...on('bus', 'events:PutEvents')],
  };

  it.each(FUNCTION_NAMES.map((name) => [name]))('%s may call only its own actions on its own resources', (name) => {
    expect(permissionsOf(name)).toEqual([...baseline, ...expected[name]].sort());
  });

  it('uses no wildcard in any IAM action of its functions', () => {
    // CDK's console deployment helper is the exception, acknowledged with its reason (lib/console-hosting.ts).
    const [, helper] = ofType('AWS::Lambda::Function').find(([id]) => id.startsWith('CustomCDKBucketDeployment'))!;
    const helperRole = helper.Properties.Role['Fn::GetAtt'][0] as string;
    for (const [id, policy] of ofType('AWS::IAM::Policy')) {
      if ((policy.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === helperRole)) continue;
      for (const s of policy.Properties.PolicyDocument.Statement) for (const a of [s.Action].flat()) expect(a, id).not.toContain('*');
    }
  });
});

describe('data', () => {
  it('creates the service table on demand with PITR, TTL, the LSI, encryption, deletion protection and retain', () => {
    const table = resources[idOf(stack.data.table)]!;
    expect(table.Properties).toMatchObject({
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: SERVICE_TABLE.ttlAttribute, Enabled: true },
      SSESpecification: { SSEEnabled: true },
      DeletionProtectionEnabled: true,
      KeySchema: [
        { AttributeName: SERVICE_TABLE.partitionKey, KeyType: 'HASH' },
        { AttributeName: SERVICE_TABLE.sortKey, KeyType: 'RANGE' },
      ],
      LocalSecondaryIndexes: SERVICE_TABLE.localIndexes.map((index) => ({
        IndexName: index.name,
        KeySchema: [
          { AttributeName: SERVICE_TABLE.partitionKey, KeyType: 'HASH' },
          { AttributeName: index.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: index.projection },
      })),
    });
    expect(table.DeletionPolicy).toBe('Retain');
    expect(table.UpdateReplacePolicy).toBe('Retain');
  });

  it('creates the idempotency table with its TTL and PITR', () => {
    expect(resources[idOf(stack.data.idempotencyTable)]!.Properties).toMatchObject({
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: IDEMPOTENCY_TABLE.partitionKey, KeyType: 'HASH' }],
      TimeToLiveSpecification: { AttributeName: IDEMPOTENCY_TABLE.ttlAttribute, Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
  });
});

describe('HTTP API', () => {
  it('has exactly the routes of HTTP_ROUTES, every one behind the JWT authorizer', () => {
    const routes = ofType('AWS::ApiGatewayV2::Route').filter(([, r]) => r.Properties.ApiId.Ref === idOf(stack.httpApi.api));
    expect(routes.map(([, r]) => r.Properties.RouteKey).sort()).toEqual(HTTP_ROUTES.map(routeKey).sort());
    const [authorizerId] = ofType('AWS::ApiGatewayV2::Authorizer').find(([, a]) => a.Properties.AuthorizerType === 'JWT')!;
    for (const [, route] of routes) {
      expect(route.Properties.AuthorizationType, route.Properties.RouteKey).toBe('JWT');
      expect(route.Properties.AuthorizerId, route.Properties.RouteKey).toEqual({ Ref: authorizerId });
    }
  });

  it('checks tokens of the stack\'s user pool and its two app clients (the apps\' and the console\'s)', () => {
    const poolId = idOf(stack.auth.userPool!);
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: {
        // The apps' client and the console's (its users sign in through the hosted UI with a client of its own).
        Audience: [{ Ref: idOf(stack.auth.userPoolClient!) }, { Ref: idOf(stack.console!.client) }],
        Issuer: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('^https://cognito-idp\\.'), { Ref: poolId }])] },
      },
    });
  });

  it('gives the console\'s hosted UI a domain prefix unique across accounts (the account ID) and stacks (a hash)', () => {
    const [, domain] = ofType('AWS::Cognito::UserPoolDomain')[0]!;
    expect(domain.Properties.Domain).toEqual({ 'Fn::Join': ['', ['console-', { Ref: 'AWS::AccountId' }, expect.stringMatching(/^-[0-9a-f]{8}$/)]] });
  });

  it('integrates each HTTP function once', () => {
    const integrations = ofType('AWS::ApiGatewayV2::Integration').filter(([, i]) => i.Properties.ApiId.Ref === idOf(stack.httpApi.api));
    const targets = integrations.map(([, i]) => JSON.stringify(i.Properties.IntegrationUri)).sort();
    expect(targets).toEqual(HTTP_FUNCTIONS.map((n) => JSON.stringify({ 'Fn::GetAtt': [stack.functions.get(n)!.logicalId, 'Arn'] })).sort());
  });

  it('deploys a throttled $default stage with JSON access logs', () => {
    const stage = resources[idOf(stack.httpApi.stage)]!;
    expect(stage.Properties).toMatchObject({
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 500, ThrottlingBurstLimit: 1000 },
      AccessLogSettings: { DestinationArn: { 'Fn::GetAtt': [idOf(stack.httpApi.accessLogs), 'Arn'] } },
    });
    expect(JSON.parse(stage.Properties.AccessLogSettings.Format)).toMatchObject({ requestId: '$context.requestId', status: '$context.status' });
  });

  it('has no CORS configuration unless origins are given', () => {
    expect(resources[idOf(stack.httpApi.api)]!.Properties.CorsConfiguration).toBeUndefined();
  });
});

describe('WebSocket API', () => {
  it('guards $connect with the ws-authorizer REQUEST authorizer reading ?token=', () => {
    const authorizers = ofType('AWS::ApiGatewayV2::Authorizer').filter(([, a]) => a.Properties.AuthorizerType === 'REQUEST');
    expect(authorizers).toHaveLength(1);
    const [authorizerId, authorizer] = authorizers[0]!;
    expect(authorizer.Properties.IdentitySource).toEqual(['route.request.querystring.token']);
    expect(JSON.stringify(authorizer.Properties.AuthorizerUri)).toContain(stack.functions.get('ws-authorizer')!.logicalId);
    const connect = ofType('AWS::ApiGatewayV2::Route').find(([, r]) => r.Properties.RouteKey === '$connect')!;
    expect(connect[1].Properties).toMatchObject({ AuthorizationType: 'CUSTOM', AuthorizerId: { Ref: authorizerId } });
  });

  it('has the routes of WEBSOCKET_ROUTES, each integrated with its function', () => {
    const wsRoutes = ofType('AWS::ApiGatewayV2::Route').filter(([, r]) => r.Properties.ApiId.Ref === idOf(stack.webSocketApi.api));
    expect(wsRoutes.map(([, r]) => r.Properties.RouteKey).sort()).toEqual(WEBSOCKET_ROUTES.map((r) => r.routeKey).sort());
    for (const route of WEBSOCKET_ROUTES) {
      const [, cfn] = wsRoutes.find(([, r]) => r.Properties.RouteKey === route.routeKey)!;
      const integrationId = (cfn.Properties.Target['Fn::Join'][1] as unknown[]).find((p): p is { Ref: string } => typeof p === 'object')!.Ref;
      expect(JSON.stringify(resources[integrationId]!.Properties.IntegrationUri)).toContain(stack.functions.get(route.function)!.logicalId);
    }
  });

  it('sets the API Gateway CloudWatch Logs role before the WebSocket stage, and keeps the role', () => {
    const [accountId, account] = ofType('AWS::ApiGateway::Account')[0]!;
    const roleId = account.Properties.CloudWatchRoleArn['Fn::GetAtt'][0] as string;
    expect(resources[roleId]!.DeletionPolicy).toBe('Retain');
    expect((template.toJSON().Resources[idOf(stack.webSocketApi.stage)] as { DependsOn: string[] }).DependsOn).toContain(accountId);
  });

  it('auto-deploys a throttled stage with access logs', () => {
    expect(resources[idOf(stack.webSocketApi.stage)]!.Properties).toMatchObject({
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 500, ThrottlingBurstLimit: 1000 },
      AccessLogSettings: { DestinationArn: { 'Fn::GetAtt': [idOf(stack.webSocketApi.accessLogs), 'Arn'] } },
    });
  });

  it('gives the push function the stage\'s management endpoint and the authorizer its Cognito pool and both clients', () => {
    const push = resources[stack.functions.get('push-deletion')!.logicalId]!.Properties.Environment.Variables;
    expect(push[ENV.websocketManagementEndpoint]).toEqual({
      'Fn::Join': ['', ['https://', { Ref: idOf(stack.webSocketApi.api) }, '.execute-api.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }, '/v1']],
    });
    const authorizer = resources[stack.functions.get('ws-authorizer')!.logicalId]!.Properties.Environment.Variables;
    expect(authorizer[ENV.cognitoUserPoolID]).toEqual({ Ref: idOf(stack.auth.userPool!) });
    expect(authorizer[ENV.cognitoClientID]).toEqual({ 'Fn::Join': [',', [{ Ref: idOf(stack.auth.userPoolClient!) }, { Ref: idOf(stack.console!.client) }]] });
  });
});

describe('events', () => {
  it('routes each rule of EVENT_TARGETS with its contract pattern to its function, with retries and a DLQ', () => {
    const rules = ofType('AWS::Events::Rule').filter(([, r]) => r.Properties.EventPattern);
    expect(rules).toHaveLength(EVENT_TARGETS.length);
    for (const target of EVENT_TARGETS) {
      const routed = stack.events.targets.find((t) => t.function.name === target.function)!;
      const rule = resources[idOf(routed.rule)]!.Properties;
      expect(rule.EventPattern).toEqual(RULE_PATTERNS[target.rule]);
      expect(rule.EventBusName).toEqual({ Ref: idOf(stack.events.bus) });
      expect(rule.Targets).toHaveLength(1);
      expect(rule.Targets[0]).toMatchObject({
        Arn: { 'Fn::GetAtt': [routed.function.logicalId, 'Arn'] },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [idOf(routed.deadLetterQueue), 'Arn'] } },
        RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 6 * 3600 },
      });
    }
  });

  it('invokes each scheduled function at its rate, on the default bus, without retries (the next run is the retry)', () => {
    const schedules = ofType('AWS::Events::Rule').filter(([, r]) => r.Properties.ScheduleExpression);
    expect(schedules).toHaveLength(SCHEDULED_FUNCTIONS.length);
    for (const scheduled of SCHEDULED_FUNCTIONS) {
      const fn = stack.functions.get(scheduled.function)!;
      const [, rule] = schedules.find(([, r]) => r.Properties.Targets[0].Arn['Fn::GetAtt'][0] === fn.logicalId)!;
      expect(rule.Properties).toMatchObject({ ScheduleExpression: `rate(${scheduled.everySeconds / 60} minute${scheduled.everySeconds === 60 ? '' : 's'})`, State: 'ENABLED' });
      expect(rule.Properties.EventBusName).toBeUndefined();
      expect(rule.Properties.Targets[0].RetryPolicy).toMatchObject({ MaximumRetryAttempts: 0 });
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { FunctionName: { Ref: fn.logicalId }, MaximumRetryAttempts: 0 });
    }
  });

  it('sends the event functions\' own failures to the same DLQ after Lambda\'s retries', () => {
    for (const routed of stack.events.targets) {
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: routed.function.logicalId },
        MaximumRetryAttempts: 2,
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [idOf(routed.deadLetterQueue), 'Arn'] } } },
      });
    }
  });

  it('encrypts every DLQ and refuses non-TLS access to it', () => {
    for (const routed of stack.events.targets) {
      const queueId = idOf(routed.deadLetterQueue);
      expect(resources[queueId]!.Properties.SqsManagedSseEnabled).toBe(true);
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: queueId }],
        PolicyDocument: {
          Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
        },
      });
    }
  });
});

/**
 * Undo's delayed purge: an undoable change marks its purge due at the grace period's end plus the restore margin, in
 * the pending-purges index; the schedule rule runs the sweeper every minute, which leases each due purge and asks
 * for it on the bus; the purge rule delivers that with retries and a dead-letter queue. One mechanism, the one that
 * already re-drives lost purges, rather than a second (one schedule per deletion) that would have to agree with it.
 */
describe("undo's delayed purge", () => {
  const sweep = () => stack.functions.get('sweep-purges')!;

  it('keeps the due purges in the sparse pendingPurges index, with what the sweeper needs projected', () => {
    const table = ofType('AWS::DynamoDB::Table').find(([, t]) => t.Properties.GlobalSecondaryIndexes)![1];
    expect(table.Properties.GlobalSecondaryIndexes).toEqual([
      expect.objectContaining({
        IndexName: PENDING_PURGES_INDEX.name,
        KeySchema: [
          { AttributeName: PENDING_PURGES_INDEX.partitionKey, KeyType: 'HASH' },
          { AttributeName: PENDING_PURGES_INDEX.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: expect.arrayContaining(['conversationID', 'clearSeq', 'purgeDeletionID']) },
      }),
    ]);
  });

  it('runs the sweeper every minute from a schedule rule allowed to invoke it, and nothing else', () => {
    const rules = ofType('AWS::Events::Rule').filter(([, r]) => r.Properties.Targets?.[0]?.Arn?.['Fn::GetAtt']?.[0] === sweep().logicalId);
    expect(rules).toHaveLength(1);
    expect(rules[0]![1].Properties).toMatchObject({ ScheduleExpression: 'rate(1 minute)', State: 'ENABLED' });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: { 'Fn::GetAtt': [sweep().logicalId, 'Arn'] },
      Principal: 'events.amazonaws.com',
      SourceArn: { 'Fn::GetAtt': [rules[0]![0], 'Arn'] },
    });
  });

  it('lets the sweeper read only the index, lease on the table and publish on the bus (its whole IAM policy)', () => {
    const roleId = resources[sweep().logicalId]!.Properties.Role['Fn::GetAtt'][0];
    const statements = ofType('AWS::IAM::Policy')
      .filter(([, p]) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === roleId))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]);
    const dynamo = statements.filter((st) => [st.Action].flat().some((a) => a.startsWith('dynamodb:')));
    expect(dynamo.flatMap((st) => [st.Action].flat()).sort()).toEqual(['dynamodb:Query', 'dynamodb:UpdateItem']);
    const query = dynamo.find((st) => [st.Action].flat().includes('dynamodb:Query'))!;
    expect(JSON.stringify(query.Resource)).toContain(`/index/${PENDING_PURGES_INDEX.name}`);
    expect(statements.flatMap((st) => [st.Action].flat()).filter((a) => a.startsWith('events:'))).toEqual(['events:PutEvents']);
  });

  it('delivers the requested purge through the purgeHistory rule, with retries and its dead-letter queue', () => {
    const routed = stack.events.targets.find((t) => t.function.name === 'purge-history')!;
    expect(resources[idOf(routed.rule)]!.Properties.EventPattern).toEqual(RULE_PATTERNS.purgeHistory);
    expect(resources[idOf(routed.rule)]!.Properties.Targets[0]).toMatchObject({
      DeadLetterConfig: { Arn: { 'Fn::GetAtt': [idOf(routed.deadLetterQueue), 'Arn'] } },
      RetryPolicy: { MaximumRetryAttempts: 8 },
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [idOf(routed.deadLetterQueue), 'QueueName'] } }] });
  });

  it('times the margin after the grace period to cover a restore accepted in time, and the lease to cover a purge run', () => {
    // A restore is accepted before restorableUntil and its write lands within the function's timeout.
    expect(resources[stack.functions.get('delete-conversations')!.logicalId]!.Properties.Timeout).toBeLessThan(RESTORE_WRITE_MARGIN_SECONDS);
    expect(resources[stack.functions.get('purge-history')!.logicalId]!.Properties.Timeout).toBeLessThanOrEqual(PURGE_SWEEP.leaseSeconds);
  });
});

describe('auth, monitoring and outputs', () => {
  it('creates the admins group in the user pool', () => {
    template.hasResourceProperties('AWS::Cognito::UserPoolGroup', { GroupName: ADMIN_GROUP, UserPoolId: { Ref: idOf(stack.auth.userPool!) } });
  });

  it('alarms on every function\'s errors and throttles, every DLQ and API 5xx, notifying the encrypted topic', () => {
    const alarms = ofType('AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
    const named = (metric: string) => alarms.filter((a) => a.MetricName === metric);
    expect(named('Errors')).toHaveLength(FUNCTION_NAMES.length);
    expect(named('Throttles')).toHaveLength(FUNCTION_NAMES.length);
    expect(named('ApproximateNumberOfMessagesVisible')).toHaveLength(EVENT_TARGETS.length);
    expect(named('5xx')).toHaveLength(1);
    const topicId = idOf(stack.monitoring.topic!);
    for (const alarm of alarms) expect(alarm.AlarmActions).toEqual([{ Ref: topicId }]);
    expect(resources[topicId]!.Properties.KmsMasterKeyId).toBeDefined();
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com' });
  });

  it('outputs the HTTP URL, WebSocket URL, user pool ID and client ID', () => {
    const outputs = Object.keys(template.toJSON().Outputs as object);
    expect(outputs).toEqual(expect.arrayContaining(['HttpApiUrl', 'WebSocketUrl', 'UserPoolId', 'UserPoolClientId']));
  });
});

describe('cdk-nag', () => {
  it('finds no unacknowledged AwsSolutions finding', () => {
    const report = new AwsSolutionsChecks().validateScope(stack);
    expect(report.violations.map((v) => ({ rule: v.ruleName, resources: v.violatingResources }))).toEqual([]);
    expect(report.success).toBe(true);
  });
});
