/**
 * The partial-result loop of batchWrite, driven by a scripted client (throttling cannot be produced by DynamoDB
 * Local). The scripted client has no SDK retries: what it throws is what the real client throws once its own are spent.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { chunk } from '#adapters/chunk.js';
import { batchWrite, type WriteRequest } from '#adapters/dynamodb/batch-writer.js';

const put = (i: number): WriteRequest => ({ PutRequest: { Item: { pk: 'p', sk: String(i) } } });

/** Answers each call by `script(requests, call)`: the requests to hand back as unprocessed, or an error to throw. */
const scriptedClient = (script: (requests: WriteRequest[], call: number) => WriteRequest[] | Error) => {
  const calls: number[] = [];
  const client = {
    send: async (command: { input: { RequestItems: Record<string, WriteRequest[]> } }) => {
      const requests = command.input.RequestItems.t!;
      calls.push(requests.length);
      const answer = script(requests, calls.length);
      if (answer instanceof Error) throw answer;
      return { UnprocessedItems: answer.length ? { t: answer } : {} };
    },
  };
  return { client: client as unknown as DynamoDBDocumentClient, calls };
};

describe('batchWrite', () => {
  it('sends chunks of 25 and retries only the unprocessed items until all are written', async () => {
    const { client, calls } = scriptedClient((requests, call) => (call <= 4 ? requests.slice(0, 5) : []));
    const result = await batchWrite(client, Array.from({ length: 60 }, (_, i) => put(i)), { tableName: 't', deadline: Date.now() + 5000, backoff: { baseMs: 1, capMs: 2 } });
    expect(result.failed).toEqual([]);
    expect(calls.slice(0, 3).sort()).toEqual([10, 25, 25]);
    expect(calls.slice(3).every((n) => n === 5)).toBe(true);
  });

  it('retries throttling errors and returns what is still unwritten at the deadline, with the reason', async () => {
    const throttled = Object.assign(new Error('slow down'), { name: 'ProvisionedThroughputExceededException' });
    const { client, calls } = scriptedClient(() => throttled);
    const result = await batchWrite(client, [put(1), put(2)], { tableName: 't', deadline: Date.now() + 80, backoff: { baseMs: 5, capMs: 10 } });
    expect(result.failed.map((f) => f.request)).toEqual([put(1), put(2)]);
    expect(result.failed[0]!.reason).toContain('ProvisionedThroughputExceededException');
    expect(result.failed[0]!.reason).toContain('gave up at the deadline');
    expect(calls.length).toBeGreaterThan(2);
  });

  it('stops at its attempt cap when the deadline is far, and says so', async () => {
    const { client, calls } = scriptedClient((requests) => requests);
    let retried = 0;
    const result = await batchWrite(client, [put(1)], { tableName: 't', deadline: Date.now() + 60_000, maxAttempts: 4, backoff: { baseMs: 1, capMs: 2 }, onRetry: (n) => (retried += n) });
    expect(calls).toEqual([1, 1, 1, 1]);
    expect([result.retries, retried]).toEqual([3, 3]);
    expect(result.failed).toEqual([{ request: put(1), reason: 'unprocessed by DynamoDB (throttled); gave up after 4 attempts' }]);
  });

  it('does not retry an error that retrying cannot fix', async () => {
    const invalid = Object.assign(new Error('bad key'), { name: 'ValidationException', $metadata: { httpStatusCode: 400 } });
    const { client, calls } = scriptedClient(() => invalid);
    const result = await batchWrite(client, [put(1)], { tableName: 't', deadline: Date.now() + 5000 });
    expect(calls).toHaveLength(1);
    expect(result.failed[0]!.reason).toContain('ValidationException');
  });

  it('re-sends a chunk whose call still failed with a 5xx or a reset after the SDK\'s own retries', async () => {
    // A reset may hide a success: the chunk is re-sent whole, which is harmless for puts and deletes.
    const unavailable = Object.assign(new Error('try later'), { name: 'InternalServerError', $metadata: { httpStatusCode: 500, attempts: 5 } });
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    const { client, calls } = scriptedClient((requests, call) => (call === 1 ? unavailable : call === 2 ? reset : []));
    const result = await batchWrite(client, [put(1), put(2)], { tableName: 't', deadline: Date.now() + 5000, backoff: { baseMs: 1, capMs: 2 } });
    expect(calls).toEqual([2, 2, 2]);
    expect(result).toEqual({ failed: [], retries: 2 });
  });

  it('returns a chunk that kept failing with a 5xx at the deadline, with the reason', async () => {
    const unavailable = Object.assign(new Error('try later'), { name: 'InternalServerError', $metadata: { httpStatusCode: 500, attempts: 5 } });
    const { client } = scriptedClient(() => unavailable);
    const result = await batchWrite(client, [put(1), put(2)], { tableName: 't', deadline: Date.now() + 60, backoff: { baseMs: 5, capMs: 10 } });
    expect(result.failed).toEqual([put(1), put(2)].map((request) => ({ request, reason: 'InternalServerError; gave up at the deadline' })));
  });

  it('keeps at most `concurrency` chunks in flight', async () => {
    let inFlight = 0;
    let peak = 0;
    const client = {
      send: async () => {
        peak = Math.max(peak, ++inFlight);
        await new Promise((r) => setTimeout(r, 5));
        inFlight--;
        return {};
      },
    } as unknown as DynamoDBDocumentClient;
    await batchWrite(client, Array.from({ length: 250 }, (_, i) => put(i)), { tableName: 't', deadline: Date.now() + 5000, concurrency: 3 });
    expect(peak).toBe(3);
  });
});

