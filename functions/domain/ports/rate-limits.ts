/** Per-user limits on calls, counted in a store every instance of a function shares (docs/design.md, "Rate limits"). */

/** At most `calls` calls per `windowSeconds`, counted over a sliding window. */
export type RateLimit = { readonly calls: number; readonly windowSeconds: number };

/**
 * The limit on deletion-type calls (delete, clear history, restore), one count per user across all of them: the
 * reference chat platform's own per-app limit on its deletion API is 200 calls per second, and no person deletes
 * conversations 20 times in 10 seconds by hand.
 */
export const DEFAULT_DELETION_RATE_LIMIT: RateLimit = { calls: 20, windowSeconds: 10 };

export type RateDecision =
  | { readonly allowed: true }
  /** Nothing was counted; the call may be made again after `retryAfterSeconds` (whole seconds, 1 or more). */
  | { readonly allowed: false; readonly retryAfterSeconds: number; readonly limit: RateLimit };

export interface RateLimiter {
  /**
   * Counts one call of the user, unless it would go over the limit: then it counts nothing and says when to retry.
   * Rejects when the store cannot answer; the caller decides whether the call goes ahead (functions/middleware/rate-limit.ts).
   */
  take(userID: string): Promise<RateDecision>;
}
