/**
 * `npm start`: the whole service on http://localhost:3000 (PORT overrides).
 * Options: --in-memory (keep nothing), --events (print one compact line per bus event), DYNAMODB_ENDPOINT (use a
 * running DynamoDB instead of DynamoDB Local), LOCAL_TABLE_NAME (the service table's name there, so several runners can share one DynamoDB).
 * For the crash tests only: LOCAL_CRASH_AT=<function>:<Command>[:<n>] kills this process (SIGKILL, no clean-up)
 * instead of that function's n-th such AWS call, and LOCAL_SCHEDULE_EVERY_MS sets the sweep timer.
 */
import { writeSync } from 'node:fs';
import type { AwsCallInterceptor } from './aws-calls.js';
import { JavaMissingError } from './dynamodb-local.js';
import { startLocalStack } from './stack.js';
import { eventLine } from '../console/src/event-line.js';

/**
 * A real crash at an exact step: from the n-th matching call on, no AWS call leaves the process, and it is killed
 * (SIGKILL, no clean-up) once the calls sent before have had time to land, as when a Lambda environment dies
 * between two steps with earlier parallel requests already done.
 */
const crashAt = (spec: string | undefined): AwsCallInterceptor | undefined => {
  if (!spec) return undefined;
  const [functionName, commandName, nth = '1'] = spec.split(':');
  let seen = 0;
  let crashing = false;
  return (call) => {
    if (!crashing && (call.functionName !== functionName || call.commandName !== commandName || ++seen < Number(nth))) return;
    if (!crashing) {
      crashing = true;
      // Synchronously: the kill leaves no time to flush a stream.
      writeSync(1, `LOCAL_CRASH_AT: killing the runner before ${functionName} sends ${commandName} #${nth}\n`);
      setTimeout(() => process.kill(process.pid, 'SIGKILL'), 200);
    }
    return new Promise<void>(() => undefined);
  };
};

const DATA_DIR = '.local-data';

const main = async () => {
  const inMemory = process.argv.includes('--in-memory');
  const port = Number(process.env.PORT ?? 3000);
  const externalDynamo = process.env.DYNAMODB_ENDPOINT;
  const crash = crashAt(process.env.LOCAL_CRASH_AT);
  const everyMs = process.env.LOCAL_SCHEDULE_EVERY_MS;
  let stack;
  try {
    stack = await startLocalStack({
      port,
      ...(inMemory ? {} : { dataDir: DATA_DIR }),
      ...(externalDynamo ? { dynamodbEndpoint: externalDynamo } : {}),
      ...(process.env.LOCAL_TABLE_NAME ? { tableName: process.env.LOCAL_TABLE_NAME } : {}),
      ...(crash ? { interceptAwsCalls: crash } : {}),
      ...(everyMs ? { schedule: { everyMs: Number(everyMs) } } : {}),
    });
  } catch (error) {
    if (error instanceof JavaMissingError) {
      console.error(error.message);
      process.exit(1);
    }
    if ((error as { code?: string }).code === 'EADDRINUSE') {
      console.error(`port ${port} is taken: stop what uses it or run PORT=3001 npm start`);
      process.exit(1);
    }
    throw error;
  }
  const storage = externalDynamo
    ? `DynamoDB at ${stack.dynamodbEndpoint}`
    : `DynamoDB Local at ${stack.dynamodbEndpoint}, ${inMemory ? 'in memory (nothing kept)' : `data kept in ${DATA_DIR}/ (--in-memory keeps nothing)`}`;
  console.log(
    [
      `Conversation deletion service running at ${stack.url}`,
      `  ${storage}`,
      `  WebSocket:    ${stack.websocketUrl}?token=<token>&deviceID=<device>`,
      `  Get a token:  curl -s -X POST ${stack.url}/local/token -d '{"userID":"alice"}'`,
      `  Console:      ${stack.url}/ in a browser`,
      `  Walk-through: README.md; API: docs/api.md`,
      '  Ctrl-C stops everything.',
    ].join('\n'),
  );
  if (process.argv.includes('--events')) {
    stack.bus.onEvent((event) => console.log(`event ${eventLine(event)}`));
    console.log('  --events: one line per bus event follows.');
  }
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log('\nstopping...');
    await stack.stop();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
};

await main();
