/**
 * BatchWriteItem done properly: chunks of 25 sent in parallel; the SDK client retries a failed call (throttling,
 * 5xx, network); `retryPartial` re-sends only the `UnprocessedItems` (and a chunk whose call still failed whole with
 * throttling, a 5xx or a reset) until everything is written or the deadline stops it. What is still unwritten then is
 * returned, never silently dropped. A partition that throttles is paced (below), and the calls in flight per client
 * are capped, so that a purge of many partitions at once keeps each of them busy without flooding the client.
 */
import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import pLimit, { type LimitFunction } from 'p-limit';
import { chunk } from '../chunk.js';
import { TABLE_KEYS } from '#contracts/table.js';
import { isRetryableFailure, isThrottling, retryPartial } from '../retry.js';
import { type Backoff, PARTIAL_RETRY } from '../retry-policy.js';

export const BATCH_WRITE_LIMIT = 25;

/**
 * BatchWriteItem calls in flight at once per client, across every `batchWrite` running on it (a purge of 100
 * conversations runs 100 at once, each with its own chunks): enough to keep DynamoDB busy (DynamoDB Local's
 * throughput is flat from 8 to 64), below the SDK's 50 sockets per host so that reads still get one.
 */
export const MAX_CALLS_IN_FLIGHT = 32;

const callLimits = new WeakMap<DynamoDBDocumentClient, LimitFunction>();
const callLimit = (client: DynamoDBDocumentClient): LimitFunction => {
  let limit = callLimits.get(client);
  if (!limit) callLimits.set(client, (limit = pLimit(MAX_CALLS_IN_FLIGHT)));
  return limit;
};

/**
 * Pacing of a partition that throttles. DynamoDB takes about 1,000 writes per second per partition and hands the rest
 * of a batch back as `UnprocessedItems` (or refuses the whole batch). Left alone, the chunks of a large write to one
 * partition (a purge page: 40 chunks, 16 in flight) keep arriving together, each gets a few items through, and most
 * calls are wasted. Once a partition throttles, its calls go one after the other, each spaced from the previous one by
 * the time the partition needs for the previous one's items, at the rate it was measured to take: a throttled call
 * found it empty, so what the next throttled call got, over the time between them, is that rate. The spacing asks for
 * a little more than the estimate, so a call taken whole raises it and the pace follows the partition up; a partition
 * that keeps up with any pace is no longer paced.
 */
class PartitionPacer {
  /** Items per second the partition is believed to take; undefined while it has not throttled (no pacing). */
  private rate: number | undefined;
  /** The paced calls, one after the other. */
  private queue: Promise<void> = Promise.resolve();
  private previous = { start: Number.NEGATIVE_INFINITY, count: 0 };
  /** When the latest call that came back throttled was sent: the partition had nothing left then. */
  private lastDrained: number | undefined;
  public lastUsed = performance.now();

