/**
 * A fault-injecting HTTP proxy in front of DynamoDB (Local): real faults on the wire, the way DynamoDB and the
 * network produce them, for code that must survive them. Point any AWS SDK client (or the local stack, through
 * `startLocalStack({ dynamodbEndpoint: proxy.endpoint })`) at `proxy.endpoint`.
 *
 * It reads the DynamoDB JSON protocol (`X-Amz-Target: DynamoDB_20120810.<Operation>`, a JSON body) and, at rates
 * drawn from a seeded PRNG, per operation:
 * - **unprocessed**: a `BatchWriteItem` forwards only a random subset of its items and answers the rest as
 *   `UnprocessedItems`; a `BatchGetItem` likewise with `UnprocessedKeys`. A batch left with nothing to forward is
 *   answered `ProvisionedThroughputExceededException`, as DynamoDB does when it can process none of a batch.
 * - **throttle** / **throttlingException** / **serverError**: answers `ProvisionedThroughputExceededException` (400),
 *   `ThrottlingException` (400) or `InternalServerError` (500) in AWS's JSON error shape, without forwarding.
 * - **delay**: waits a random time in `delayMs` before going on.
 * - **dropBefore**: resets the client's connection without forwarding (the request never reached DynamoDB).
 * - **dropAfter** (per operation only, opt-in): forwards, lets DynamoDB apply it, then resets the client's
 *   connection instead of answering: "did it happen?". The SDK retries a reset whatever the operation, so only
 *   opt in for operations whose repeat is harmless (an `UpdateItem` with `ADD`, such as `allocateSequence`, would
 *   count twice: a test would then fail for the proxy's sake, not the code's).
 * - **partitionWriteLimit**: a token bucket per partition key value (`pk`), `perSecond` writes each. Over the
 *   limit, `BatchWriteItem` items come back as `UnprocessedItems` and a single write (`PutItem`, `UpdateItem`,
 *   `DeleteItem`) is answered `ProvisionedThroughputExceededException`, as DynamoDB does under partition throttling.
 *
 * Faults are off by default: with no configuration the proxy is a pure pass-through. `faults.all` applies to the
 * data operations (item reads and writes, queries, scans, transactions); `faults.operations[Op]` to one operation
 * (control-plane ones such as `CreateTable` included), field by field over `all`.
 */
import { randomUUID } from 'node:crypto';
import { Agent, createServer, type IncomingHttpHeaders, type IncomingMessage, request as httpRequest } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { crc32 } from 'node:zlib';
import { TABLE_KEYS } from '#contracts/table.js';

/** Rates (probabilities from 0 to 1) of each fault; the request-level ones are exclusive (at most one per request). */
export type FaultRates = {
  /** Batch calls only: the probability that each item (key) is held back and returned unprocessed. */
  unprocessed?: number;
  /** Answer `ProvisionedThroughputExceededException` (400) without forwarding. */
  throttle?: number;
  /** Answer `ThrottlingException` (400) without forwarding. */
  throttlingException?: number;
  /** Answer `InternalServerError` (500) without forwarding. */
  serverError?: number;
  /** Reset the client's connection without forwarding. */
  dropBefore?: number;
  /** Delay the request by a random time in `delayMs` before anything else happens to it. */
  delay?: number;
  /** @default [5, 50] */
  delayMs?: readonly [min: number, max: number];
};

export type OperationFaultRates = FaultRates & {
  /** Forward, let DynamoDB apply it, then reset the client's connection instead of answering. Opt-in per operation. */
  dropAfter?: number;
};

export type PartitionWriteLimit = {
  /** Writes per second per partition key value. */
  perSecond: number;
  /**
   * Writes a partition may save up while idle (its bucket's size, full at the start). One second's worth: the limit is
   * per second, and a client that comes back within the second gets what it did not use. Over a run of T seconds a
   * partition admits at most perSecond x T + burst writes.
   * @default perSecond (at least 1)
   */
  burst?: number;
  /** The partition key attribute. @default "pk" */
  keyAttribute?: string;
};

export type Faults = {
  /** Rates for every data operation. */
  all?: FaultRates;
  /** Rates for one operation (`BatchWriteItem`, `UpdateItem`, ...), over `all`. */
  operations?: Partial<Record<string, OperationFaultRates>>;
  /** DynamoDB's per-partition write limit, scaled as you like. */
  partitionWriteLimit?: PartitionWriteLimit;
};

