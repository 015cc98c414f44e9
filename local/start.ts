/**
 * `npm start`: the whole service on http://localhost:3000 (PORT overrides).
 * Options: --in-memory (keep nothing), DYNAMODB_ENDPOINT (use a running DynamoDB instead of DynamoDB Local).
 */
import { JavaMissingError } from './dynamodb-local.js';
import { startLocalStack } from './stack.js';

const DATA_DIR = '.local-data';

const main = async () => {
  const inMemory = process.argv.includes('--in-memory');
  const port = Number(process.env.PORT ?? 3000);
  const externalDynamo = process.env.DYNAMODB_ENDPOINT;
  let stack;
  try {
    stack = await startLocalStack({
      port,
      ...(inMemory ? {} : { dataDir: DATA_DIR }),
      ...(externalDynamo ? { dynamodbEndpoint: externalDynamo } : {}),
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
      `  Walk-through: README.md; API: docs/api.md`,
      '  Ctrl-C stops everything.',
    ].join('\n'),
  );
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
