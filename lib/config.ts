/**
 * The deploy-time options of the stack, read once from CDK context (`cdk deploy -c key=value` or cdk.json)
 * into one typed object. docs/deploy.md documents each key; the constructs only ever see `ServiceConfig`.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Node } from 'constructs';
import { DEFAULT_DELETION_RATE_LIMIT, type RateLimit } from '#domain/ports/rate-limits.js';

/** The context keys, each defined once (docs/deploy.md lists them with their defaults). */
export const CONTEXT_KEYS = {
  /** `retain` (default) or `destroy`: what a stack deletion does to the table and the user pool. */
  tableRemovalPolicy: 'tableRemovalPolicy',
  /** `true` (default) or `false`: DynamoDB deletion protection on the service table. */
  tableDeletionProtection: 'tableDeletionProtection',
  /** An existing OIDC issuer URL (https); with `jwtAudience`, replaces the stack's Cognito user pool. */
  jwtIssuer: 'jwtIssuer',
  /**
   * Comma-separated audiences (client IDs): a token of `jwtIssuer` must name one of them in `aud`, or in `client_id`
   * when it has no `aud` (a Cognito access token).
   */
  jwtAudience: 'jwtAudience',
  /** The JWKS URL (https) of `jwtIssuer`. @default the `jwks_uri` of the issuer's OpenID discovery document */
  jwtJwksUri: 'jwtJwksUri',
  /** The JWT claim that is the user ID with `jwtIssuer`. @default "sub" (Cognito mode always uses "username") */
  userIdClaim: 'userIdClaim',
  /** Comma-separated browser origins allowed by CORS, e.g. `https://app.example.com`. @default none (no CORS) */
  corsAllowedOrigins: 'corsAllowedOrigins',
  /** Days the function and API access logs are kept. @default 30 */
  logRetentionDays: 'logRetentionDays',
  /** Powertools log level of every function. @default INFO */
  logLevel: 'logLevel',
  /** E-mail address subscribed to the alarm topic; without it alarms have no action. */
  alarmEmail: 'alarmEmail',
  /** Steady-state requests per second of each API stage. @default 500 */
  throttleRateLimit: 'throttleRateLimit',
  /** Burst of requests of each API stage. @default 1000 */
  throttleBurstLimit: 'throttleBurstLimit',
  /**
   * Reserved concurrency of the background purge function; 0 leaves it unreserved. @default 0 (a new account's
   * concurrency quota of 10 or 50 cannot spare a reservation: Lambda keeps 100 unreserved, and the deploy fails)
   */
  purgeConcurrency: 'purgeConcurrency',
  /**
   * `true` (default): the stack sets the region's API Gateway CloudWatch Logs role, without which a WebSocket stage
   * with access logs cannot deploy. `false` when the account already has one (`aws apigateway get-account`).
   */
  apiGatewayCloudWatchRole: 'apiGatewayCloudWatchRole',
  /** Seconds the functions may cache the app settings. @default the functions' own default */
  settingsCacheSeconds: 'settingsCacheSeconds',
  /**
   * `true` (default): host the web console (CloudFront, S3, the user pool's hosted UI). Cognito mode only: with
   * `jwtIssuer` there is no hosted UI to sign in with, and the stack hosts no console.
   */
  console: 'console',
  /**
   * The console's hosted-UI domain prefix (`https://<prefix>.auth.<region>.amazoncognito.com`), unique in the region
   * across all accounts. @default "console-" + the account ID + a hash of the stack's name and the construct's path
   */
  consoleDomainPrefix: 'consoleDomainPrefix',
  /**
   * Deletion-type calls (delete, clear history, restore) one user may make per `deletionRateWindowSeconds`, all routes
   * together; 0 turns the per-user limit off (the stage throttle still applies). @default 20
   */
  deletionRateLimit: 'deletionRateLimit',
  /** The window of `deletionRateLimit`, in seconds. @default 10 */
  deletionRateWindowSeconds: 'deletionRateWindowSeconds',
} as const;

export type LogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

