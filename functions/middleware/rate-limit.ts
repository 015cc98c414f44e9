/**
 * The per-user rate limit of a function's routes, as a middy middleware: give it to `httpHandler` in `guards`, and it
 * runs once the caller is authenticated and before the body is read, so every call counts (a refused one, a dry run,
 * a retry with the same Idempotency-Key) and a refused call costs nothing more. Over the limit it throws
 * RateLimitedError: 429 `RATE_LIMITED` with `Retry-After` (functions/middleware/http-errors.ts).
 *
 * **Fail open.** When the limiter's store cannot answer (DynamoDB throttled or down past the SDK's retries), the call
 * goes ahead and the failure is logged: deleting one's conversations is the user's right, and a limiter outage must
 * not become a deletion outage. The stage throttle still bounds the whole API meanwhile (docs/deploy.md).
 */
import type { MiddlewareObj } from '@middy/core';
import type { RateLimiter } from '#domain/ports/rate-limits.js';
import { logger } from '#observability/logger.js';
import { RateLimitedError } from './http-errors.js';
import type { HttpContext, HttpEvent } from './http-middlewares.js';

export const rateLimit = (limiter: RateLimiter): MiddlewareObj<HttpEvent, unknown, Error, HttpContext> => ({
  before: async (request) => {
    const userID = request.context.principal.userID;
    let decision;
    try {
      decision = await limiter.take(userID);
    } catch (error) {
      logger.warn('rate limit not checked: the limiter failed, so the call goes ahead (fail open)', { userID, error });
      return;
    }
    if (decision.allowed) return;
    const { calls, windowSeconds } = decision.limit;
    logger.info('rate limited', { userID, retryAfterSeconds: decision.retryAfterSeconds, calls, windowSeconds });
    throw new RateLimitedError(
      `too many deletion calls: at most ${calls} per ${windowSeconds} s per user (delete, clear history and restore together); nothing was done, retry in ${decision.retryAfterSeconds} s (Retry-After)`,
      decision.retryAfterSeconds,
    );
  },
});