describe('batchWrite against a partition that takes only so many writes per second', () => {
  /**
   * One partition as DynamoDB throttles it: a token bucket of `perSecond` writes (full at the start, one second's
   * worth); over it, items come back unprocessed, and a call it can take none of is refused whole.
   */
  const partition = (perSecond: number) => {
    let tokens = perSecond;
    let last = performance.now();
    const stats = { calls: 0, refusedWhole: 0, written: 0 };
    const client = {
      send: async (command: { input: { RequestItems: Record<string, WriteRequest[]> } }) => {
        stats.calls++;
        await new Promise((r) => setTimeout(r, 2));
        const now = performance.now();
        tokens = Math.min(perSecond, tokens + ((now - last) / 1000) * perSecond);
        last = now;
        const requests = command.input.RequestItems.t!;
        const taken = Math.min(requests.length, Math.floor(tokens));
        tokens -= taken;
        stats.written += taken;
        if (taken === 0) {
          stats.refusedWhole++;
          throw Object.assign(new Error('slow down'), { name: 'ProvisionedThroughputExceededException', $metadata: { httpStatusCode: 400 } });
        }
        return { UnprocessedItems: taken < requests.length ? { t: requests.slice(taken) } : {} };
      },
    };
    return { client: client as unknown as DynamoDBDocumentClient, stats };
  };
  const onePartition = (pk: string, n: number): WriteRequest[] => Array.from({ length: n }, (_, i) => ({ PutRequest: { Item: { pk, sk: String(i) } } }));

  it('keeps the partition busy at its rate, with calls that each carry what it can take', async () => {
    // Prepare: 1,200 writes, a partition of 400 writes/s: at best (1,200 - 400) / 400 = 2 s.
    const { client, stats } = partition(400);

    // Act
    const started = performance.now();
    const result = await batchWrite(client, onePartition('paced', 1200), { tableName: 't', deadline: Date.now() + 30_000 });
    const seconds = (performance.now() - started) / 1000;

    // Assess: all written, near the partition's rate, and not many more calls than 1,200 / 25 = 48.
    expect(result.failed).toEqual([]);
    expect(stats.written).toBe(1200);
    expect(seconds).toBeLessThan(2 / 0.7);
    expect(stats.calls).toBeLessThan(48 * 3);
    console.log(`paced: ${seconds.toFixed(2)} s, ${stats.calls} calls (${stats.refusedWhole} refused whole)`);
  });
});

describe('chunk', () => {
  it('splits into runs of at most the size, in order', () => {
    expect(chunk([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(chunk([], 25)).toEqual([]);
  });
});
