/**
 * BatchWriteItem done properly: chunks of 25 sent in parallel; the SDK client retries a failed call (throttling,
 * 5xx, network); `retryPartial` re-sends only the `UnprocessedItems` (and a chunk whose call still failed whole with
 * throttling, a 5xx or a reset) until everything is written or the deadline stops it. What is still unwritten then is returned, never silently dropped.
 */
import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import pLimit from 'p-limit';
import { chunk } from '../chunk.js';
import { isRetryableFailure, retryPartial } from '../retry.js';
import { type Backoff, PARTIAL_RETRY } from '../retry-policy.js';

export const BATCH_WRITE_LIMIT = 25;

export type WriteRequest =
  | { PutRequest: { Item: Record<string, unknown> }; DeleteRequest?: never }
  | { DeleteRequest: { Key: Record<string, unknown> }; PutRequest?: never };

export type BatchWriteOptions = {
  tableName: string;
  /**
   * Epoch ms: no retry starts after it, nor a wait that could end after it. A chunk's first attempt is always made,
   * and one call can outlast it by the SDK's own retries (docs/reliability.md, "Retries").
   */
  deadline: number;
  /** Chunks in flight at once. @default 16 */
  concurrency?: number;
  /** The wait between rounds of a chunk. @default PARTIAL_RETRY.batchWrite.backoff (25 ms base, 1 s cap) */
  backoff?: Partial<Backoff>;
  /** Rounds per chunk, the first included: a cap, the deadline is what stops it in practice. @default 50 */
  maxAttempts?: number;
  /** Called once per retry round of a chunk with the number of requests re-sent (for metrics). */
  onRetry?: (unprocessed: number) => void;
};

export type BatchWriteResult = {
  /** Requests not written when the loop stopped (deadline, attempt cap, or an error retrying cannot fix), with the reason. */
  failed: { request: WriteRequest; reason: string }[];
  retries: number;
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

const UNPROCESSED = 'unprocessed by DynamoDB (throttled)';

const writeChunk = async (client: DynamoDBDocumentClient, requests: WriteRequest[], options: BatchWriteOptions): Promise<BatchWriteResult> => {
  const policy = PARTIAL_RETRY.batchWrite;
  const { onRetry } = options;
  let lastReason = UNPROCESSED;
  const outcome = await retryPartial(requests, {
    attempt: async (pending) => {
      try {
        const response = await client.send(new BatchWriteCommand({ RequestItems: { [options.tableName]: pending as never } }));
        lastReason = UNPROCESSED;
        return (response.UnprocessedItems?.[options.tableName] ?? []) as WriteRequest[];
      } catch (error) {
        // Throttled whole (DynamoDB could write none of it), or a 5xx or a reset, after the SDK's own retries: treat
        // it all as unprocessed. Puts and deletes of whole items are idempotent, so re-sending what was perhaps
        // written already is harmless; anything else (a 400 such as ValidationException) ends the loop.
        if (!isRetryableFailure(error)) throw error;
        lastReason = (error as Error).name;
        return pending;
      }
    },
    stop: { deadline: options.deadline, maxAttempts: options.maxAttempts ?? policy.maxAttempts },
    backoff: { baseMs: options.backoff?.baseMs ?? policy.backoff.baseMs, capMs: options.backoff?.capMs ?? policy.backoff.capMs },
    ...(onRetry ? { onRetry: (pending: readonly WriteRequest[]) => onRetry(pending.length) } : {}),
  });
  const reason =
    outcome.stop === 'error'
      ? `${(outcome.error as Error).name}: ${(outcome.error as Error).message}`
      : `${lastReason}; gave up ${outcome.stop === 'deadline' ? 'at the deadline' : `after ${outcome.attempts} attempts`}`;
  return { failed: outcome.remaining.map((request) => ({ request, reason })), retries: outcome.attempts - 1 };
};
