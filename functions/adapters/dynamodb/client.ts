/**
 * The execution environment's DynamoDB client: every DynamoDB adapter of a function (and Powertools' idempotency
 * store) shares this one, built on first use.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ENV } from '#contracts/environment.js';
import { tracer } from '#observability/tracer.js';
import { SDK_RETRY, sdkRetryOptions } from '../retry-policy.js';

export type DocumentClientOptions = {
  /** DynamoDB Local or another endpoint; in Lambda leave unset. @default DYNAMODB_ENDPOINT */
  endpoint?: string;
  region?: string;
};

const createClient = (options: DocumentClientOptions = {}): DynamoDBClient => {
  const endpoint = options.endpoint ?? process.env[ENV.dynamodbEndpoint];
  return tracer.captureAWSv3Client(
    new DynamoDBClient({
      ...(endpoint ? { endpoint } : {}),
      region: options.region ?? process.env[ENV.awsRegion] ?? 'us-east-1',
      // Few, short retries: one BatchWriteItem's worst case adds to the write budget (docs/reliability.md).
      ...sdkRetryOptions(SDK_RETRY.dynamodb),
    }),
  );
};

const toDocumentClient = (client: DynamoDBClient): DynamoDBDocumentClient =>
  DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });

/** A client of its own (tests and tools); functions use {@link documentClient}. */
export const createDocumentClient = (options: DocumentClientOptions = {}): DynamoDBDocumentClient => toDocumentClient(createClient(options));

let base: DynamoDBClient | undefined;
let document: DynamoDBDocumentClient | undefined;

/** The shared low-level client (its middleware stack is the document client's too). */
export const dynamoDBClient = (): DynamoDBClient => (base ??= createClient());

/** The shared document client over {@link dynamoDBClient}. */
export const documentClient = (): DynamoDBDocumentClient => (document ??= toDocumentClient(dynamoDBClient()));
