/**
 * Powertools' DynamoDB persistence layer for idempotent deletions, on the execution environment's shared client
 * (so it uses the same retry policy, and the local runner sees its calls).
 */
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { ENV, requireEnv } from '#contracts/environment.js';
import type { Adapter } from '#wiring/define.js';
import { dynamoDBClient } from './client.js';

export const idempotencyStore: Adapter<DynamoDBPersistenceLayer> = {
  // GetItem reads a record, PutItem claims a key (conditionally), UpdateItem saves the result, DeleteItem frees the
  // key when the call failed.
  access: { idempotencyTable: ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'] },
  env: [ENV.idempotencyTableName],
  build: () => new DynamoDBPersistenceLayer({ tableName: requireEnv(ENV.idempotencyTableName), awsSdkV3Client: dynamoDBClient() }),
};