export type FaultKind = 'delay' | 'dropBefore' | 'dropAfter' | 'throttle' | 'throttlingException' | 'serverError' | 'unprocessed' | 'partitionLimit' | 'hookError';

export type ProxyStats = {
  /** Requests received, by operation. */
  requests: Record<string, number>;
  /** Requests that reached DynamoDB, by operation. */
  forwarded: Record<string, number>;
  /** Faults injected, by kind: one per request it touched (a batch answered partially counts once). */
  faults: Record<FaultKind, number>;
  /** The same by operation. */
  faultsByOperation: Record<string, Partial<Record<FaultKind, number>>>;
  /** Batch items or keys returned unprocessed: by the random fault, by the partition limit. */
  heldBack: { unprocessed: number; partitionLimit: number };
  /** Per partition key value, while a partition limit is set: writes let through to DynamoDB, writes refused. */
  partitions: Map<string, { written: number; refused: number }>;
  /** Requests the proxy could not forward (DynamoDB unreachable); the client's connection was reset. */
  upstreamErrors: number;
};

/** One request as the proxy received it: the operation and its parsed JSON body (DynamoDB's wire format). */
export type ProxiedRequest = { id: number; operation: string; body: Record<string, any> };

/** DynamoDB's answer to a forwarded request. */
export type UpstreamAnswer = { status: number; body: Record<string, any> | undefined };

/**
 * What a hook decides for a request (undefined: the configured faults decide).
 * - `forward`: forward it untouched by the configured faults;
 * - `drop-before` / `drop-after`: reset the client's connection before forwarding, or after DynamoDB applied it;
 * - `error`: answer this AWS error without forwarding.
 * `afterForward` runs once DynamoDB has answered and before the client hears anything; it may hold the answer
 * (kill a process there: the write is stored and its writer never learns it).
 */
export type RequestFate =
  | { fate: 'forward' | 'drop-after'; afterForward?: (answer: UpstreamAnswer) => void | Promise<void> }
  | { fate: 'drop-before' }
  | { fate: 'error'; status: number; type: string; message?: string };

/** Called before a request is forwarded; may await (holding the request) and may decide its fate. */
export type RequestHook = (request: ProxiedRequest) => void | RequestFate | Promise<void | RequestFate>;

export type FaultProxy = {
  /** `http://127.0.0.1:<port>`: the endpoint to give the SDK clients. */
  endpoint: string;
  stats: ProxyStats;
  /** Replaces the given top-level settings (`all`, `operations`, `partitionWriteLimit`); `undefined` removes one. */
  setFaults: (faults: Faults) => void;
  /** Back to a pure pass-through. */
  clearFaults: () => void;
  /** Zeroes the stats (the partition buckets keep their tokens). */
  resetStats: () => void;
  /** Adds a hook; hooks run in order and the first fate decided wins. Returns the remover. */
  onRequest: (hook: RequestHook) => () => void;
  close: () => Promise<void>;
};

export type FaultProxyOptions = {
  /** DynamoDB's endpoint, e.g. `inject('dynamodbEndpoint')`. */
  target: string;
  faults?: Faults;
  /** Seed of the PRNG behind every random choice. @default 1 */
  seed?: number;
};

