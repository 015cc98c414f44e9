/**
 * The whole service on one machine: DynamoDB Local, the tables, the local event bus and the local API Gateway,
 * all running the same handler files as the cloud. `npm start`, the tests and the benchmarks use this.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ENV } from '#contracts/environment.js';
import { RULE_PATTERNS } from '#contracts/events.js';
import { EVENT_TARGETS, type FunctionName, SCHEDULED_FUNCTIONS } from '#contracts/functions.js';
import { WEBSOCKET_PATH } from '#contracts/routes.js';
import { PURGE_SWEEP } from '#contracts/table.js';
import { DEFAULT_DELETION_RATE_LIMIT } from '#domain/ports/rate-limits.js';
import { dynamoDBClient } from '#adapters/dynamodb/client.js';
import { eventBridgeClient } from '#adapters/eventbridge/client.js';
import { managementApiClient } from '#adapters/websocket/client.js';
import { type AwsCallInterceptor, interceptAwsCalls, invocationScope, LOCAL_AWS_KEY_HEADER, sendLocalAwsKey } from './aws-calls.js';
import { type BusTarget, LocalEventBus } from './event-bus.js';
import { createTables, type DynamoDbLocal, startDynamoDbLocal } from './dynamodb-local.js';
import { LocalAuth } from './local-auth.js';
import { startInvokeStore } from './invoke-store.js';
import { createLocalServer, lambdaContext } from './server.js';
import { LocalWebSocketGateway } from './websocket.js';

export type LocalStackOptions = {
  /** @default 3000; 0 picks a free port */
  port?: number;
  /** Where DynamoDB Local keeps its data; undefined keeps everything in memory. */
  dataDir?: string;
  /** Use this DynamoDB instead of starting DynamoDB Local. */
  dynamodbEndpoint?: string;
  /** @default "conversations" */
  tableName?: string;
  /** Where background failures are reported. @default console.error */
  log?: (message: string, extra?: unknown) => void;
  /** Sees (and may hold) every AWS call a function sends, with the function's name. */
  interceptAwsCalls?: AwsCallInterceptor;
  /**
   * The scheduled functions' timer (the cloud's schedule rules) and the purge driver's times, shorter than the
   * cloud's so that a killed run's leftovers are purged soon after the next start. Each is also read from the
   * environment (PURGE_HANDOFF_SECONDS, PURGE_LEASE_SECONDS, PURGE_STRAGGLER_SECONDS) when set there.
   */
  schedule?: LocalSchedule;
};

export type LocalSchedule = {
  /** How often the scheduled functions run (they also run once at start); 0 turns the timer off. @default 5000 */
  everyMs?: number;
  /** @default 30 */
  purgeHandoffSeconds?: number;
  /** @default 30 */
  purgeLeaseSeconds?: number;
  /** @default 30 (the cloud's) */
  purgeStragglerSeconds?: number;
};

/** The local runner's purge driver: what a killed run left owed is settled within about 35 s of the next start. */
const LOCAL_SCHEDULE = { everyMs: 5000, purgeHandoffSeconds: 30, purgeLeaseSeconds: 30, purgeStragglerSeconds: PURGE_SWEEP.stragglerSeconds } as const;

export type LocalStack = {
  url: string;
  /** Where devices connect: `${websocketUrl}?token=<JWT>&deviceID=<id>`. */
  websocketUrl: string;
  /** The local WebSocket API (open connections, for tools and tests). */
  websocket: LocalWebSocketGateway;
  port: number;
  dynamodbEndpoint: string;
  tableName: string;
  idempotencyTableName: string;
  eventBusName: string;
  bus: LocalEventBus;
  auth: LocalAuth;
  /** Issues a local token (what POST /local/token does). */
  token: (userID: string, admin?: boolean) => Promise<string>;
  /** The interface the runner listens on (loopback). */
  listenAddress: string;
  /** The headers the runner's own functions send to its emulated AWS endpoints (for tests of those endpoints). */
  awsEndpointHeaders: Record<string, string>;
  /** Runs every scheduled function once now (what the timer does), resolving to their results. */
  runScheduled: () => Promise<unknown[]>;
  stop: () => Promise<void>;
};