/** Who signs the tokens: the stack's own Cognito user pool, or an existing OIDC provider. */
export type AuthConfig =
  | { kind: 'cognito' }
  | {
      kind: 'oidc';
      issuer: string;
      audience: string[];
      userIdClaim: string;
      /** @default none: the authorizer reads it from the issuer's discovery document */
      jwksUri?: string;
    };

export type ServiceConfig = {
  data: { removalPolicy: RemovalPolicy; deletionProtection: boolean };
  auth: AuthConfig;
  /** Empty: no CORS configuration, so browsers on other origins cannot call the API. */
  corsAllowedOrigins: string[];
  logRetention: RetentionDays;
  logLevel: LogLevel;
  /** The stage throttle of both APIs, for all routes and users together. */
  throttle: { rateLimit: number; burstLimit: number };
  /** The per-user limit on deletion-type calls; `calls` 0: none. */
  deletionRateLimit: RateLimit;
  alarmEmail?: string;
  /** 0 (the default): no reserved concurrency. */
  purgeConcurrency: number;
  apiGatewayCloudWatchRole: boolean;
  settingsCacheSeconds?: number;
  /** The hosted web console; absent: none (turned off, or an external OIDC issuer). */
  console?: { domainPrefix?: string };
};

export class ConfigError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Context values come as strings from `-c` and as JSON values from cdk.json; both are accepted. */
const text = (node: Node, key: string): string | undefined => {
  const value: unknown = node.tryGetContext(key);
  if (value === undefined || value === null || value === '') return undefined;
  return String(value).trim();
};

const list = (node: Node, key: string): string[] => {
  const value: unknown = node.tryGetContext(key);
  if (Array.isArray(value)) return value.map((v) => String(v).trim()).filter(Boolean);
  return (text(node, key) ?? '').split(',').map((v) => v.trim()).filter(Boolean);
};

const bool = (node: Node, key: string, fallback: boolean): boolean => {
  const value = text(node, key);
  if (value === undefined) return fallback;
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new ConfigError(`context ${key} must be true or false, not ${JSON.stringify(value)}`);
};

const integer = (node: Node, key: string, fallback: number, min: number): number => {
  const value = text(node, key);
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new ConfigError(`context ${key} must be an integer >= ${min}, not ${JSON.stringify(value)}`);
  return n;
};

const oneOf = <T extends string>(node: Node, key: string, allowed: readonly T[], fallback: T): T => {
  const value = text(node, key);
  if (value === undefined) return fallback;
  const match = allowed.find((a) => a.toLowerCase() === value.toLowerCase());
  if (!match) throw new ConfigError(`context ${key} must be one of ${allowed.join(', ')}, not ${JSON.stringify(value)}`);
  return match;
};

const httpsUrl = (key: string, value: string): string => {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`context ${key} must be a URL, not ${JSON.stringify(value)}`);
  }
  if (url.protocol !== 'https:') throw new ConfigError(`context ${key} must be an https URL, not ${JSON.stringify(value)}`);
  return value;
};

const authConfig = (node: Node): AuthConfig => {
  const issuer = text(node, CONTEXT_KEYS.jwtIssuer);
  const audience = list(node, CONTEXT_KEYS.jwtAudience);
  const jwksUri = text(node, CONTEXT_KEYS.jwtJwksUri);
  if (!issuer && audience.length === 0) {
    if (jwksUri) throw new ConfigError(`context ${CONTEXT_KEYS.jwtJwksUri} belongs to ${CONTEXT_KEYS.jwtIssuer}: the Cognito user pool needs none`);
    return { kind: 'cognito' };
  }
  if (!issuer || audience.length === 0) {
    throw new ConfigError(`context ${CONTEXT_KEYS.jwtIssuer} and ${CONTEXT_KEYS.jwtAudience} go together: give both or neither`);
  }
  return {
    kind: 'oidc',
    issuer: httpsUrl(CONTEXT_KEYS.jwtIssuer, issuer),
    audience,
    userIdClaim: text(node, CONTEXT_KEYS.userIdClaim) ?? 'sub',
    ...(jwksUri ? { jwksUri: httpsUrl(CONTEXT_KEYS.jwtJwksUri, jwksUri) } : {}),
  };
};

