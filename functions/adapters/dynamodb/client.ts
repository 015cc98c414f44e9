import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { tracer } from '#observability/powertools.js';

export type DocumentClientOptions = {
  /** DynamoDB Local or another endpoint; in Lambda leave unset. @default process.env.DYNAMODB_ENDPOINT */
  endpoint?: string;
  region?: string;
};

export const createDocumentClient = (options: DocumentClientOptions = {}): DynamoDBDocumentClient => {
  const endpoint = options.endpoint ?? process.env.DYNAMODB_ENDPOINT;
  const base = new DynamoDBClient({
    ...(endpoint ? { endpoint } : {}),
    region: options.region ?? process.env.AWS_REGION ?? 'us-east-1',
  });
  return DynamoDBDocumentClient.from(tracer.captureAWSv3Client(base), {
    marshallOptions: { removeUndefinedValues: true },
  });
};

let shared: DynamoDBDocumentClient | undefined;

/**
 * The execution environment's one client (from the environment): every repository of every composition root
 * shares it, so a function that needs both the service's and the sync's adapters still builds one at cold start.
 */
export const sharedDocumentClient = (): DynamoDBDocumentClient => (shared ??= createDocumentClient());
