/** Capped exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff and Jitter"). */
export type BackoffOptions = {
  /** First delay's upper bound. @default 25 */
  baseMs?: number;
  /** Largest delay. @default 1000 */
  capMs?: number;
};

export const fullJitterDelay = (attempt: number, { baseMs = 25, capMs = 1000 }: BackoffOptions = {}): number =>
  Math.random() * Math.min(capMs, baseMs * 2 ** attempt);

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Errors AWS marks as worth another try (throttling, 5xx, network). */
export const isRetryableAwsError = (error: unknown): boolean => {
  const e = error as { name?: string; $retryable?: unknown; $metadata?: { httpStatusCode?: number }; code?: string };
  if (e?.$retryable) return true;
  if (
    e?.name &&
    [
      'ProvisionedThroughputExceededException',
      'ThrottlingException',
      'RequestLimitExceeded',
      'InternalServerError',
      'ServiceUnavailable',
      'TimeoutError',
    ].includes(e.name)
  ) {
    return true;
  }
  if ((e?.$metadata?.httpStatusCode ?? 0) >= 500) return true;
  return ['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT'].includes(e?.code ?? '');
};
