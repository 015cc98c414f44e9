/**
 * Per-user rate limits counted in the service table, so every Lambda environment (and the local runner, which runs
 * the same code against DynamoDB Local) shares one count.
 *
 * **Sliding window, approximated from two fixed windows.** Time is cut into windows of `windowSeconds`; a call at
 * fraction `f` of window `i` is allowed when `count(i − 1) × (1 − f) + count(i) + 1 ≤ calls`: the previous window's
 * calls are assumed evenly spread and fade out as the current window advances. So there is no burst of twice the
 * limit across a window boundary, as a fixed window allows, at the cost of one counter per window.
 *
 * **One item per user and limit** (`keys.rateLimit`) holds the counts of three windows in rotating slots
 * (`n0..n2`, each with its window number `w0..w2`): the current one, the previous one, and the next one, which each
 * call clears so that the slot is empty when its window starts. Nothing accumulates, and the TTL removes the item of
 * a user who stops calling.
 *
 * **Calls to DynamoDB** (all `UpdateItem`, 1 WRU each): one per allowed call; one per call refused at the limit (the
 * condition fails, nothing is written); two at the first call of a window whose slot still holds a window from
 * before an idle spell (reset it), or when the weighting refuses a call the plain count allowed (take it back). A
 * refused call therefore never counts, so a client that keeps retrying too early is not locked out for longer.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { ENV, type EnvName, requireEnv } from '#contracts/environment.js';
import { keys, TTL_ATTRIBUTE } from '#contracts/table.js';
import { type Clock, systemClock } from '#domain/ports/clock.js';
import { DEFAULT_DELETION_RATE_LIMIT, type RateDecision, type RateLimit, type RateLimiter } from '#domain/ports/rate-limits.js';
import { defineAdapter } from '#wiring/define.js';
import { documentClient } from './client.js';
import { writtenIf } from './conditional.js';

// ---------------------------------------------------------------------------------------------------------------
// The window arithmetic (pure)
// ---------------------------------------------------------------------------------------------------------------

/** Where a moment falls: the window's number since the epoch and how far into it (0 ≤ fraction < 1). */
export const windowAt = (nowMs: number, windowMs: number): { index: number; fraction: number } => {
  const index = Math.floor(nowMs / windowMs);
  return { index, fraction: (nowMs - index * windowMs) / windowMs };
};

/** The calls counted against the limit at `fraction` of a window: the previous window's fade out linearly. */
export const weightedCount = (previous: number, current: number, fraction: number): number => previous * (1 - fraction) + current;

/**
 * How long until one more call is allowed, if nothing else is counted meanwhile (0: now). `current` and `previous`
 * are the counts of the window `nowMs` falls in and of the one before.
 */
export const retryAfterMs = (input: { nowMs: number; windowMs: number; calls: number; previous: number; current: number }): number => {
  const { nowMs, windowMs, calls, previous, current } = input;
  const { index, fraction } = windowAt(nowMs, windowMs);
  const start = index * windowMs;
  if (current + 1 <= calls) {
    // Still in this window, once the previous window's weight has shrunk enough: previous × (1 − f) ≤ calls − current − 1.
    const at = previous > 0 ? 1 - (calls - current - 1) / previous : 0;
    if (at <= fraction) return 0;
    if (at < 1) return Math.ceil(start + at * windowMs - nowMs);
  }
  // In the next window, this window's calls are the previous ones: current × (1 − f) ≤ calls − 1.
  const at = current > 0 ? Math.max(0, 1 - (calls - 1) / current) : 0;
  return Math.ceil(start + windowMs + at * windowMs - nowMs);
};

/** Retry-After in whole seconds, never 0: a client told 0 would call again at once. */
export const retryAfterSeconds = (ms: number): number => Math.max(1, Math.ceil(ms / 1000));

// ---------------------------------------------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------------------------------------------

export class RateLimitConfigError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'RateLimitConfigError';
  }
}

