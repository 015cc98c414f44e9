/**
 * The fault-injecting proxy (test/support/fault-proxy.ts) between real AWS SDK clients and the run's DynamoDB Local:
 * each fault in the shape the SDK sees from DynamoDB, what the SDK does with it, the per-partition write limit
 * measured, and the service's batch writer finishing its work under all of it.
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, BatchWriteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { batchWrite, type WriteRequest } from '#adapters/dynamodb/batch-writer.js';
import { createDocumentClient } from '#adapters/dynamodb/client.js';
import { createTables } from '#local/dynamodb-local.js';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.js';

const tableName = `t${randomUUID().slice(0, 8)}`;
let proxy: FaultProxy;
/** No SDK retries: each call is one request, so the fault shows as DynamoDB sent it. */
let raw: DynamoDBDocumentClient;
/** The service's own client (its retry policy), through the proxy. */
let service: DynamoDBDocumentClient;
/** Straight to DynamoDB Local: what is really stored. */
let direct: DynamoDBDocumentClient;

const documentClient = (endpoint: string, maxAttempts?: number) =>
  DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, ...(maxAttempts ? { maxAttempts } : {}) }),
  );

beforeAll(async () => {
  const endpoint = inject('dynamodbEndpoint');
  await createTables(endpoint, { tableName, idempotencyTableName: `${tableName}-idem` });
  proxy = await startFaultProxy({ target: endpoint, seed: 42 });
  raw = documentClient(proxy.endpoint, 1);
  service = createDocumentClient({ endpoint: proxy.endpoint });
  direct = documentClient(endpoint);
});
afterAll(async () => {
  for (const c of [raw, service, direct]) c?.destroy();
  await proxy?.close();
});
beforeEach(() => {
  proxy.clearFaults();
  proxy.resetStats();
});