  /** Waits for this partition's turn to send `count` items (never past `deadline`, epoch ms); false if not paced. */
  public async turn(count: number, deadline: number): Promise<boolean> {
    const now = performance.now();
    // A pace learnt long ago says nothing about the partition now (its load, or DynamoDB's split of it, has changed).
    if (now - this.lastUsed > PACING_MEMORY_MS) [this.rate, this.lastDrained] = [undefined, undefined];
    this.lastUsed = now;
    if (this.rate === undefined) return false;
    const mine = this.queue.then(async () => {
      // At the rate known now, not when the call queued: a better estimate changes every wait at once.
      const due = this.previous.start + (this.previous.count / ((this.rate ?? Number.POSITIVE_INFINITY) * PACING_ASK)) * 1000;
      const wait = Math.min(due - performance.now(), deadline - Date.now());
      if (wait > 0) await sleep(wait);
      this.previous = { start: performance.now(), count };
    });
    this.queue = mine;
    // A call whose deadline comes first goes then, without waiting for the turns queued before it.
    const timeLeft = deadline - Date.now();
    let timer: NodeJS.Timeout | undefined;
    if (timeLeft > 0) await Promise.race([mine, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeLeft)))]).finally(() => clearTimeout(timer));
    return true;
  }

  /** What a call achieved: `accepted` of `sent` items written. */
  public record(call: { start: number; paced: boolean }, sent: number, accepted: number): void {
    // Only paced calls go one at a time, so only they say what the partition built up in between.
    const since = call.paced && this.lastDrained !== undefined && call.start - this.lastDrained >= 10 ? (call.start - this.lastDrained) / 1000 : undefined;
    if (accepted < sent) {
      // Throttled: the partition gave this call what it had built up since it was last drained.
      // The first throttle starts at DynamoDB's documented partition limit: too fast a pace costs a few throttled
      // calls, each of which measures the partition; too slow a pace would idle it while the estimate climbs.
      if (this.rate === undefined) this.rate = INITIAL_PACED_RATE;
      else if (since !== undefined) this.rate += PACING_SMOOTHING * (accepted / since - this.rate);
      this.rate = Math.max(MIN_PACED_RATE, this.rate);
      if (this.lastDrained === undefined || call.start > this.lastDrained) this.lastDrained = call.start;
    } else if (this.rate !== undefined && call.paced) {
      // Taken whole: the partition may take more; a full chunk taken whole is the strongest hint.
      this.rate = Math.max(this.rate * (1 + (PACING_STEP_UP * accepted) / BATCH_WRITE_LIMIT), since !== undefined ? accepted / since : 0);
      if (this.rate > MAX_PACED_RATE) [this.rate, this.lastDrained] = [undefined, undefined];
    }
  }
}

/** The pace asks for this much more than the partition's measured rate, so that a faster partition shows. */
const PACING_ASK = 1.25;
/** How far one throttled call moves the estimate towards what it measured. */
const PACING_SMOOTHING = 0.5;
/** How much a full chunk taken whole raises the estimate (a smaller call, in proportion). */
const PACING_STEP_UP = 0.5;
/** DynamoDB's write limit per partition: 1,000 write units per second. */
const INITIAL_PACED_RATE = 1000;
const MIN_PACED_RATE = 10;
/** A partition not written for this long starts unpaced again. */
const PACING_MEMORY_MS = 5000;
const MAX_PACED_RATE = 100_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const pacers = new WeakMap<DynamoDBDocumentClient, Map<string, PartitionPacer>>();
/** The pacer of the one partition all of `requests` write to, or undefined when they span several. */
const pacerFor = (client: DynamoDBDocumentClient, tableName: string, requests: readonly WriteRequest[]): PartitionPacer | undefined => {
  const partitionOf = (r: WriteRequest) => (r.PutRequest?.Item ?? r.DeleteRequest?.Key)?.[TABLE_KEYS.partitionKey];
  const partition = partitionOf(requests[0]!);
  if (typeof partition !== 'string' || requests.some((r) => partitionOf(r) !== partition)) return undefined;
  let byPartition = pacers.get(client);
  if (!byPartition) pacers.set(client, (byPartition = new Map()));
  const key = `${tableName}\u0000${partition}`;
  let pacer = byPartition.get(key);
  if (!pacer) {
    if (byPartition.size >= 10_000) {
      for (const [k, p] of byPartition) if (p.lastUsed < performance.now() - 60_000) byPartition.delete(k);
    }
    byPartition.set(key, (pacer = new PartitionPacer()));
  }
  return pacer;
};

export type WriteRequest =
  | { PutRequest: { Item: Record<string, unknown> }; DeleteRequest?: never }
  | { DeleteRequest: { Key: Record<string, unknown> }; PutRequest?: never };