const wholeNumber = (env: NodeJS.ProcessEnv, name: EnvName, fallback: number, min: number): number => {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new RateLimitConfigError(`${name}=${JSON.stringify(raw)} must be a whole number of ${min} or more`);
  return value;
};

/** The deletion limit from DELETION_RATE_LIMIT and DELETION_RATE_WINDOW_SECONDS, each defaulting on its own. */
export const deletionRateLimitFromEnv = (env: NodeJS.ProcessEnv = process.env): RateLimit => ({
  calls: wholeNumber(env, ENV.deletionRateLimit, DEFAULT_DELETION_RATE_LIMIT.calls, 0),
  windowSeconds: wholeNumber(env, ENV.deletionRateWindowSeconds, DEFAULT_DELETION_RATE_LIMIT.windowSeconds, 1),
});

// ---------------------------------------------------------------------------------------------------------------
// The store
// ---------------------------------------------------------------------------------------------------------------

const SLOTS = 3;
const slotOf = (index: number) => ((index % SLOTS) + SLOTS) % SLOTS;
const count = (slot: number) => `n${slot}`;
const windowNumber = (slot: number) => `w${slot}`;

type LimitItem = Record<string, unknown>;

/** The count the item holds for a window (0 when its slot holds another window or nothing). */
const countOf = (item: LimitItem | undefined, index: number): number => {
  const slot = slotOf(index);
  return item?.[windowNumber(slot)] === index ? Number(item[count(slot)] ?? 0) : 0;
};

/** The newest window the item has counted in (a call whose clock lags another instance's joins that window). */
const newestWindow = (item: LimitItem | undefined): number =>
  Math.max(-Infinity, ...Array.from({ length: SLOTS }, (_, slot) => item?.[windowNumber(slot)]).filter((w): w is number => typeof w === 'number'));

/** Rounds of "count, or reset a stale slot and count" before giving up (each lost only to a concurrent call). */
const MAX_ROUNDS = 4;