const item = (pk: string, i: number) => ({ pk, sk: `S#${String(i).padStart(6, '0')}`, n: i });
const puts = (pk: string, count: number): WriteRequest[] => Array.from({ length: count }, (_, i) => ({ PutRequest: { Item: item(pk, i) } }));
const stored = async (pk: string): Promise<number> => {
  let total = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const page = await direct.send(new QueryCommand({ TableName: tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': pk }, Select: 'COUNT', ConsistentRead: true, ExclusiveStartKey: start }));
    total += page.Count ?? 0;
    start = page.LastEvaluatedKey;
  } while (start);
  return total;
};
const failure = (promise: Promise<unknown>) => promise.then(() => undefined, (e: unknown) => e as Error & { code?: string; $metadata?: { httpStatusCode?: number; attempts?: number } });

describe('with no faults configured', () => {
  it('passes every request through unchanged', async () => {
    const pk = `p${randomUUID()}`;
    await raw.send(new PutCommand({ TableName: tableName, Item: item(pk, 1) }));
    const got = await raw.send(new GetCommand({ TableName: tableName, Key: { pk, sk: item(pk, 1).sk } }));
    await raw.send(new BatchWriteCommand({ RequestItems: { [tableName]: puts(pk, 25) } }));

    expect(got.Item).toEqual(item(pk, 1));
    expect(await stored(pk)).toBe(25);
    expect(proxy.stats.requests).toEqual({ PutItem: 1, GetItem: 1, BatchWriteItem: 1 });
    expect(proxy.stats.forwarded).toEqual(proxy.stats.requests);
    expect(Object.values(proxy.stats.faults).every((n) => n === 0)).toBe(true);
  });
});

describe('partial batches', () => {
  it('BatchWriteItem: writes a random subset and answers the rest as UnprocessedItems', async () => {
    const pk = `p${randomUUID()}`;
    proxy.setFaults({ operations: { BatchWriteItem: { unprocessed: 0.5 } } });

    const response = await raw.send(new BatchWriteCommand({ RequestItems: { [tableName]: puts(pk, 25) } }));

    const unprocessed = response.UnprocessedItems?.[tableName] ?? [];
    expect(unprocessed.length).toBeGreaterThan(0);
    expect(unprocessed.length).toBeLessThan(25);
    expect(proxy.stats.heldBack.unprocessed).toBe(unprocessed.length);
    expect(await stored(pk)).toBe(25 - unprocessed.length);
    // Exactly the others were written.
    const written = await direct.send(new QueryCommand({ TableName: tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': pk }, ConsistentRead: true }));
    const heldSks = new Set(unprocessed.map((r) => r.PutRequest!.Item!.sk as string));
    expect(written.Items!.some((i) => heldSks.has(i.sk as string))).toBe(false);
  });

  it('BatchWriteItem with nothing left to forward: ProvisionedThroughputExceededException, as DynamoDB answers', async () => {
    const pk = `p${randomUUID()}`;
    proxy.setFaults({ operations: { BatchWriteItem: { unprocessed: 1 } } });

    const error = await failure(raw.send(new BatchWriteCommand({ RequestItems: { [tableName]: puts(pk, 3) } })));

    expect(error?.name).toBe('ProvisionedThroughputExceededException');
    expect(error?.$metadata?.httpStatusCode).toBe(400);
    expect(await stored(pk)).toBe(0);
  });

  it('BatchGetItem: answers a random subset and the rest as UnprocessedKeys', async () => {
    const pk = `p${randomUUID()}`;
    await direct.send(new BatchWriteCommand({ RequestItems: { [tableName]: puts(pk, 20) } }));
    proxy.setFaults({ all: { unprocessed: 0.5 } });

    const keys = Array.from({ length: 20 }, (_, i) => ({ pk, sk: item(pk, i).sk }));
    const response = await raw.send(new BatchGetCommand({ RequestItems: { [tableName]: { Keys: keys, ProjectionExpression: 'pk, sk' } } }));

    const got = response.Responses?.[tableName] ?? [];
    const unprocessed = response.UnprocessedKeys?.[tableName];
    expect(got.length).toBeGreaterThan(0);
    expect(unprocessed?.Keys?.length).toBe(20 - got.length);
    expect(unprocessed?.ProjectionExpression).toBe('pk, sk');
    expect(new Set([...got, ...unprocessed!.Keys!].map((k) => k.sk))).toEqual(new Set(keys.map((k) => k.sk)));
  });
});

describe('errors answered without forwarding', () => {
  it.each([
    ['throttle', 'ProvisionedThroughputExceededException', 400],
    ['throttlingException', 'ThrottlingException', 400],
    ['serverError', 'InternalServerError', 500],
  ] as const)('%s: %s (%i), in the AWS JSON error shape; nothing reaches DynamoDB', async (kind, name, status) => {
    const pk = `p${randomUUID()}`;
    proxy.setFaults({ all: { [kind]: 1 } });

    const error = await failure(raw.send(new PutCommand({ TableName: tableName, Item: item(pk, 1) })));

    expect(error?.name).toBe(name);
    expect(error?.$metadata?.httpStatusCode).toBe(status);
    expect(proxy.stats.forwarded.PutItem ?? 0).toBe(0);
    expect(proxy.stats.faults[kind]).toBe(1);
    expect(await stored(pk)).toBe(0);
  });

  it('the service client retries them: throttled for ever, it gives up after its 5 attempts', async () => {
    proxy.setFaults({ operations: { GetItem: { throttle: 1 } } });

    const error = await failure(service.send(new GetCommand({ TableName: tableName, Key: { pk: 'x', sk: 'y' } })));

    expect(error?.name).toBe('ProvisionedThroughputExceededException');
    expect(error?.$metadata?.attempts).toBe(5);
    expect(proxy.stats.requests.GetItem).toBe(5);
  });

  it('a rate is per operation over `all`, and `all` leaves control-plane calls alone', async () => {
    proxy.setFaults({ all: { serverError: 1 }, operations: { GetItem: { serverError: 0 } } });

    await raw.send(new GetCommand({ TableName: tableName, Key: { pk: 'x', sk: 'y' } }));
    const { DescribeTableCommand } = await import('@aws-sdk/client-dynamodb');
    await raw.send(new DescribeTableCommand({ TableName: tableName }));
    const error = await failure(raw.send(new PutCommand({ TableName: tableName, Item: item('x', 1) })));

    expect(error?.name).toBe('InternalServerError');
    expect(proxy.stats.faults.serverError).toBe(1);
  });
});

describe('latency and dropped connections', () => {
  it('delays a request by a time in the configured range', async () => {
    proxy.setFaults({ all: { delay: 1, delayMs: [150, 200] } });

    const started = performance.now();
    await raw.send(new GetCommand({ TableName: tableName, Key: { pk: 'x', sk: 'y' } }));

    expect(performance.now() - started).toBeGreaterThanOrEqual(145);
    expect(proxy.stats.faults.delay).toBe(1);
  });

  it('dropBefore: the client sees a reset and DynamoDB never saw the request; the service client retries it', async () => {
    const pk = `p${randomUUID()}`;
    proxy.setFaults({ operations: { PutItem: { dropBefore: 1 } } });

    const error = await failure(raw.send(new PutCommand({ TableName: tableName, Item: item(pk, 1) })));
    expect(error?.code).toBe('ECONNRESET');
    expect(await stored(pk)).toBe(0);

    // The first attempt dropped, the retry through: the SDK retries a reset.
    proxy.clearFaults();
    let seen = 0;
    const off = proxy.onRequest(() => (++seen === 1 ? { fate: 'drop-before' } : undefined));
    const response = await service.send(new PutCommand({ TableName: tableName, Item: item(pk, 2) }));
    off();
    expect(response.$metadata.attempts).toBe(2);
    expect(await stored(pk)).toBe(1);
  });

  it('dropAfter is opt-in per operation only', () => {
    expect(() => proxy.setFaults({ all: { dropAfter: 0.1 } as never })).toThrow(/opt-in per operation/);
  });

  it('dropAfter: DynamoDB applied the write, the client saw a reset; a non-idempotent ADD retried by the SDK counts twice', async () => {
    const key = { pk: `p${randomUUID()}`, sk: 'COUNTER' };
    const add = () => new UpdateCommand({ TableName: tableName, Key: key, UpdateExpression: 'ADD n :one', ExpressionAttributeValues: { ':one': 1 } });
    proxy.setFaults({ operations: { UpdateItem: { dropAfter: 1 } } });

    const error = await failure(raw.send(add()));
    expect(error?.code).toBe('ECONNRESET');
    expect((await direct.send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }))).Item?.n).toBe(1);

    // Why it is opt-in: the SDK retries the reset, and the one ADD the caller made is applied twice.
    proxy.clearFaults();
    let seen = 0;
    const off = proxy.onRequest(() => (++seen === 1 ? { fate: 'drop-after' } : undefined));
    await service.send(add());
    off();
    expect((await direct.send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }))).Item?.n).toBe(3);
    expect(proxy.stats.faults.dropAfter).toBe(2);
  });
});

