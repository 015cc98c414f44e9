/**
 * The context options: an existing OIDC issuer instead of Cognito, CORS origins, a destroyable table, other
 * log retention, throttling and purge concurrency, and an account that already has its API Gateway logs role. One
 * synthesis with all of them, one more under another stack name with only a purge concurrency; the validation
 * cases of configFromContext need none.
 */
import { App } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { ENV } from '#contracts/environment.js';
import { FUNCTIONS } from '#wiring/index.js';
import { CONTEXT_KEYS, ConfigError, configFromContext } from '#lib/config.js';
import { type Synthesized, synthesize } from '../support/cdk.js';

const ISSUER = 'https://login.example.com/realms/chat';
const JWKS_URI = 'https://login.example.com/realms/chat/protocol/openid-connect/certs';

/** Context exactly as `cdk deploy -c key=value` passes it: strings. */
const OPTIONS: Record<string, string> = {
  [CONTEXT_KEYS.jwtIssuer]: ISSUER,
  [CONTEXT_KEYS.jwtAudience]: 'chat-app,chat-admin',
  [CONTEXT_KEYS.jwtJwksUri]: JWKS_URI,
  [CONTEXT_KEYS.userIdClaim]: 'preferred_username',
  [CONTEXT_KEYS.corsAllowedOrigins]: 'https://app.example.com, https://admin.example.com',
  [CONTEXT_KEYS.tableRemovalPolicy]: 'destroy',
  [CONTEXT_KEYS.tableDeletionProtection]: 'false',
  [CONTEXT_KEYS.logRetentionDays]: '7',
  [CONTEXT_KEYS.logLevel]: 'debug',
  [CONTEXT_KEYS.throttleRateLimit]: '50',
  [CONTEXT_KEYS.throttleBurstLimit]: '100',
  [CONTEXT_KEYS.purgeConcurrency]: '0',
  [CONTEXT_KEYS.apiGatewayCloudWatchRole]: 'false',
  [CONTEXT_KEYS.settingsCacheSeconds]: '30',
  [CONTEXT_KEYS.deletionRateLimit]: '100',
  [CONTEXT_KEYS.deletionRateWindowSeconds]: '60',
};

let stack: Synthesized['stack'];
let template: Synthesized['template'];
let resources: Synthesized['resources'];
let ofType: Synthesized['ofType'];
let idOf: Synthesized['idOf'];

beforeAll(() => {
  // One synthesis for the file.
  ({ stack, template, resources, ofType, idOf } = synthesize('Options', OPTIONS));
});

describe('an existing OIDC provider', () => {
  it('checks its issuer and audiences on every HTTP route, and creates no user pool', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      JwtConfiguration: { Issuer: ISSUER, Audience: ['chat-app', 'chat-admin'] },
    });
    const httpRoutes = ofType('AWS::ApiGatewayV2::Route').filter(([, r]) => r.Properties.ApiId.Ref === idOf(stack.httpApi.api));
    for (const [, route] of httpRoutes) expect(route.Properties.AuthorizationType).toBe('JWT');
    expect(ofType('AWS::Cognito::UserPool')).toHaveLength(0);
    expect(Object.keys(template.toJSON().Outputs as object)).not.toContain('UserPoolId');
  });

  it('gives the WebSocket authorizer the issuer, audiences and JWKS URL, and every function the user ID claim', () => {
    const authorizer = resources[stack.functions.get('ws-authorizer')!.logicalId]!.Properties.Environment.Variables;
    expect(authorizer).toMatchObject({ [ENV.jwtIssuer]: ISSUER, [ENV.jwtAudience]: 'chat-app,chat-admin', [ENV.jwtJwksUri]: JWKS_URI });
    expect(authorizer[ENV.cognitoUserPoolID]).toBeUndefined();
    for (const fn of stack.functions.values()) {
      const variables = resources[fn.logicalId]!.Properties.Environment.Variables;
      expect(variables.POWERTOOLS_LOG_LEVEL, fn.name).toBe('DEBUG');
      // Each function gets the options its declaration reads, and only those.
      const reads = FUNCTIONS[fn.name].environment;
      expect(variables[ENV.userIDClaim], fn.name).toBe(reads.includes(ENV.userIDClaim) ? 'preferred_username' : undefined);
      expect(variables[ENV.settingsCacheSeconds], fn.name).toBe(reads.includes(ENV.settingsCacheSeconds) ? '30' : undefined);
      expect(variables[ENV.jwtJwksUri], fn.name).toBe(reads.includes(ENV.jwtJwksUri) ? JWKS_URI : undefined);
    }
    expect(resources[stack.functions.get('sync')!.logicalId]!.Properties.Environment.Variables[ENV.settingsCacheSeconds]).toBe('30');
  });

  it('hosts no console: without the stack\'s user pool there is no hosted UI to sign in with', () => {
    expect(stack.console).toBeUndefined();
    expect(ofType('AWS::CloudFront::Distribution')).toHaveLength(0);
    expect(ofType('AWS::S3::Bucket')).toHaveLength(0);
  });

  it('gives the functions that read it the per-user deletion rate limit', () => {
    for (const fn of stack.functions.values()) {
      const variables = resources[fn.logicalId]!.Properties.Environment.Variables;
      const reads = FUNCTIONS[fn.name].environment.includes(ENV.deletionRateLimit);
      expect([variables[ENV.deletionRateLimit], variables[ENV.deletionRateWindowSeconds]], fn.name).toEqual(reads ? ['100', '60'] : [undefined, undefined]);
    }
  });
});