const EVENT_BUS_NAME = 'conversation-deletion-local';
const LOOPBACK = '127.0.0.1';

type HandlerModule = { handler: (event: unknown, context: unknown) => Promise<unknown> };

/** Same files as the CDK stack's NodejsFunction entries; imported only after the environment is set. */
const loadHandler = (name: FunctionName): Promise<HandlerModule> => import(`../functions/handlers/${name}.ts`) as Promise<HandlerModule>;

export const startLocalStack = async (options: LocalStackOptions = {}): Promise<LocalStack> => {
  // Node 20 is supported here; the SDK's notice about future versions is noise in a dev loop.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const log = options.log ?? ((message: string, extra?: unknown) => console.error(message, extra ?? ''));
  const tableName = options.tableName ?? 'conversations';
  const idempotencyTableName = `${tableName}-idempotency`;
  let dynamo: DynamoDbLocal | undefined;
  const dynamodbEndpoint = options.dynamodbEndpoint ?? (dynamo = await startDynamoDbLocal(options.dataDir ? { dataDir: options.dataDir } : {})).endpoint;
  try {
    await createTables(dynamodbEndpoint, { tableName, idempotencyTableName });
  } catch (error) {
    await dynamo?.stop();
    throw error;
  }

  // Every function runs in this one process, many invocations at once: as Lambda's multi-concurrency runtime
  // (Managed Instances) does, each invocation gets its own InvokeStore context, where Powertools keeps its
  // per-invocation state (the logger's Lambda context and keys, the metrics). Without it, concurrent invocations of
  // different functions overwrite each other's, and log lines name the wrong function.
  const { store: invokeStore, release: releaseInvokeStore } = startInvokeStore();
  const modules = new Map<FunctionName, Promise<HandlerModule>>();
  const invoke = async (name: FunctionName, event: unknown, invokeOptions: { timeoutMs?: number; requestId?: string } = {}) => {
    // A function's init (its module's top level: clients, Powertools instances) runs in a context of its own.
    if (!modules.has(name)) modules.set(name, invokeStore.run({}, () => loadHandler(name)));
    const { handler } = await modules.get(name)!;
    const requestId = invokeOptions.requestId ?? randomUUID();
    const context = lambdaContext(name, requestId, invokeOptions.timeoutMs ?? 60_000);
    return invokeStore.invocation(requestId, () => invocationScope.run({ functionName: name }, () => handler(event, context)));
  };

  const targets: BusTarget[] = EVENT_TARGETS.map((t) => ({
    rule: t.rule,
    pattern: RULE_PATTERNS[t.rule],
    invoke: (event) => invoke(t.function, event, { timeoutMs: 5 * 60_000 }),
  }));
  const bus = new LocalEventBus(targets, { log, name: EVENT_BUS_NAME });
  const auth = LocalAuth.create(options.dataDir ? join(options.dataDir, 'local-signing-key') : undefined);
  // The emulated AWS endpoints answer only the functions of this runner, which send this key.
  const awsKey = randomBytes(24).toString('base64url');
  const websocket = new LocalWebSocketGateway({ invoke, log, awsKey });
  const server = createLocalServer({ auth, bus, invoke, awsKey, extraRoutes: (req, res, url, body) => websocket.handleManagementRequest(req, res, url, body) });
  websocket.attach(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // Loopback only: the runner mints admin tokens and stands in for AWS; nothing on the network may reach it.
    server.listen(options.port ?? 3000, LOOPBACK, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://localhost:${port}`;

  // The functions read their configuration from the environment, exactly as in Lambda.
  Object.assign(process.env, {
    [ENV.tableName]: tableName,
    [ENV.idempotencyTableName]: idempotencyTableName,
    [ENV.eventBusName]: EVENT_BUS_NAME,
    [ENV.dynamodbEndpoint]: dynamodbEndpoint,
    [ENV.eventbridgeEndpoint]: `http://127.0.0.1:${port}`,
    // The push function posts to connections through the Management API the local gateway answers on this port.
    [ENV.websocketManagementEndpoint]: `http://127.0.0.1:${port}`,
    // The WebSocket authorizer verifies local tokens with the key they are signed with.
    [ENV.localJwtKey]: auth.keyBase64(),
    AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
    AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'local',
    AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? 'local',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    POWERTOOLS_METRICS_DISABLED: process.env.POWERTOOLS_METRICS_DISABLED ?? 'true',
    POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'ERROR',
    [ENV.purgeHandoffSeconds]: String(options.schedule?.purgeHandoffSeconds ?? process.env[ENV.purgeHandoffSeconds] ?? LOCAL_SCHEDULE.purgeHandoffSeconds),
    [ENV.purgeLeaseSeconds]: String(options.schedule?.purgeLeaseSeconds ?? process.env[ENV.purgeLeaseSeconds] ?? LOCAL_SCHEDULE.purgeLeaseSeconds),
    [ENV.purgeStragglerSeconds]: String(options.schedule?.purgeStragglerSeconds ?? process.env[ENV.purgeStragglerSeconds] ?? LOCAL_SCHEDULE.purgeStragglerSeconds),
    // The cloud's per-user limit on deletion-type calls, unless the environment sets another (a test's small window).
    [ENV.deletionRateLimit]: process.env[ENV.deletionRateLimit] ?? String(DEFAULT_DELETION_RATE_LIMIT.calls),
    [ENV.deletionRateWindowSeconds]: process.env[ENV.deletionRateWindowSeconds] ?? String(DEFAULT_DELETION_RATE_LIMIT.windowSeconds),
  });

  // The functions' shared clients (built here, from the environment just set, and reused by every handler).
  for (const client of [eventBridgeClient(), managementApiClient()]) sendLocalAwsKey(client, awsKey);
  if (options.interceptAwsCalls) {
    for (const client of [dynamoDBClient(), eventBridgeClient(), managementApiClient()]) interceptAwsCalls(client, options.interceptAwsCalls);
  }

  // The cloud's schedule rules: each scheduled function once at start (a killed run may have left work), then on a timer.
  let stopped = false;
  let scheduledRun: Promise<unknown[]> | undefined;
  const runScheduled = (): Promise<unknown[]> =>
    (scheduledRun ??= Promise.all(
      SCHEDULED_FUNCTIONS.map((s) =>
        invoke(s.function, { source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} }).catch((error: unknown) => {
          if (!stopped) log(`scheduled ${s.function} failed`, error);
          return error;
        }),
      ),
    ).finally(() => (scheduledRun = undefined)));
  const everyMs = options.schedule?.everyMs ?? LOCAL_SCHEDULE.everyMs;
  let timer: NodeJS.Timeout | undefined;
  const tick = () => {
    void runScheduled().then(() => {
      if (!stopped) timer = setTimeout(tick, everyMs);
    });
  };
  if (everyMs > 0) tick();

  return {
    url,
    listenAddress: (server.address() as AddressInfo).address,
    awsEndpointHeaders: { [LOCAL_AWS_KEY_HEADER]: awsKey },
    websocketUrl: `ws://localhost:${port}${WEBSOCKET_PATH}`,
    websocket,
    port,
    dynamodbEndpoint,
    tableName,
    idempotencyTableName,
    eventBusName: EVENT_BUS_NAME,
    bus,
    auth,
    token: (userID, admin = false) => auth.issue(userID, admin),
    runScheduled,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      clearTimeout(timer);
      await scheduledRun;
      // Sockets first: their $disconnect still needs the table.
      await websocket.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.race([bus.drain(), new Promise((r) => setTimeout(r, 5000))]);
      await dynamo?.stop();
      releaseInvokeStore();
    },
  };
};