const TARGET_PREFIX = 'DynamoDB_20120810.';
const DATA_OPERATIONS = new Set([
  'GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Query', 'Scan', 'BatchGetItem', 'BatchWriteItem', 'TransactGetItems', 'TransactWriteItems',
]);
const SINGLE_WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem']);
type AwsError = { status: number; type: string; message: string };
const ERRORS = {
  throttle: { status: 400, type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException', message: 'The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.' },
  throttlingException: { status: 400, type: 'com.amazon.coral.availability#ThrottlingException', message: 'Rate of requests exceeds the allowed throughput.' },
  serverError: { status: 500, type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: 'Internal server error' },
} as const satisfies Record<string, AwsError>;
const PARTITION_THROTTLED: AwsError = { ...ERRORS.throttle, message: 'Throughput exceeds the current throughput limit for your partition (fault proxy: partition write limit).' };

/**
 * The proofs' standard faults (fault-run, undo-faults): half of every batch's items unprocessed, 10% of calls throttled
 * or failing with a 500, 10% delayed, 1% reset before forwarding.
 */
export const STANDARD_FAULTS = {
  all: { throttle: 0.04, throttlingException: 0.03, serverError: 0.03, delay: 0.1, delayMs: [5, 40] as const, dropBefore: 0.01 },
  operations: { BatchWriteItem: { unprocessed: 0.5 }, BatchGetItem: { unprocessed: 0.5 } },
} satisfies Faults;

/** mulberry32: small, fast, good enough for fault draws, and reproducible from its seed. */
export const prng = (seed: number) => {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
};

class TokenBucket {
  private tokens: number;
  private last = performance.now();

  public constructor(
    private readonly perSecond: number,
    private readonly size: number,
  ) {
    this.tokens = size;
  }

  public take(): boolean {
    const now = performance.now();
    this.tokens = Math.min(this.size, this.tokens + ((now - this.last) / 1000) * this.perSecond);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

const emptyStats = (): ProxyStats => ({
  requests: {},
  forwarded: {},
  faults: { delay: 0, dropBefore: 0, dropAfter: 0, throttle: 0, throttlingException: 0, serverError: 0, unprocessed: 0, partitionLimit: 0, hookError: 0 },
  faultsByOperation: {},
  heldBack: { unprocessed: 0, partitionLimit: 0 },
  partitions: new Map(),
  upstreamErrors: 0,
});

const readBody = (req: IncomingMessage): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A reset, not a clean close: the client sees ECONNRESET, as when a connection dies mid-request. */
const reset = (socket: Socket) => (typeof socket.resetAndDestroy === 'function' ? socket.resetAndDestroy() : socket.destroy());

type WriteRequest = { PutRequest?: { Item: Record<string, any> }; DeleteRequest?: { Key: Record<string, any> } };
type KeysAndAttributes = { Keys: Record<string, any>[] } & Record<string, unknown>;

export const startFaultProxy = async (options: FaultProxyOptions): Promise<FaultProxy> => {
  const target = new URL(options.target);
  const random = prng(options.seed ?? 1);
  const agent = new Agent({ keepAlive: true, maxSockets: 128 });
  const hooks: RequestHook[] = [];
  let faults: Faults = {};
  let buckets = new Map<string, TokenBucket>();
  let stats = emptyStats();
  let nextID = 0;

  const setFaults = (update: Faults) => {
    for (const [key, value] of Object.entries(update) as [keyof Faults, unknown][]) {
      if (key === 'partitionWriteLimit') buckets = new Map();
      if (value === undefined) delete faults[key];
      else (faults as Record<string, unknown>)[key] = value;
    }
    if (faults.all && 'dropAfter' in faults.all) throw new Error('dropAfter is opt-in per operation: set it under faults.operations[<Operation>]');
  };
  setFaults(options.faults ?? {});

  const ratesFor = (operation: string): OperationFaultRates => ({ ...(DATA_OPERATIONS.has(operation) ? faults.all : {}), ...faults.operations?.[operation] });

  const count = (operation: string, kind: FaultKind) => {
    stats.faults[kind]++;
    const byOperation = (stats.faultsByOperation[operation] ??= {});
    byOperation[kind] = (byOperation[kind] ?? 0) + 1;
  };

  /** One write to a partition: true if its bucket has a token (always true without a limit). */
  const admitWrite = (keyValue: unknown): boolean => {
    const limit = faults.partitionWriteLimit;
    if (!limit || typeof keyValue !== 'string') return true;
    let bucket = buckets.get(keyValue);
    if (!bucket) buckets.set(keyValue, (bucket = new TokenBucket(limit.perSecond, limit.burst ?? Math.max(1, limit.perSecond))));
    const admitted = bucket.take();
    const partition = stats.partitions.get(keyValue) ?? { written: 0, refused: 0 };
    if (admitted) partition.written++;
    else partition.refused++;
    stats.partitions.set(keyValue, partition);
    return admitted;
  };
  /** The partition key value of an item or key in wire format (`{ pk: { S: "..." } }`). */
  const partitionOf = (item: Record<string, any> | undefined): unknown => item?.[faults.partitionWriteLimit?.keyAttribute ?? TABLE_KEYS.partitionKey]?.S;

  type Plan = { body: Record<string, any>; heldWrites?: Record<string, WriteRequest[]>; heldKeys?: Record<string, KeysAndAttributes> } | { refuse: AwsError };

  /** What to forward, what to hold back (batches), or a throttle when nothing may go (all held, or a single write over the limit). */
  const plan = (operation: string, body: Record<string, any>, rates: OperationFaultRates): Plan => {
    const holdRate = rates.unprocessed ?? 0;
    if (operation === 'BatchWriteItem' && (holdRate > 0 || faults.partitionWriteLimit)) {
      const forward: Record<string, WriteRequest[]> = {};
      const held: Record<string, WriteRequest[]> = {};
      let randomHeld = 0;
      let limited = 0;
      for (const [table, requests] of Object.entries(body.RequestItems as Record<string, WriteRequest[]>)) {
        for (const request of requests) {
          let hold = false;
          if (holdRate > 0 && random() < holdRate) [hold, randomHeld] = [true, randomHeld + 1];
          else if (!admitWrite(partitionOf(request.PutRequest?.Item ?? request.DeleteRequest?.Key))) [hold, limited] = [true, limited + 1];
          (hold ? held : forward)[table] ??= [];
          (hold ? held : forward)[table]!.push(request);
        }
      }
      stats.heldBack.unprocessed += randomHeld;
      stats.heldBack.partitionLimit += limited;
      if (randomHeld > 0) count(operation, 'unprocessed');
      if (limited > 0) count(operation, 'partitionLimit');
      if (Object.keys(forward).length === 0) return { refuse: limited > 0 ? PARTITION_THROTTLED : ERRORS.throttle };
      return { body: { ...body, RequestItems: forward }, heldWrites: held };
    }
    if (operation === 'BatchGetItem' && holdRate > 0) {
      const forward: Record<string, KeysAndAttributes> = {};
      const held: Record<string, KeysAndAttributes> = {};
      let heldCount = 0;
      for (const [table, request] of Object.entries(body.RequestItems as Record<string, KeysAndAttributes>)) {
        for (const key of request.Keys) {
          const hold = random() < holdRate;
          if (hold) heldCount++;
          const side = hold ? held : forward;
          (side[table] ??= { ...request, Keys: [] }).Keys.push(key);
        }
      }
      stats.heldBack.unprocessed += heldCount;
      if (heldCount > 0) count(operation, 'unprocessed');
      if (Object.keys(forward).length === 0) return { refuse: ERRORS.throttle };
      return { body: { ...body, RequestItems: forward }, heldKeys: held };
    }
    if (SINGLE_WRITES.has(operation) && faults.partitionWriteLimit) {
      if (!admitWrite(partitionOf(operation === 'PutItem' ? body.Item : body.Key))) {
        count(operation, 'partitionLimit');
        return { refuse: PARTITION_THROTTLED };
      }
    }
    return { body };
  };

  const forwardUpstream = (req: IncomingMessage, body: Buffer): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> =>
    new Promise((resolve, reject) => {
      const headers = { ...req.headers, host: target.host, 'content-length': String(body.length) };
      delete headers['accept-encoding'];
      delete headers.connection;
      const upstream = httpRequest({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers, agent }, (response) => {
        readBody(response).then((answer) => resolve({ status: response.statusCode ?? 502, headers: response.headers, body: answer }), reject);
      });
      upstream.on('error', reject);
      upstream.end(body);
    });

  const server = createServer((req, res) => {
    res.on('error', () => undefined);
    void (async () => {
      const raw = await readBody(req);
      const header = req.headers['x-amz-target'];
      const operation = typeof header === 'string' && header.startsWith(TARGET_PREFIX) ? header.slice(TARGET_PREFIX.length) : String(header ?? 'unknown');
      let body: Record<string, any> = {};
      try {
        body = raw.length > 0 ? (JSON.parse(raw.toString('utf8')) as Record<string, any>) : {};
      } catch {
        // Not JSON: forwarded as it is, DynamoDB answers it.
      }
      stats.requests[operation] = (stats.requests[operation] ?? 0) + 1;

      const answerError = (error: { status: number; type: string; message?: string }) => {
        const payload = JSON.stringify({ __type: error.type.includes('#') ? error.type : `com.amazonaws.dynamodb.v20120810#${error.type}`, message: error.message ?? error.type });
        res.writeHead(error.status, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': randomUUID(), 'content-length': Buffer.byteLength(payload) });
        res.end(payload);
      };

      // 1. Hooks: they may hold the request and decide its fate.
      let decided: RequestFate | undefined;
      for (const hook of [...hooks]) {
        decided = (await hook({ id: ++nextID, operation, body })) ?? undefined;
        if (decided) break;
      }
      const rates: OperationFaultRates = decided ? {} : ratesFor(operation);

      // 2. Delay, then at most one of: reset before forwarding, throttle, ThrottlingException, 500.
      if ((rates.delay ?? 0) > 0 && random() < rates.delay!) {
        const [min, max] = rates.delayMs ?? [5, 50];
        count(operation, 'delay');
        await sleep(min + random() * (max - min));
      }
      if (decided?.fate === 'drop-before') {
        count(operation, 'dropBefore');
        return reset(req.socket);
      }
      if (decided?.fate === 'error') {
        count(operation, 'hookError');
        return answerError(decided);
      }
      let roll = random();
      for (const kind of ['dropBefore', 'throttle', 'throttlingException', 'serverError'] as const) {
        const rate = rates[kind] ?? 0;
        if (roll < rate) {
          count(operation, kind);
          return kind === 'dropBefore' ? reset(req.socket) : answerError(ERRORS[kind]);
        }
        roll -= rate;
      }

      // 3. Batches: hold some items back (random fault, partition limit); single writes: the partition limit.
      const planned = decided?.fate === 'forward' || decided?.fate === 'drop-after' ? { body } : plan(operation, body, rates);
      if ('refuse' in planned) return answerError(planned.refuse);
      const changed = planned.body !== body;

      // 4. Forward; then maybe reset instead of answering.
      let upstream;
      try {
        upstream = await forwardUpstream(req, changed ? Buffer.from(JSON.stringify(planned.body)) : raw);
      } catch {
        stats.upstreamErrors++;
        return reset(req.socket);
      }
      stats.forwarded[operation] = (stats.forwarded[operation] ?? 0) + 1;
      const heldWrites = 'heldWrites' in planned ? planned.heldWrites : undefined;
      const heldKeys = 'heldKeys' in planned ? planned.heldKeys : undefined;
      let answer = upstream.body;
      let parsed: Record<string, any> | undefined;
      try {
        parsed = JSON.parse(upstream.body.toString('utf8')) as Record<string, any>;
      } catch {
        parsed = undefined;
      }
      if (upstream.status === 200 && parsed && ((heldWrites && Object.keys(heldWrites).length > 0) || (heldKeys && Object.keys(heldKeys).length > 0))) {
        if (heldWrites) {
          const unprocessed = (parsed.UnprocessedItems ??= {}) as Record<string, WriteRequest[]>;
          for (const [table, requests] of Object.entries(heldWrites)) unprocessed[table] = [...(unprocessed[table] ?? []), ...requests];
        }
        if (heldKeys) {
          const unprocessed = (parsed.UnprocessedKeys ??= {}) as Record<string, KeysAndAttributes>;
          for (const [table, request] of Object.entries(heldKeys)) unprocessed[table] = { ...request, Keys: [...(unprocessed[table]?.Keys ?? []), ...request.Keys] };
        }
        answer = Buffer.from(JSON.stringify(parsed));
      }
      const afterForward = decided && 'afterForward' in decided ? decided.afterForward : undefined;
      if (afterForward) await afterForward({ status: upstream.status, body: parsed });
      const dropAfter = decided ? decided.fate === 'drop-after' : (rates.dropAfter ?? 0) > 0 && random() < rates.dropAfter!;
      if (dropAfter) {
        count(operation, 'dropAfter');
        return reset(req.socket);
      }
      const headers: Record<string, string | string[]> = {};
      for (const [name, value] of Object.entries(upstream.headers)) if (value !== undefined && name !== 'connection' && name !== 'transfer-encoding' && name !== 'keep-alive') headers[name] = value;
      headers['content-length'] = String(answer.length);
      if (answer !== upstream.body && headers['x-amz-crc32'] !== undefined) headers['x-amz-crc32'] = String(crc32(answer));
      res.writeHead(upstream.status, headers);
      res.end(answer);
    })().catch(() => reset(req.socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    get stats() {
      return stats;
    },
    setFaults,
    clearFaults: () => {
      faults = {};
      buckets = new Map();
    },
    resetStats: () => {
      stats = emptyStats();
    },
    onRequest: (hook) => {
      hooks.push(hook);
      return () => {
        const i = hooks.indexOf(hook);
        if (i >= 0) hooks.splice(i, 1);
      };
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
};
