/** Environment variables the functions read; the CDK stack and the local runner set them from this list. */
export const ENV = {
  tableName: 'TABLE_NAME',
  idempotencyTableName: 'IDEMPOTENCY_TABLE_NAME',
  eventBusName: 'EVENT_BUS_NAME',
  /** Which JWT claim is the user ID. @default "sub" */
  userIDClaim: 'USER_ID_CLAIM',
  /** Push function: the WebSocket API's management endpoint (https://{api}.execute-api.{region}.amazonaws.com/{stage}; locally the runner's URL). */
  websocketManagementEndpoint: 'WEBSOCKET_MANAGEMENT_ENDPOINT',
  /** WebSocket authorizer, cloud: a Cognito user pool and app client, or an OIDC issuer and audience. */
  cognitoUserPoolID: 'COGNITO_USER_POOL_ID',
  cognitoClientID: 'COGNITO_CLIENT_ID',
  jwtIssuer: 'JWT_ISSUER',
  /** Comma-separated audiences; a token must carry one of them (`aud`, or `client_id` of a Cognito access token). */
  jwtAudience: 'JWT_AUDIENCE',
  /** The issuer's JWKS URL; when unset, read from the issuer's OpenID discovery document. */
  jwtJwksUri: 'JWT_JWKS_URI',
  /** WebSocket authorizer, local only: the local runner's HS256 key (base64). */
  localJwtKey: 'LOCAL_JWT_KEY',
  /** How long functions may cache the app settings, in seconds. */
  settingsCacheSeconds: 'SETTINGS_CACHE_SECONDS',
  /** Seconds a deletion's own purge has before the sweeper re-drives it. @default PURGE_SWEEP.handoffSeconds */
  purgeHandoffSeconds: 'PURGE_HANDOFF_SECONDS',
  /** Seconds the sweeper leases a pending purge it re-drives. @default PURGE_SWEEP.leaseSeconds */
  purgeLeaseSeconds: 'PURGE_LEASE_SECONDS',
  /** Seconds after a clear during which a copy it covers may still land. @default PURGE_SWEEP.stragglerSeconds */
  purgeStragglerSeconds: 'PURGE_STRAGGLER_SECONDS',
  /**
   * Deletion-type calls (delete, clear history, restore) one user may make per window, all routes together; 0 turns
   * the limit off. @default DEFAULT_DELETION_RATE_LIMIT.calls (20)
   */
  deletionRateLimit: 'DELETION_RATE_LIMIT',
  /** The window of that limit, in whole seconds (1 or more). @default DEFAULT_DELETION_RATE_LIMIT.windowSeconds (10) */
  deletionRateWindowSeconds: 'DELETION_RATE_WINDOW_SECONDS',
  /** Set by Lambda itself; the AWS clients use it (locally the runner sets it). */
  awsRegion: 'AWS_REGION',
  /** Local only: DynamoDB Local's URL. */
  dynamodbEndpoint: 'DYNAMODB_ENDPOINT',
  /** Local only: the local event bus's URL (it speaks the PutEvents API). */
  eventbridgeEndpoint: 'EVENTBRIDGE_ENDPOINT',
} as const;

export type EnvName = (typeof ENV)[keyof typeof ENV];

export const requireEnv = (name: EnvName): string => {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is not set`);
  return value;
};

/** A whole number of seconds from the environment, or the default when unset; a bad value is a deployment error. */
export const optionalSecondsEnv = (name: EnvName, fallback: number): number => {
  const value = process.env[name];
  if (value === undefined || value === '') return fallback;
  const seconds = Number(value);
  if (!Number.isInteger(seconds) || seconds < 0) throw new Error(`environment variable ${name} must be a whole number of seconds, got ${JSON.stringify(value)}`);
  return seconds;
};