describe('other options', () => {
  it('allows CORS from the given origins only, with the methods of the routes and the headers clients send', () => {
    expect(resources[idOf(stack.httpApi.api)]!.Properties.CorsConfiguration).toEqual({
      AllowOrigins: ['https://app.example.com', 'https://admin.example.com'],
      AllowMethods: ['POST', 'GET', 'DELETE', 'PUT'],
      AllowHeaders: ['authorization', 'content-type', 'idempotency-key', 'x-device-id'],
      ExposeHeaders: ['retry-after'],
      MaxAge: 3600,
    });
  });

  it('makes the table destroyable and unprotected when asked', () => {
    const table = resources[idOf(stack.data.table)]!;
    expect(table.DeletionPolicy).toBe('Delete');
    expect(table.Properties.DeletionProtectionEnabled).toBe(false);
  });

  it('applies the log retention, the throttling and no reserved concurrency', () => {
    for (const [, logGroup] of ofType('AWS::Logs::LogGroup')) expect(logGroup.Properties.RetentionInDays).toBe(7);
    expect(resources[idOf(stack.httpApi.stage)]!.Properties.DefaultRouteSettings).toEqual({ ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 });
    for (const fn of stack.functions.values()) expect(resources[fn.logicalId]!.Properties.ReservedConcurrentExecutions, fn.name).toBeUndefined();
  });

  it('names both APIs after the stack', () => {
    expect(resources[idOf(stack.httpApi.api)]!.Properties.Name).toBe('Options-http');
    expect(resources[idOf(stack.webSocketApi.api)]!.Properties.Name).toBe('Options-websocket');
  });

  it('leaves the account\'s API Gateway CloudWatch Logs role alone when asked', () => {
    expect(ofType('AWS::ApiGateway::Account')).toHaveLength(0);
  });

  it('has no alarm topic without an alarm e-mail', () => {
    expect(ofType('AWS::SNS::Topic')).toHaveLength(0);
    for (const [, alarm] of ofType('AWS::CloudWatch::Alarm')) expect(alarm.Properties.AlarmActions).toBeUndefined();
  });

  it('finds no unacknowledged AwsSolutions finding', () => {
    const report = new AwsSolutionsChecks().validateScope(stack);
    expect(report.violations.map((v) => ({ rule: v.ruleName, resources: v.violatingResources }))).toEqual([]);
  });
});

describe('a purge concurrency and no console, in a stack of another name', () => {
  let other: Synthesized;

  beforeAll(() => {
    other = synthesize('SecondCopy', { [CONTEXT_KEYS.purgeConcurrency]: '5', [CONTEXT_KEYS.console]: 'false' });
  });

  it('hosts no console when asked, and takes only the apps\' client\'s tokens', () => {
    expect(other.stack.console).toBeUndefined();
    expect(other.ofType('AWS::CloudFront::Distribution')).toHaveLength(0);
    expect(other.ofType('AWS::Cognito::UserPoolClient')).toHaveLength(1);
    const authorizer = other.ofType('AWS::ApiGatewayV2::Authorizer').find(([, a]) => a.Properties.AuthorizerType === 'JWT')![1];
    expect(authorizer.Properties.JwtConfiguration.Audience).toEqual([{ Ref: other.idOf(other.stack.auth.userPoolClient!) }]);
    expect(other.resources[other.stack.functions.get('ws-authorizer')!.logicalId]!.Properties.Environment.Variables[ENV.cognitoClientID]).toEqual({ Ref: other.idOf(other.stack.auth.userPoolClient!) });
  });

  it('reserves that concurrency for the purge function only', () => {
    const reserved = [...other.stack.functions.values()].map((fn) => [fn.name, other.resources[fn.logicalId]!.Properties.ReservedConcurrentExecutions]);
    expect(reserved.filter(([, concurrency]) => concurrency !== undefined)).toEqual([['purge-history', 5]]);
  });

  it('gives its APIs names of their own, so that two copies can share an account', () => {
    expect(other.resources[other.idOf(other.stack.httpApi.api)]!.Properties.Name).toBe('SecondCopy-http');
    expect(other.resources[other.idOf(other.stack.webSocketApi.api)]!.Properties.Name).toBe('SecondCopy-websocket');
  });
});

