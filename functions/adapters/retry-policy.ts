/**
 * The service's retry policy, every number in one place. Two layers, each retrying only what it alone can see:
 *
 * 1. **The SDK** retries a call that failed as a whole, by its own classification: throttling (429,
 *    `ProvisionedThroughputExceededException`, `LimitExceededException`, ...) and transient errors (500/502/503/504,
 *    timeouts, connection resets). Anything else (4xx such as `ValidationException`, `GoneException`) is not retried.
 *    Attempts are few and waits short (full jitter under a capped exponential bound), and a server's retry-after
 *    hint cannot stretch a wait, so one call's worst case is a known sum ({@link worstCaseBackoffMs}).
 * 2. **`retryPartial`** (retry.ts) re-sends what a call that succeeded says it did not do: `UnprocessedItems`,
 *    `UnprocessedKeys`, failed `PutEvents` entries. It stops at the caller's deadline, before a wait that could pass
 *    it, or after its attempts ({@link PARTIAL_RETRY}); what is left is returned or thrown, never dropped.
 *
 * docs/reliability.md ("Retries") states the arithmetic; test/unit/retry-policy.test.ts holds the clients and the
 * docs to these numbers.
 */
import { ConfiguredRetryStrategy } from '@smithy/core/retry';

/** Capped exponential backoff: the delay before retry n (from 0) is at most `min(capMs, baseMs * 2^n)`. */
export type Backoff = {
  /** Upper bound of the first retry's delay. */
  baseMs: number;
  /** Largest delay. */
  capMs: number;
};

export type RetryPolicy = {
  /** Tries in all, the first included. */
  maxAttempts: number;
  backoff: Backoff;
};

/** The SDK clients' own retries of one call. */
export const SDK_RETRY = {
  /** Every DynamoDB call, BatchWriteItem included: its worst case adds to the write budget (see docs/reliability.md). */
  dynamodb: { maxAttempts: 5, backoff: { baseMs: 25, capMs: 1000 } },
  /** PutEvents as a whole. */
  eventbridge: { maxAttempts: 3, backoff: { baseMs: 50, capMs: 1000 } },
  /** PostToConnection: the push's whole policy (docs/events.md). */
  managementApi: { maxAttempts: 4, backoff: { baseMs: 50, capMs: 1000 } },
} as const satisfies Record<string, RetryPolicy>;

/** The loops over partial results (retry.ts); each also stops at its caller's deadline, if it has one. */
export const PARTIAL_RETRY = {
  /** A safety cap: the deadline the caller passes (the 5 s write budget) is what stops it in practice. */
  batchWrite: { maxAttempts: 50, backoff: { baseMs: 25, capMs: 1000 } },
  batchGet: { maxAttempts: 10, backoff: { baseMs: 25, capMs: 1000 } },
  putEvents: { maxAttempts: 5, backoff: { baseMs: 50, capMs: 2000 } },
} as const satisfies Record<string, RetryPolicy>;

/** The upper bound of the delay before retry `retry` (0 for the first retry). */
export const backoffBound = (retry: number, { baseMs, capMs }: Backoff): number => Math.min(capMs, baseMs * 2 ** retry);

/** The longest one SDK call can wait between its attempts: the sum of every retry's bound. */
export const worstCaseBackoffMs = ({ maxAttempts, backoff }: RetryPolicy): number =>
  Array.from({ length: maxAttempts - 1 }, (_, retry) => backoffBound(retry, backoff)).reduce((a, b) => a + b, 0);

/**
 * The SDK's standard strategy (its error classification and retry quota) with our attempts and full-jitter backoff.
 * A retry-after hint from the server is ignored: it could stretch one wait by up to 5 s and break the budget.
 */
class BoundedRetryStrategy extends ConfiguredRetryStrategy {
  public constructor({ maxAttempts, backoff }: RetryPolicy) {
    // The SDK numbers retries from 1.
    super(maxAttempts, (retry) => Math.floor(Math.random() * backoffBound(retry - 1, backoff)));
  }

  public override refreshRetryTokenForRetry(...[token, errorInfo]: Parameters<ConfiguredRetryStrategy['refreshRetryTokenForRetry']>) {
    const { retryAfterHint: _ignored, ...info } = errorInfo;
    return super.refreshRetryTokenForRetry(token, info);
  }
}

/** Client options that make a client retry by `policy` (`maxAttempts` too, so the `amz-sdk-request` header agrees). */
export const sdkRetryOptions = (policy: RetryPolicy): { maxAttempts: number; retryStrategy: ConfiguredRetryStrategy } => ({
  maxAttempts: policy.maxAttempts,
  retryStrategy: new BoundedRetryStrategy(policy),
});
