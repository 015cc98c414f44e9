/** The one loop over partial results (retry.ts): what it re-sends, its stop rule, and that it never drops the rest. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { retryPartial } from '#adapters/retry.js';
import { backoffBound } from '#adapters/retry-policy.js';

/** An attempt that keeps the first `keep(call)` items pending, recording what it was sent and when. */
const scriptedAttempt = (keep: (call: number) => number) => {
  const calls: { at: number; sent: number[] }[] = [];
  const attempt = async (pending: number[]) => {
    calls.push({ at: Date.now(), sent: pending });
    return pending.slice(0, keep(calls.length));
  };
  return { attempt, calls };
};

afterEach(() => vi.restoreAllMocks());

describe('retryPartial', () => {
  it('re-sends only what is still pending until nothing is', async () => {
    const { attempt, calls } = scriptedAttempt((call) => 3 - call);
    const retried: number[] = [];
    const outcome = await retryPartial([1, 2, 3, 4], { attempt, stop: { maxAttempts: 10 }, backoff: { baseMs: 1, capMs: 2 }, onRetry: (p) => retried.push(p.length) });
    expect(outcome).toEqual({ remaining: [], attempts: 3, stop: 'done' });
    expect(calls.map((c) => c.sent)).toEqual([[1, 2, 3, 4], [1, 2], [1]]);
    expect(retried).toEqual([2, 1]);
  });

  it('makes no call for nothing', async () => {
    const { attempt, calls } = scriptedAttempt(() => 0);
    expect(await retryPartial([], { attempt, stop: { maxAttempts: 3 }, backoff: { baseMs: 1, capMs: 2 } })).toEqual({ remaining: [], attempts: 0, stop: 'done' });
    expect(calls).toEqual([]);
  });

  it('stops at the attempt cap and returns what is left', async () => {
    const { attempt, calls } = scriptedAttempt(() => 1);
    const outcome = await retryPartial([7, 8], { attempt, stop: { maxAttempts: 3 }, backoff: { baseMs: 1, capMs: 2 } });
    expect(outcome).toEqual({ remaining: [7], attempts: 3, stop: 'attempts' });
    expect(calls).toHaveLength(3);
  });

  it('never starts a wait that could end after the deadline, so it ends within its budget', async () => {
    // Prepare: nothing ever gets done; waits of up to 20, 40, 80, 80... ms against a 250 ms budget.
    const { attempt, calls } = scriptedAttempt(() => 3);
    const backoff = { baseMs: 20, capMs: 80 };
    const started = Date.now();
    const deadline = started + 250;
    const waits: { at: number; bound: number }[] = [];

    // Act
    const outcome = await retryPartial([1, 2, 3], {
      attempt,
      stop: { maxAttempts: 1000, deadline },
      backoff,
      onRetry: () => waits.push({ at: Date.now(), bound: backoffBound(waits.length, backoff) }),
    });

    // Assess: every wait's bound ended before the deadline (timer-independent); the last one that would not was not
    // started; the loop ended within the budget (plus timer slack) and dropped nothing.
    const ended = Date.now();
    expect(outcome.stop).toBe('deadline');
    expect(outcome.remaining).toEqual([1, 2, 3]);
    expect(waits.length).toBeGreaterThan(1);
    for (const wait of waits) expect(wait.at + wait.bound).toBeLessThan(deadline);
    expect(ended + backoffBound(waits.length, backoff)).toBeGreaterThanOrEqual(deadline);
    expect(calls).toHaveLength(waits.length + 1);
    expect(ended - started).toBeLessThan(250 + 50);
  });

  it('backs off only over rounds that got nothing done; after one that got something done, the shortest wait', async () => {
    // Prepare: rounds leave 3, 3, 3, 2, 0 of 4 pending; waits recorded at their upper bound (random = 1).
    const left = [3, 3, 3, 2, 0];
    const { attempt, calls } = scriptedAttempt((call) => left[call - 1]!);
    vi.spyOn(Math, 'random').mockReturnValue(1);
    const waits: number[] = [];
    const realSetTimeout = globalThis.setTimeout;
    vi.spyOn(globalThis, 'setTimeout').mockImplementation(((fn: () => void, ms?: number) => (waits.push(ms ?? 0), realSetTimeout(fn, 0))) as typeof setTimeout);

    // Act
    const outcome = await retryPartial([1, 2, 3, 4], { attempt, stop: { maxAttempts: 10 }, backoff: { baseMs: 40, capMs: 1000 } });

    // Assess: progress, nothing, nothing, progress: 40, 40, 80, then 40 again.
    expect(outcome).toEqual({ remaining: [], attempts: 5, stop: 'done' });
    expect(calls).toHaveLength(5);
    expect(waits).toEqual([40, 40, 80, 40]);
  });

  it('makes the first attempt even when the deadline has passed, and no retry', async () => {
    const { attempt, calls } = scriptedAttempt(() => 1);
    const outcome = await retryPartial([1, 2], { attempt, stop: { maxAttempts: 5, deadline: Date.now() - 1 }, backoff: { baseMs: 1, capMs: 2 } });
    expect(outcome).toEqual({ remaining: [1], attempts: 1, stop: 'deadline' });
    expect(calls).toHaveLength(1);
  });

  it('stops at once when an attempt throws, keeping what was pending', async () => {
    const boom = new TypeError('bad input');
    let call = 0;
    const outcome = await retryPartial([1, 2, 3], {
      attempt: async (pending) => {
        if (++call === 2) throw boom;
        return pending.slice(1);
      },
      stop: { maxAttempts: 10 },
      backoff: { baseMs: 1, capMs: 2 },
    });
    expect(outcome).toEqual({ remaining: [2, 3], attempts: 2, stop: 'error', error: boom });
  });
});
