/**
 * Test access to the real local stack: the same startLocalStack as `npm start`, on a free port, against the
 * run's DynamoDB Local with tables of its own, plus a small HTTP client that speaks to it over real HTTP.
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { inject } from 'vitest';
import { type LocalStack, startLocalStack } from '../../local/stack.js';

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
};

export const startTestStack = async (): Promise<TestStack> => {
  const backgroundErrors: unknown[] = [];
  const stack = await startLocalStack({
    port: 0,
    dynamodbEndpoint: inject('dynamodbEndpoint'),
    tableName: `t${randomUUID().slice(0, 8)}`,
    log: (message, extra) => backgroundErrors.push({ message, extra }),
  });
  const db = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: stack.dynamodbEndpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
  );
  return {
    ...stack,
    as: async (userID, options = {}) => new ApiClient(stack.url, await stack.token(userID, options.admin ?? false)),
    anonymous: new ApiClient(stack.url),
    db,
    backgroundErrors,
  };
};

/** A user ID unique to this test, so tests never see each other's data. */
export const uniqueUser = (prefix = 'u'): string => `${prefix}${randomUUID().replaceAll('-', '').slice(0, 10)}`;
