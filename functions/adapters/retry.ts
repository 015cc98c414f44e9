/**
 * The one loop for what the SDK cannot retry for you: a call that succeeded but did part of the work
 * (`UnprocessedItems`, `UnprocessedKeys`, failed `PutEvents` entries). Only the part not done is re-sent. Failed calls
 * are not retried here: the SDK client already did that by its own classification (see retry-policy.ts).
 *
 * Built on p-retry for the backoff and the attempt count; the part still pending lives in this closure, because
 * p-retry retries a whole function and knows nothing of partial results.
 */
import { isThrottlingError, isTransientError } from '@smithy/core/retry';
import pRetry from 'p-retry';
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

/** Thrown inside p-retry to ask for another round; never leaves this module. */
class Unfinished extends Error {
  public override readonly name = 'Unfinished';
}

/**
 * Calls `attempt` until nothing is pending, then or at the stop returns what is left; never drops it.
 * The wait before retry n is between half of and all of `min(capMs, baseMs * 2^n)` (p-retry's randomized
 * exponential backoff); the loop stops rather than start a wait whose bound would reach the deadline.
 */
export const retryPartial = async <T>(items: readonly T[], options: RetryPartialOptions<T>): Promise<PartialOutcome<T>> => {
  const { attempt, backoff, onRetry } = options;
  const { maxAttempts, deadline = Number.POSITIVE_INFINITY } = options.stop;
  if (!(maxAttempts >= 1)) throw new RangeError(`maxAttempts must be at least 1, got ${maxAttempts}`);
  let pending = [...items];
  let attempts = 0;
  if (pending.length === 0) return { remaining: [], attempts, stop: 'done' };
  try {
    await pRetry(
      async () => {
        attempts++;
        pending = await attempt(pending);
        if (pending.length > 0) throw new Unfinished(`${pending.length} pending`);
      },
      {
        retries: maxAttempts - 1,
        factor: 2,
        // p-retry waits min(maxTimeout, r * minTimeout * 2^n), r in [1, 2): so at most backoffBound(n).
        minTimeout: backoff.baseMs / 2,
        maxTimeout: backoff.capMs,
        randomize: true,
        maxRetryTime: Math.max(0, deadline - Date.now()),
        shouldRetry: ({ error, retriesConsumed }) => {
          if (!(error instanceof Unfinished)) return false;
          if (Date.now() + backoffBound(retriesConsumed, backoff) >= deadline) return false;
          onRetry?.(pending);
          return true;
        },
      },
    );
    return { remaining: [], attempts, stop: 'done' };
  } catch (error) {
    if (!(error instanceof Unfinished)) return { remaining: pending, attempts, stop: 'error', error };
    return { remaining: pending, attempts, stop: attempts >= maxAttempts ? 'attempts' : 'deadline' };
  }
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
