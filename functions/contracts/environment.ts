/** Environment variables the functions read; the CDK stack and the local runner set them from this list. */
export const ENV = {
  tableName: 'TABLE_NAME',
  idempotencyTableName: 'IDEMPOTENCY_TABLE_NAME',
  eventBusName: 'EVENT_BUS_NAME',
  /** Local only: DynamoDB Local's URL. */
  dynamodbEndpoint: 'DYNAMODB_ENDPOINT',
  /** Local only: the local event bus's URL (it speaks the PutEvents API). */
  eventbridgeEndpoint: 'EVENTBRIDGE_ENDPOINT',
} as const;

export const requireEnv = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is not set`);
  return value;
};