describe('onRequest hooks', () => {
  it('can hold a request until released, then let it through', async () => {
    const pk = `p${randomUUID()}`;
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const seen: string[] = [];
    const off = proxy.onRequest(async ({ operation, body }) => {
      seen.push(operation);
      if (operation === 'PutItem' && body.Item?.pk?.S === pk) await held;
    });

    const put = raw.send(new PutCommand({ TableName: tableName, Item: item(pk, 1) }));
    await new Promise((r) => setTimeout(r, 100));
    expect(await stored(pk)).toBe(0);
    release();
    await put;
    off();

    expect(await stored(pk)).toBe(1);
    expect(seen).toEqual(['PutItem']);
  });

  it('can answer an error of its choosing, or run code once DynamoDB applied a write and before the client hears', async () => {
    const pk = `p${randomUUID()}`;
    const offError = proxy.onRequest(({ operation }) => (operation === 'GetItem' ? { fate: 'error', status: 400, type: 'ValidationException', message: 'no' } : undefined));
    const error = await failure(raw.send(new GetCommand({ TableName: tableName, Key: { pk, sk: 'y' } })));
    offError();
    expect(error?.name).toBe('ValidationException');

    let storedWhenHeld = -1;
    const offAfter = proxy.onRequest(() => ({ fate: 'forward', afterForward: async () => void (storedWhenHeld = await stored(pk)) }));
    await raw.send(new PutCommand({ TableName: tableName, Item: item(pk, 1) }));
    offAfter();
    expect(storedWhenHeld).toBe(1);
  });
});

