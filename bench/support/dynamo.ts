/**
 * Raw DynamoDB access for the benchmarks: a plain document client, BatchWriteItem in parallel chunks of 25
 * (the floor the service is measured against, and the seeding), a naive one-DeleteItem-at-a-time loop, and counts.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DeleteCommand, DynamoDBDocumentClient, paginateQuery, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import pLimit from 'p-limit';
import type { WriteRequest } from '#adapters/dynamodb/batch-writer.js';
import type { Key } from '#contracts/table.js';

export const BATCH = 25;

/** Same client configuration as the service's (default SDK HTTP agent), without the tracer wrapper (a no-op locally). */
export const benchClient = (endpoint: string): DynamoDBDocumentClient =>
  DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint, region: process.env.AWS_REGION ?? 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
    { marshallOptions: { removeUndefinedValues: true } },
  );

export type WriteAllOptions = {
  tableName: string;
  /** BatchWriteItem calls in flight at once. */
  concurrency: number;
  /** Called after each chunk with the running total written. */
  onProgress?: (written: number) => void;
};

/**
 * Sends every request with BatchWriteItem, 25 a call, `concurrency` calls in flight, re-sending UnprocessedItems
 * (DynamoDB Local does not throttle, so that loop normally never runs). Nothing else: this is the floor.
 */
export const writeAll = async (client: DynamoDBDocumentClient, requests: readonly WriteRequest[], options: WriteAllOptions): Promise<void> => {
  const limit = pLimit(options.concurrency);
  let written = 0;
  const chunks: WriteRequest[][] = [];
  for (let i = 0; i < requests.length; i += BATCH) chunks.push(requests.slice(i, i + BATCH));
  await Promise.all(
    chunks.map((part) =>
      limit(async () => {
        let pending = part;
        for (let attempt = 0; pending.length > 0; attempt++) {
          if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(1000, 25 * 2 ** attempt) * Math.random()));
          if (attempt > 20) throw new Error(`BatchWriteItem left ${pending.length} item(s) unprocessed after 20 attempts`);
          const response = await client.send(new BatchWriteCommand({ RequestItems: { [options.tableName]: pending as never } }));
          pending = (response.UnprocessedItems?.[options.tableName] ?? []) as WriteRequest[];
        }
        written += part.length;
        options.onProgress?.(written);
      }),
    ),
  );
};

/** One DeleteItem at a time, waiting for each: how a purge written without batching would go. */
export const deleteOneByOne = async (client: DynamoDBDocumentClient, tableName: string, keys: readonly Key[]): Promise<void> => {
  for (const key of keys) await client.send(new DeleteCommand({ TableName: tableName, Key: { pk: key.pk, sk: key.sk } }));
};

/** Counts a partition's items with consistent Query pages (optionally keys-only, `pageSize` at a time). */
const countPartition = async (client: DynamoDBDocumentClient, input: QueryCommandInput): Promise<number> => {
  let total = 0;
  for await (const page of paginateQuery({ client }, input)) total += page.Count ?? 0;
  return total;
};

/** Items left in some partitions (consistent COUNT queries), to check that a purge really removed everything. */
export const countItems = async (client: DynamoDBDocumentClient, tableName: string, partitions: readonly string[]): Promise<number> => {
  const limit = pLimit(8);
  const counts = await Promise.all(
    partitions.map((pk) =>
      limit(() =>
        countPartition(client, { TableName: tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': pk }, Select: 'COUNT', ConsistentRead: true }),
      ),
    ),
  );
  return counts.reduce((a, b) => a + b, 0);
};

/**
 * Reads every key of some partitions the way the purge does (keys-only, consistent Query pages of `pageSize`,
 * `concurrency` partitions at once) and returns how many there were: the read half of a purge, timed separately.
 */
export const readKeys = async (
  client: DynamoDBDocumentClient,
  tableName: string,
  partitions: readonly string[],
  options: { pageSize: number; concurrency: number },
): Promise<number> => {
  const limit = pLimit(options.concurrency);
  const counts = await Promise.all(
    partitions.map((pk) =>
      limit(() =>
        countPartition(client, {
          TableName: tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': pk },
          ProjectionExpression: 'pk, sk',
          ConsistentRead: true,
          Limit: options.pageSize,
        }),
      ),
    ),
  );
  return counts.reduce((a, b) => a + b, 0);
};