const retention = (node: Node): RetentionDays => {
  const days = integer(node, CONTEXT_KEYS.logRetentionDays, 30, 1);
  const allowed = Object.values(RetentionDays).filter((v): v is RetentionDays => typeof v === 'number');
  if (!allowed.includes(days as RetentionDays)) {
    throw new ConfigError(`context ${CONTEXT_KEYS.logRetentionDays} must be one of CloudWatch's retention periods (${allowed.join(', ')}), not ${days}`);
  }
  return days as RetentionDays;
};

/** Reads and validates every option; throws a ConfigError naming the key on a bad value. */
export const configFromContext = (node: Node): ServiceConfig => {
  const removal = oneOf(node, CONTEXT_KEYS.tableRemovalPolicy, ['retain', 'destroy'] as const, 'retain');
  const alarmEmail = text(node, CONTEXT_KEYS.alarmEmail);
  if (alarmEmail !== undefined && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(alarmEmail)) {
    throw new ConfigError(`context ${CONTEXT_KEYS.alarmEmail} must be an e-mail address, not ${JSON.stringify(alarmEmail)}`);
  }
  const origins = list(node, CONTEXT_KEYS.corsAllowedOrigins);
  for (const origin of origins) if (origin !== '*') httpsUrl(CONTEXT_KEYS.corsAllowedOrigins, origin);
  const settingsCache = text(node, CONTEXT_KEYS.settingsCacheSeconds);
  const auth = authConfig(node);
  const domainPrefix = text(node, CONTEXT_KEYS.consoleDomainPrefix);
  // Cognito's rule for a domain prefix; it also refuses the reserved words aws, amazon and cognito.
  if (domainPrefix !== undefined && (!/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(domainPrefix) || /aws|amazon|cognito/.test(domainPrefix))) {
    throw new ConfigError(
      `context ${CONTEXT_KEYS.consoleDomainPrefix} must be 1-63 lower-case letters, digits and hyphens, not starting or ending with a hyphen nor containing aws, amazon or cognito, not ${JSON.stringify(domainPrefix)}`,
    );
  }
  const hostConsole = bool(node, CONTEXT_KEYS.console, true);
  if (hostConsole && domainPrefix !== undefined && auth.kind !== 'cognito') {
    throw new ConfigError(`context ${CONTEXT_KEYS.consoleDomainPrefix} belongs to the stack's Cognito user pool: with ${CONTEXT_KEYS.jwtIssuer} the stack hosts no console`);
  }
  return {
    data: {
      removalPolicy: removal === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
      deletionProtection: bool(node, CONTEXT_KEYS.tableDeletionProtection, true),
    },
    auth,
    corsAllowedOrigins: origins,
    logRetention: retention(node),
    logLevel: oneOf(node, CONTEXT_KEYS.logLevel, ['DEBUG', 'INFO', 'WARN', 'ERROR'] as const, 'INFO'),
    throttle: {
      rateLimit: integer(node, CONTEXT_KEYS.throttleRateLimit, 500, 1),
      burstLimit: integer(node, CONTEXT_KEYS.throttleBurstLimit, 1000, 1),
    },
    deletionRateLimit: {
      calls: integer(node, CONTEXT_KEYS.deletionRateLimit, DEFAULT_DELETION_RATE_LIMIT.calls, 0),
      windowSeconds: integer(node, CONTEXT_KEYS.deletionRateWindowSeconds, DEFAULT_DELETION_RATE_LIMIT.windowSeconds, 1),
    },
    ...(alarmEmail ? { alarmEmail } : {}),
    purgeConcurrency: integer(node, CONTEXT_KEYS.purgeConcurrency, 0, 0),
    apiGatewayCloudWatchRole: bool(node, CONTEXT_KEYS.apiGatewayCloudWatchRole, true),
    ...(settingsCache !== undefined ? { settingsCacheSeconds: integer(node, CONTEXT_KEYS.settingsCacheSeconds, 0, 0) } : {}),
    ...(hostConsole && auth.kind === 'cognito' ? { console: domainPrefix ? { domainPrefix } : {} } : {}),
  };
};