describe('configFromContext', () => {
  const configWith = (context: Record<string, unknown>) => configFromContext(new App({ context }).node);

  it('defaults to Cognito, a retained and protected table, no CORS, 30-day logs and no purge concurrency', () => {
    const config = configWith({});
    expect(config).toMatchObject({
      auth: { kind: 'cognito' },
      data: { deletionProtection: true },
      corsAllowedOrigins: [],
      logRetention: 30,
      logLevel: 'INFO',
      throttle: { rateLimit: 500, burstLimit: 1000 },
      deletionRateLimit: { calls: 20, windowSeconds: 10 },
      // A new account (concurrency quota 10 or 50) refuses any reservation: Lambda keeps 100 unreserved.
      purgeConcurrency: 0,
      apiGatewayCloudWatchRole: true,
      console: {},
    });
    expect(config.alarmEmail).toBeUndefined();
    expect(configWith({ consoleDomainPrefix: 'chat-console-1' }).console).toEqual({ domainPrefix: 'chat-console-1' });
    expect(configWith({ console: 'false' }).console).toBeUndefined();
    // With an external issuer there is no hosted UI: no console, and asking for one is not an error.
    expect(configWith({ jwtIssuer: ISSUER, jwtAudience: 'x' }).console).toBeUndefined();
  });

  it('takes a per-user deletion limit of 0 (off) and a window on its own', () => {
    expect(configWith({ deletionRateLimit: 0 }).deletionRateLimit).toEqual({ calls: 0, windowSeconds: 10 });
    expect(configWith({ deletionRateWindowSeconds: '60' }).deletionRateLimit).toEqual({ calls: 20, windowSeconds: 60 });
  });

  it('reads the audiences as a list and the JWKS URL only when given', () => {
    expect(configWith({ jwtIssuer: ISSUER, jwtAudience: ' chat-app, ,chat-admin ' }).auth).toEqual({
      kind: 'oidc',
      issuer: ISSUER,
      audience: ['chat-app', 'chat-admin'],
      userIdClaim: 'sub',
    });
    expect(configWith({ jwtIssuer: ISSUER, jwtAudience: 'chat-app', jwtJwksUri: JWKS_URI }).auth).toMatchObject({ jwksUri: JWKS_URI });
  });

  it.each([
    [{ jwtIssuer: ISSUER }, /jwtIssuer and jwtAudience go together/],
    [{ jwtAudience: 'x' }, /jwtIssuer and jwtAudience go together/],
    [{ jwtIssuer: 'http://login.example.com', jwtAudience: 'x' }, /https URL/],
    [{ jwtIssuer: ISSUER, jwtAudience: 'x', jwtJwksUri: 'http://login.example.com/certs' }, /jwtJwksUri must be an https URL/],
    [{ jwtJwksUri: JWKS_URI }, /jwtJwksUri belongs to jwtIssuer/],
    [{ corsAllowedOrigins: 'app.example.com' }, /corsAllowedOrigins must be a URL/],
    [{ logRetentionDays: '31' }, /retention periods/],
    [{ tableRemovalPolicy: 'snapshot' }, /retain, destroy/],
    [{ tableDeletionProtection: 'yes' }, /true or false/],
    [{ purgeConcurrency: '-1' }, /integer >= 0/],
    [{ deletionRateLimit: '-1' }, /deletionRateLimit must be an integer >= 0/],
    [{ deletionRateLimit: '20/10s' }, /deletionRateLimit must be an integer >= 0/],
    [{ deletionRateWindowSeconds: '0' }, /deletionRateWindowSeconds must be an integer >= 1/],
    [{ alarmEmail: 'ops' }, /e-mail address/],
    [{ console: 'yes' }, /console must be true or false/],
    [{ consoleDomainPrefix: 'Chat_Console' }, /consoleDomainPrefix must be 1-63 lower-case letters/],
    [{ consoleDomainPrefix: 'my-cognito-console' }, /nor containing aws, amazon or cognito/],
    [{ consoleDomainPrefix: 'chat', jwtIssuer: ISSUER, jwtAudience: 'x' }, /with jwtIssuer the stack hosts no console/],
  ])('refuses %o', (context, message) => {
    expect(() => configWith(context)).toThrow(ConfigError);
    expect(() => configWith(context)).toThrow(message);
  });
});
