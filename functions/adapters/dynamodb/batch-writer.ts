/**
 * BatchWriteItem done properly: chunks of 25 sent in parallel, UnprocessedItems and throttling errors
 * retried with capped exponential backoff and full jitter until everything is written or the deadline passes.
 * What is still unwritten at the deadline is returned, never silently dropped.
 */
import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import pLimit from 'p-limit';
import { fullJitterDelay, isRetryableAwsError, sleep, type BackoffOptions } from '../retry.js';

export const BATCH_WRITE_LIMIT = 25;

export type WriteRequest =
  | { PutRequest: { Item: Record<string, unknown> }; DeleteRequest?: never }
  | { DeleteRequest: { Key: Record<string, unknown> }; PutRequest?: never };

export type BatchWriteOptions = {
  tableName: string;
  /** Epoch ms after which no more retries start. */
  deadline: number;
  /** Chunks in flight at once. @default 16 */
  concurrency?: number;
  backoff?: BackoffOptions;
  /** Called once per retry round of a chunk (for metrics). */
  onRetry?: (unprocessed: number) => void;
};

export type BatchWriteResult = {
  /** Requests not written when the deadline passed (or after a non-retryable error), with the reason. */
  failed: { request: WriteRequest; reason: string }[];
  retries: number;
};

export const chunk = <T>(items: readonly T[], size: number): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
};

export const batchWrite = async (
  client: DynamoDBDocumentClient,
  requests: readonly WriteRequest[],
  options: BatchWriteOptions,
): Promise<BatchWriteResult> => {
  const limit = pLimit(options.concurrency ?? 16);
  const result: BatchWriteResult = { failed: [], retries: 0 };
  await Promise.all(
    chunk(requests, BATCH_WRITE_LIMIT).map((part) =>
      limit(async () => {
        const outcome = await writeChunk(client, part, options);
        result.failed.push(...outcome.failed);
        result.retries += outcome.retries;
      }),
    ),
  );
  return result;
};

const writeChunk = async (
  client: DynamoDBDocumentClient,
  requests: WriteRequest[],
  options: BatchWriteOptions,
): Promise<BatchWriteResult> => {
  let pending = requests;
  let lastReason = 'unprocessed by DynamoDB (throttled)';
  for (let attempt = 0; ; attempt++) {
    if (attempt > 0) {
      const delay = fullJitterDelay(attempt - 1, options.backoff);
      if (Date.now() + delay >= options.deadline) {
        return { failed: pending.map((request) => ({ request, reason: `${lastReason}; gave up at the deadline` })), retries: attempt - 1 };
      }
      options.onRetry?.(pending.length);
      await sleep(delay);
    }
    try {
      const response = await client.send(
        new BatchWriteCommand({ RequestItems: { [options.tableName]: pending as never } }),
      );
      const unprocessed = (response.UnprocessedItems?.[options.tableName] ?? []) as WriteRequest[];
      if (unprocessed.length === 0) return { failed: [], retries: attempt };
      pending = unprocessed;
      lastReason = 'unprocessed by DynamoDB (throttled)';
    } catch (error) {
      if (!isRetryableAwsError(error)) {
        const reason = `${(error as Error).name}: ${(error as Error).message}`;
        return { failed: pending.map((request) => ({ request, reason })), retries: attempt };
      }
      lastReason = `${(error as Error).name ?? 'error'}`;
    }
  }
};