export type BatchWriteOptions = {
  tableName: string;
  /**
   * Epoch ms: no retry starts after it, nor a wait that could end after it. A chunk's first attempt is always made,
   * and one call can outlast it by the SDK's own retries (docs/reliability.md, "Retries").
   */
  deadline: number;
  /** Chunks of this call in flight at once (their calls also share the client's {@link MAX_CALLS_IN_FLIGHT}). @default 16 */
  concurrency?: number;
  /** The wait between rounds of a chunk. @default PARTIAL_RETRY.batchWrite.backoff (25 ms base, 1 s cap) */
  backoff?: Partial<Backoff>;
  /** Rounds per chunk, the first included: a cap, the deadline is what stops it in practice. @default 50 */
  maxAttempts?: number;
  /** Called once per retry round of a chunk with the number of requests re-sent (for metrics). */
  onRetry?: (unprocessed: number) => void;
};

export type BatchWriteResult = {
  /** Requests not written when the loop stopped (deadline, attempt cap, or an error retrying cannot fix), with the reason. */
  failed: { request: WriteRequest; reason: string }[];
  retries: number;
};

export const batchWrite = async (
  client: DynamoDBDocumentClient,
  requests: readonly WriteRequest[],
  options: BatchWriteOptions,
): Promise<BatchWriteResult> => {
  const limit = pLimit(options.concurrency ?? 16);
  const result: BatchWriteResult = { failed: [], retries: 0 };
  await Promise.all(
    chunk(requests, BATCH_WRITE_LIMIT).map((part) =>
      limit(async () => {
        const outcome = await writeChunk(client, part, options);
        result.failed.push(...outcome.failed);
        result.retries += outcome.retries;
      }),
    ),
  );
  return result;
};

const UNPROCESSED = 'unprocessed by DynamoDB (throttled)';

const writeChunk = async (client: DynamoDBDocumentClient, requests: WriteRequest[], options: BatchWriteOptions): Promise<BatchWriteResult> => {
  const policy = PARTIAL_RETRY.batchWrite;
  const { onRetry } = options;
  let lastReason = UNPROCESSED;
  const outcome = await retryPartial(requests, {
    attempt: async (pending) => {
      const pacer = pacerFor(client, options.tableName, pending);
      const call = { start: 0, paced: (await pacer?.turn(pending.length, options.deadline)) ?? false };
      try {
        const response = await callLimit(client)(() => {
          call.start = performance.now();
          return client.send(new BatchWriteCommand({ RequestItems: { [options.tableName]: pending as never } }));
        });
        lastReason = UNPROCESSED;
        const unprocessed = (response.UnprocessedItems?.[options.tableName] ?? []) as WriteRequest[];
        pacer?.record(call, pending.length, pending.length - unprocessed.length);
        return unprocessed;
      } catch (error) {
        // Throttled whole (DynamoDB could write none of it), or a 5xx or a reset, after the SDK's own retries: treat
        // it all as unprocessed. Puts and deletes of whole items are idempotent, so re-sending what was perhaps
        // written already is harmless; anything else (a 400 such as ValidationException) ends the loop.
        if (!isRetryableFailure(error)) throw error;
        if (isThrottling(error)) pacer?.record(call, pending.length, 0);
        lastReason = (error as Error).name;
        return pending;
      }
    },
    stop: { deadline: options.deadline, maxAttempts: options.maxAttempts ?? policy.maxAttempts },
    backoff: { baseMs: options.backoff?.baseMs ?? policy.backoff.baseMs, capMs: options.backoff?.capMs ?? policy.backoff.capMs },
    ...(onRetry ? { onRetry: (pending: readonly WriteRequest[]) => onRetry(pending.length) } : {}),
  });
  const reason =
    outcome.stop === 'error'
      ? `${(outcome.error as Error).name}: ${(outcome.error as Error).message}`
      : `${lastReason}; gave up ${outcome.stop === 'deadline' ? 'at the deadline' : `after ${outcome.attempts} attempts`}`;
  return { failed: outcome.remaining.map((request) => ({ request, reason })), retries: outcome.attempts - 1 };
};
