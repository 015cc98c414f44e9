/**
 * Test access to the real local stack: the same startLocalStack as `npm start`, on a free port, against the
 * run's DynamoDB Local with tables of its own, plus a small HTTP client that speaks to it over real HTTP.
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { keys } from '#contracts/table.js';
import { inject } from 'vitest';
import type { AwsCall, AwsCallInterceptor } from '#local/aws-calls.js';
import { type LocalStack, startLocalStack } from '#local/stack.js';
import { describeUncovered, type LocalNames, resolvePolicies, type Uncovered, uncoveredCalls } from './iam.js';

export type ApiResponse<T = any> = { status: number; body: T; headers: Headers };

export class ApiClient {
  public constructor(
    private readonly baseUrl: string,
    private readonly token?: string,
  ) {}

  public async request<T = any>(method: string, path: string, options: { body?: unknown; rawBody?: string; headers?: Record<string, string> } = {}): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...(this.token ? { authorization: `Bearer ${this.token}` } : {}), ...options.headers };
    let body: string | undefined = options.rawBody;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] = 'application/json';
    }
    const response = await fetch(`${this.baseUrl}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined, headers: response.headers };
  }

  public get<T = any>(path: string, headers?: Record<string, string>) {
    return this.request<T>('GET', path, headers ? { headers } : {});
  }

  public post<T = any>(path: string, body?: unknown, headers?: Record<string, string>) {
    return this.request<T>('POST', path, { ...(body !== undefined ? { body } : {}), ...(headers ? { headers } : {}) });
  }

  public delete<T = any>(path: string, headers?: Record<string, string>) {
    return this.request<T>('DELETE', path, headers ? { headers } : {});
  }
}

export type TestStack = LocalStack & {
  /** An API client acting as this user. */
  as: (userID: string, options?: { admin?: boolean }) => Promise<ApiClient>;
  anonymous: ApiClient;
  /** Direct document client on the same table, to look at what is really stored. */
  db: DynamoDBDocumentClient;
  /** Background errors reported by the local bus (must stay empty in a healthy test). */
  backgroundErrors: unknown[];
  /** Every AWS call the functions sent, in order. */
  awsCalls: AwsCall[];
  /** Sees (and may hold) each later AWS call of the functions until removed; returns the remover. */
  intercept: (interceptor: AwsCallInterceptor) => () => void;
  /** What this stack calls the resources the IAM policies name (tables, bus, WebSocket API and stage). */
  localNames: LocalNames;
  /** The calls so far that the functions' synthesized IAM policies would refuse in the cloud. */
  uncoveredCalls: () => Uncovered[];
};

/** Every stack a test file started; test/support/grants-check.ts checks their calls after the file's tests. */
export const startedStacks: TestStack[] = [];

/**
 * @param options.deletionGracePeriodSeconds The app's undo grace period, stored as if an admin had set it before the
 *   test (no `updatedAt`). @default 0: undo off, so that a clearing deletion purges at once, as the tests of the purge
 *   expect; the undo tests pass the product's default or a short period.
 * @param options.dynamodbEndpoint Where the functions send their DynamoDB calls, e.g. a fault proxy's endpoint
 *   (test/support/fault-proxy.ts). The functions' client is built once per process, so the first stack of a test
 *   file decides it. `db` always reads the run's DynamoDB Local directly. @default the run's DynamoDB Local
 */
export const startTestStack = async (options: { dynamodbEndpoint?: string; deletionGracePeriodSeconds?: number } = {}): Promise<TestStack> => {
  const backgroundErrors: unknown[] = [];
  const awsCalls: AwsCall[] = [];
  const interceptors = new Set<AwsCallInterceptor>();
  const stack = await startLocalStack({
    port: 0,
    dynamodbEndpoint: options.dynamodbEndpoint ?? inject('dynamodbEndpoint'),
    tableName: `t${randomUUID().slice(0, 8)}`,
    log: (message, extra) => backgroundErrors.push({ message, extra }),
    interceptAwsCalls: async (call) => {
      awsCalls.push(call);
      await Promise.all([...interceptors].map((i) => i(call)));
    },
  });
  const names: LocalNames = {
    table: stack.tableName,
    idempotencyTable: stack.idempotencyTableName,
    bus: stack.eventBusName,
    webSocketApiId: stack.websocket.apiId,
    webSocketStage: stack.websocket.stage,
  };
  const policies = resolvePolicies(inject('functionPolicies'), names);
  const db = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: inject('dynamodbEndpoint'), region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
  );
  const testStack: TestStack = {
    ...stack,
    as: async (userID, options = {}) => new ApiClient(stack.url, await stack.token(userID, options.admin ?? false)),
    anonymous: new ApiClient(stack.url),
    db,
    backgroundErrors,
    awsCalls,
    localNames: names,
    intercept: (interceptor) => {
      interceptors.add(interceptor);
      return () => interceptors.delete(interceptor);
    },
    uncoveredCalls: () => uncoveredCalls(awsCalls, policies, names),
  };
  await db.send(new PutCommand({ TableName: stack.tableName, Item: { ...keys.settings(), deletionGracePeriodSeconds: options.deletionGracePeriodSeconds ?? 0 } }));
  startedStacks.push(testStack);
  return testStack;
};

export { describeUncovered };

/** A user ID unique to this test, so tests never see each other's data. */
export const uniqueUser = (prefix = 'u'): string => `${prefix}${randomUUID().replaceAll('-', '').slice(0, 10)}`;