describe('the per-partition write limit', () => {
  /** Sends batches of 25 to `pk` as fast as DynamoDB answers, re-sending unprocessed items at once, for `ms`. */
  const hammer = async (client: DynamoDBDocumentClient, pk: string, ms: number, concurrency = 8) => {
    const until = performance.now() + ms;
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        let pending: WriteRequest[] = [];
        while (performance.now() < until) {
          if (pending.length === 0) pending = Array.from({ length: 25 }, () => ({ PutRequest: { Item: item(pk, next++) } }));
          const response = await failure(client.send(new BatchWriteCommand({ RequestItems: { [tableName]: pending as never } })).then((r) => void (pending = (r.UnprocessedItems?.[tableName] ?? []) as WriteRequest[])));
          if (response) await new Promise((r) => setTimeout(r, 2));
        }
      }),
    );
  };

  it('lets each partition write at the configured rate (within 20%), whatever is offered', async () => {
    const perSecond = 100;
    const [a, b] = [`p${randomUUID()}`, `p${randomUUID()}`];
    proxy.setFaults({ partitionWriteLimit: { perSecond } });

    // Act: 4 s of more writes than the limit on two partitions; the rate is measured after the first second, once the
    // bucket's initial second of saved-up writes is spent.
    const written = (pk: string) => proxy.stats.partitions.get(pk)?.written ?? 0;
    const hammering = Promise.all([hammer(raw, a, 4000), hammer(raw, b, 4000)]);
    await new Promise((r) => setTimeout(r, 1000));
    const from = { at: performance.now(), a: written(a), b: written(b) };
    await hammering;
    const seconds = (performance.now() - from.at) / 1000;

    // Assess
    const rates = [(written(a) - from.a) / seconds, (written(b) - from.b) / seconds];
    console.log(`partition limit ${perSecond}/s: measured ${rates.map((r) => r.toFixed(1)).join(' and ')} writes/s`);
    for (const rate of rates) {
      expect(rate).toBeGreaterThan(perSecond * 0.8);
      expect(rate).toBeLessThan(perSecond * 1.2);
    }
    for (const pk of [a, b]) {
      expect(proxy.stats.partitions.get(pk)!.refused).toBeGreaterThan(written(pk));
      expect(await stored(pk)).toBe(written(pk));
    }
    expect(proxy.stats.heldBack.partitionLimit).toBeGreaterThan(0);
  });

  it('refuses a single write over the limit with ProvisionedThroughputExceededException', async () => {
    const pk = `p${randomUUID()}`;
    proxy.setFaults({ partitionWriteLimit: { perSecond: 10, burst: 2 } });

    const results = await Promise.all(Array.from({ length: 5 }, (_, i) => failure(raw.send(new PutCommand({ TableName: tableName, Item: item(pk, i) })))));

    expect(results.filter((e) => e === undefined)).toHaveLength(2);
    expect(results.filter((e) => e?.name === 'ProvisionedThroughputExceededException')).toHaveLength(3);
    expect(await stored(pk)).toBe(2);
    expect(proxy.stats.faultsByOperation.PutItem?.partitionLimit).toBe(3);
  });
});

describe("the service's batch writer through the proxy", () => {
  it('writes every item under 50% UnprocessedItems, 10% throttling and 5% 500s', async () => {
    // Prepare: 1,000 puts over 8 partitions; every item of every BatchWriteItem held back with probability 0.5.
    const partitions = Array.from({ length: 8 }, () => `p${randomUUID()}`);
    const requests = partitions.flatMap((pk) => puts(pk, 125));
    proxy.setFaults({ all: { unprocessed: 0.5, throttle: 0.05, throttlingException: 0.05, serverError: 0.05 } });

    // Act
    const result = await batchWrite(service, requests, { tableName, deadline: Date.now() + 25_000 });

    // Assess: nothing failed, everything stored, and every fault was really injected along the way.
    expect(result.failed).toEqual([]);
    for (const pk of partitions) expect(await stored(pk)).toBe(125);
    const { faults, heldBack } = proxy.stats;
    expect(heldBack.unprocessed).toBeGreaterThan(500);
    for (const kind of ['unprocessed', 'throttle', 'throttlingException', 'serverError'] as const) expect(faults[kind], kind).toBeGreaterThan(0);
    console.log(`batch writer under faults: ${requests.length} items, ${proxy.stats.requests.BatchWriteItem} BatchWriteItem requests, ${result.retries} rounds retried; faults ${JSON.stringify(faults)}, items held back ${heldBack.unprocessed}`);
  });

  it('writes every item when connections drop before and after DynamoDB applied a batch (BatchWriteItem is idempotent)', async () => {
    const partitions = Array.from({ length: 4 }, () => `p${randomUUID()}`);
    const requests = partitions.flatMap((pk) => puts(pk, 100));
    proxy.setFaults({ all: { unprocessed: 0.3, dropBefore: 0.1, delay: 0.2, delayMs: [1, 30] }, operations: { BatchWriteItem: { dropAfter: 0.1 } } });

    const result = await batchWrite(service, requests, { tableName, deadline: Date.now() + 25_000 });

    expect(result.failed).toEqual([]);
    for (const pk of partitions) expect(await stored(pk)).toBe(100);
    for (const kind of ['dropBefore', 'dropAfter', 'delay'] as const) expect(proxy.stats.faults[kind], kind).toBeGreaterThan(0);
  });
});
