/**
 * The per-user rate limit's pure parts: the sliding window's arithmetic (when a call is allowed, what Retry-After
 * says), its configuration, the middleware (refuse, let through, fail open) and the answer it becomes. The limiter
 * against DynamoDB Local and the whole stack are in test/integration/rate-limit.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { deletionRateLimitFromEnv, RateLimitConfigError, retryAfterMs, retryAfterSeconds, weightedCount, windowAt } from '#adapters/dynamodb/rate-limiter.js';
import { ENV } from '#contracts/environment.js';
import { ERROR_CODES } from '#contracts/errors.js';
import type { RateDecision, RateLimiter } from '#domain/ports/rate-limits.js';
import { answerFor, HTTP_ERRORS, RateLimitedError } from '#middleware/http-errors.js';
import type { HttpContext, HttpEvent } from '#middleware/http-middlewares.js';
import { rateLimit } from '#middleware/rate-limit.js';

const W = 10_000;
const retry = (at: number, previous: number, current: number, calls = 20) => retryAfterMs({ nowMs: at, windowMs: W, calls, previous, current });

describe('the sliding window arithmetic', () => {
  it('places a moment in its window', () => {
    expect(windowAt(0, W)).toEqual({ index: 0, fraction: 0 });
    expect(windowAt(12_500, W)).toEqual({ index: 1, fraction: 0.25 });
    expect(windowAt(19_999, W).index).toBe(1);
  });

  it('fades the previous window out as the current one advances', () => {
    expect(weightedCount(20, 0, 0)).toBe(20);
    expect(weightedCount(20, 3, 0.25)).toBe(18);
    expect(weightedCount(20, 5, 0.999)).toBeCloseTo(5.02);
  });

  it('after 20 calls at the start of a window, allows the next just over one window later', () => {
    // In the next window, 20 × (1 − f) + 1 ≤ 20 from f = 1/20: 10 s + 0.5 s after the window's start.
    expect(retry(0, 0, 20)).toBe(10_500);
    expect(retry(4_000, 0, 20)).toBe(6_500);
  });

  it('waits in the same window while the previous one weighs too much', () => {
    // 20 in the previous window, 10 in this one, at f = 0.25: 15 + 10 + 1 > 20; 20 × (1 − f) ≤ 9 from f = 0.55.
    expect(retry(2_500, 20, 10)).toBe(3_000);
    // Already room: 0.
    expect(retry(6_000, 20, 10)).toBe(0);
    // The current window alone fills the limit: the next window, with this one's 20 calls as its previous.
    expect(retry(2_500, 20, 20)).toBe(7_500 + 500);
  });

  it('handles a limit of one call', () => {
    // One call made in this window: the next window must have passed almost entirely.
    expect(retry(0, 0, 1, 1)).toBe(20_000);
    // The previous window's call fades: allowed once its weight is 0, at the end of this window.
    expect(retry(5_000, 1, 0, 1)).toBe(5_000);
  });

  it('never says 0 seconds in Retry-After', () => {
    expect([0, 1, 999, 1_000, 1_001, 10_500].map(retryAfterSeconds)).toEqual([1, 1, 1, 1, 2, 11]);
  });
});

describe('its configuration', () => {
  it('defaults to 20 calls per 10 s, each variable on its own', () => {
    expect(deletionRateLimitFromEnv({})).toEqual({ calls: 20, windowSeconds: 10 });
    expect(deletionRateLimitFromEnv({ [ENV.deletionRateLimit]: '5' })).toEqual({ calls: 5, windowSeconds: 10 });
    expect(deletionRateLimitFromEnv({ [ENV.deletionRateWindowSeconds]: '2', [ENV.deletionRateLimit]: '' })).toEqual({ calls: 20, windowSeconds: 2 });
    expect(deletionRateLimitFromEnv({ [ENV.deletionRateLimit]: '0' })).toEqual({ calls: 0, windowSeconds: 10 });
  });

  it.each([
    [ENV.deletionRateLimit, '-1'],
    [ENV.deletionRateLimit, '2.5'],
    [ENV.deletionRateLimit, '20/10s'],
    [ENV.deletionRateWindowSeconds, '0'],
    [ENV.deletionRateWindowSeconds, 'ten'],
  ])('refuses %s=%s (a deployment error, at start)', (name, value) => {
    expect(() => deletionRateLimitFromEnv({ [name]: value })).toThrow(RateLimitConfigError);
    expect(() => deletionRateLimitFromEnv({ [name]: value })).toThrow(name);
  });
});

describe('the middleware', () => {
  const request = (userID: string) =>
    ({ event: {} as HttpEvent, context: { principal: { userID, isAdmin: false } } as HttpContext, response: undefined, error: undefined, internal: {} }) as never;
  const limiter = (answer: () => Promise<RateDecision>): RateLimiter & { users: string[] } => {
    const users: string[] = [];
    return { users, take: async (userID) => (users.push(userID), answer()) };
  };

  it('lets an allowed call through, counted for the authenticated user', async () => {
    const allowing = limiter(async () => ({ allowed: true }));
    await expect(rateLimit(allowing).before!(request('alice'))).resolves.toBeUndefined();
    expect(allowing.users).toEqual(['alice']);
  });

  it('refuses a call over the limit with RateLimitedError, which answers 429 RATE_LIMITED with Retry-After', async () => {
    // Prepare
    const refusing = limiter(async () => ({ allowed: false, retryAfterSeconds: 7, limit: { calls: 20, windowSeconds: 10 } }));

    // Act
    const error = await Promise.resolve(rateLimit(refusing).before!(request('alice'))).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(RateLimitedError);
    expect((error as RateLimitedError).retryAfterSeconds).toBe(7);
    expect((error as Error).message).toContain('at most 20 per 10 s');
    const answer = answerFor(HTTP_ERRORS, error as Error, request('alice'));
    expect(answer).toEqual({ code: 'RATE_LIMITED', headers: { 'retry-after': '7' } });
    expect(ERROR_CODES.RATE_LIMITED).toEqual({ status: 429, code: 42900 });
  });

  it('fails open: a limiter that cannot answer lets the call through', async () => {
    const broken = limiter(async () => {
      throw new Error('ProvisionedThroughputExceededException (simulated)');
    });
    await expect(rateLimit(broken).before!(request('alice'))).resolves.toBeUndefined();
  });
});
