/**
 * The one loop for what the SDK cannot retry for you: a call that succeeded but did part of the work
 * (`UnprocessedItems`, `UnprocessedKeys`, failed `PutEvents` entries). Only the part not done is re-sent. Failed calls
 * are not retried here: the SDK client already did that by its own classification (see retry-policy.ts).
 *
 * The backoff grows only while nothing gets done: a round that got part of the work through (a throttled partition
 * taking what it can) is followed by the shortest wait, as boto3's batch writer does, so a busy partition is kept busy
 * instead of idling through ever longer waits. The single-partition pace is the batch writer's (batch-writer.ts).
 */
import { isThrottlingError, isTransientError } from '@smithy/core/retry';
import { type Backoff, backoffBound } from './retry-policy.js';

export type RetryPartialOptions<T> = {
  /** Sends `pending` once and resolves to the part not done (empty when all is done). A throw ends the loop. */
  attempt: (pending: T[]) => Promise<T[]>;
  stop: {
    /** Tries in all, the first included. */
    maxAttempts: number;
    /** Epoch ms: no retry starts after it, nor a wait that could end after it. The first attempt is always made. */
    deadline?: number;
  };
  backoff: Backoff;
  /** Called before each retry with what is about to be re-sent (for metrics). */
  onRetry?: (pending: readonly T[]) => void;
};

export type PartialOutcome<T> = {
  /** What was not done when the loop stopped: empty only when `stop` is `'done'`. */
  remaining: T[];
  attempts: number;
  /** Why the loop stopped: all done, the deadline (or a wait that would pass it), the attempt cap, or a throw. */
  stop: 'done' | 'deadline' | 'attempts' | 'error';
  /** What the attempt threw, when `stop` is `'error'`. */
  error?: unknown;
};

/**
 * Calls `attempt` until nothing is pending, then or at the stop returns what is left; never drops it.
 * The wait before a retry is between half of and all of `min(capMs, baseMs * 2^n)`, n being the number of rounds in a
 * row, before it, that got nothing done (0 after a round that got something done); the loop stops rather than start a
 * wait whose bound would reach the deadline.
 */
export const retryPartial = async <T>(items: readonly T[], options: RetryPartialOptions<T>): Promise<PartialOutcome<T>> => {
  const { attempt, backoff, onRetry } = options;
  const { maxAttempts, deadline = Number.POSITIVE_INFINITY } = options.stop;
  if (!(maxAttempts >= 1)) throw new RangeError(`maxAttempts must be at least 1, got ${maxAttempts}`);
  let pending = [...items];
  let attempts = 0;
  let fruitless = 0;
  while (pending.length > 0) {
    attempts++;
    const before = pending.length;
    try {
      pending = await attempt(pending);
    } catch (error) {
      return { remaining: pending, attempts, stop: 'error', error };
    }
    if (pending.length === 0) break;
    if (attempts >= maxAttempts) return { remaining: pending, attempts, stop: 'attempts' };
    fruitless = pending.length < before ? 0 : fruitless + 1;
    const bound = backoffBound(Math.max(0, fruitless - 1), backoff);
    if (Date.now() + bound >= deadline) return { remaining: pending, attempts, stop: 'deadline' };
    onRetry?.(pending);
    await new Promise((resolve) => setTimeout(resolve, bound * (0.5 + Math.random() / 2)));
  }
  return { remaining: [], attempts, stop: 'done' };
};

/**
 * The SDK's own throttling classification. DynamoDB answers a batch call it could do none of with
 * `ProvisionedThroughputExceededException`: the batch loops treat that, once the SDK's retries are spent, as
 * "nothing processed" and keep going within their stop rule.
 */
export const isThrottling = (error: unknown): boolean => error instanceof Error && isThrottlingError(error as Parameters<typeof isThrottlingError>[0]);

/**
 * Throttling or a transient failure (5xx, timeout, connection reset) by the SDK's own classification: what the SDK
 * retried before giving up. An idempotent batch (BatchWriteItem's puts and deletes) may be re-sent whole after it,
 * within its caller's stop rule: a reset may have hidden a success, and writing the same items again is harmless.
 */
export const isRetryableFailure = (error: unknown): boolean =>
  isThrottling(error) || (error instanceof Error && isTransientError(error as Parameters<typeof isTransientError>[0]));