export class DynamoRateLimiter implements RateLimiter {
  public constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    /** The limit's name in its key: limits of other names count apart. */
    private readonly name: string,
    private readonly limit: RateLimit,
    private readonly clock: Clock = systemClock,
  ) {}

  public async take(userID: string): Promise<RateDecision> {
    if (this.limit.calls === 0) return { allowed: true };
    const windowMs = this.limit.windowSeconds * 1000;
    // A call whose clock lags another instance's (by milliseconds) counts in the newer window it finds.
    let newestSeen = -Infinity;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const nowMs = Math.max(this.clock.now().getTime(), newestSeen * windowMs);
      const { index, fraction } = windowAt(nowMs, windowMs);
      // 1. Count the call in its window's slot, unless that slot holds an older window or is at the limit.
      const added = await this.update(userID, index, 'add');
      if (added.kind === 'stale') {
        if (added.newest > index) {
          newestSeen = added.newest;
          continue;
        }
        // 2. The slot holds a window from before an idle spell: start it afresh (once, whoever comes first).
        const reset = await this.update(userID, index, 'reset');
        if (reset.kind !== 'counted') continue;
        return this.decide(userID, index, fraction, nowMs, reset.item);
      }
      if (added.kind === 'full') return this.refuse(nowMs, countOf(added.item, index - 1), countOf(added.item, index));
      return this.decide(userID, index, fraction, nowMs, added.item);
    }
    throw new Error(`rate limit ${this.name} of ${userID}: the count changed under ${MAX_ROUNDS} attempts in a row`);
  }

  /** A counted call stands if the weighted count allows it; otherwise it is taken back and refused. */
  private async decide(userID: string, index: number, fraction: number, nowMs: number, item: LimitItem): Promise<RateDecision> {
    const [previous, current] = [countOf(item, index - 1), countOf(item, index)];
    if (weightedCount(previous, current, fraction) <= this.limit.calls) return { allowed: true };
    await this.takeBack(userID, index);
    return this.refuse(nowMs, previous, current - 1);
  }

  private refuse(nowMs: number, previous: number, current: number): RateDecision {
    const ms = retryAfterMs({ nowMs, windowMs: this.limit.windowSeconds * 1000, calls: this.limit.calls, previous, current });
    return { allowed: false, retryAfterSeconds: retryAfterSeconds(ms), limit: this.limit };
  }

  private async update(
    userID: string,
    index: number,
    mode: 'add' | 'reset',
  ): Promise<{ kind: 'counted'; item: LimitItem } | { kind: 'full'; item: LimitItem } | { kind: 'stale'; newest: number }> {
    const [slot, next] = [slotOf(index), slotOf(index + 1)];
    // The next window's slot is cleared on every call, unless a call from a clock ahead already counted there.
    const nextIsOlder = '(attribute_not_exists(#wNext) OR #wNext < :index)';
    const common = {
      TableName: this.tableName,
      Key: keys.rateLimit(userID, this.name),
      ExpressionAttributeNames: { '#n': count(slot), '#w': windowNumber(slot), '#nNext': count(next), '#wNext': windowNumber(next), '#ttl': TTL_ATTRIBUTE },
      ReturnValues: 'ALL_NEW' as const,
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
    };
    // Kept until the next window ends, when this window's count stops mattering.
    const expiresAt = (index + 2) * this.limit.windowSeconds;
    const command =
      mode === 'add'
        ? new UpdateCommand({
            ...common,
            UpdateExpression: 'ADD #n :one SET #w = :index, #ttl = :expiresAt REMOVE #nNext, #wNext',
            ConditionExpression: `(attribute_not_exists(#w) OR #w = :index) AND (attribute_not_exists(#n) OR #n < :calls) AND ${nextIsOlder}`,
            ExpressionAttributeValues: { ':one': 1, ':index': index, ':calls': this.limit.calls, ':expiresAt': expiresAt },
          })
        : new UpdateCommand({
            ...common,
            UpdateExpression: 'SET #n = :one, #w = :index, #ttl = :expiresAt REMOVE #nNext, #wNext',
            ConditionExpression: `#w < :index AND ${nextIsOlder}`,
            ExpressionAttributeValues: { ':one': 1, ':index': index, ':expiresAt': expiresAt },
          });
    try {
      const response = await this.client.send(command);
      return { kind: 'counted', item: response.Attributes ?? {} };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const old = error.Item ? (unmarshall(error.Item) as LimitItem) : undefined;
      const newest = newestWindow(old);
      if (old?.[windowNumber(slot)] === index && newest <= index) return { kind: 'full', item: old };
      return { kind: 'stale', newest };
    }
  }

  /** Takes back a call counted in this window (best effort: a lost take-back only makes the limit stricter for a while). */
  private async takeBack(userID: string, index: number): Promise<void> {
    const slot = slotOf(index);
    // Not written only if the window has rolled over meanwhile: then there is nothing left to take back.
    await writtenIf(
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.rateLimit(userID, this.name),
          UpdateExpression: 'ADD #n :minusOne',
          ConditionExpression: '#w = :index AND #n > :zero',
          ExpressionAttributeNames: { '#n': count(slot), '#w': windowNumber(slot) },
          ExpressionAttributeValues: { ':minusOne': -1, ':index': index, ':zero': 0 },
        }),
      ),
    );
  }
}

/** The limit on deletion-type calls: delete, clear history, restore (each function that serves one builds this). */
export const deletionRateLimiter = defineAdapter<RateLimiter>({
  env: [ENV.tableName, ENV.deletionRateLimit, ENV.deletionRateWindowSeconds],
  methods: { take: { table: ['dynamodb:UpdateItem'] } },
  build: () => new DynamoRateLimiter(documentClient(), requireEnv(ENV.tableName), 'deletion', deletionRateLimitFromEnv()),
});
