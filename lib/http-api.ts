/**
 * The HTTP API: one route per entry of functions/contracts/routes.ts, each behind the JWT authorizer, one Lambda
 * integration per function, a throttled `$default` stage with JSON access logs, and CORS only for the origins
 * given (none by default).
 */
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  CorsHttpMethod,
  HttpApi,
  HttpMethod,
  HttpRoute,
  HttpRouteKey,
  HttpStage,
  type IHttpRouteAuthorizer,
  LogGroupLogDestination,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { CORS_HEADERS } from '#contracts/headers.js';
import { HTTP_ROUTES, type HttpFunctionName, routeKey } from '#contracts/routes.js';
import type { ServiceFunction } from './service-function.js';

/** One JSON object per request; no claims or bodies (they may hold personal data). */
const ACCESS_LOG_FORMAT = AccessLogFormat.custom(
  JSON.stringify({
    requestId: '$context.requestId',
    requestTime: '$context.requestTime',
    sourceIp: '$context.identity.sourceIp',
    routeKey: '$context.routeKey',
    status: '$context.status',
    protocol: '$context.protocol',
    responseLength: '$context.responseLength',
    responseLatency: '$context.responseLatency',
    integrationLatency: '$context.integrationLatency',
    integrationError: '$context.integrationErrorMessage',
    authorizerError: '$context.authorizer.error',
    error: '$context.error.message',
  }),
);

export interface ServiceHttpApiProps {
  readonly functions: ReadonlyMap<HttpFunctionName, ServiceFunction>;
  readonly authorizer: IHttpRouteAuthorizer;
  readonly throttle: { rateLimit: number; burstLimit: number };
  /** Browser origins allowed by CORS; empty for none. */
  readonly corsAllowedOrigins: readonly string[];
  readonly logRetention: RetentionDays;
}

export class ServiceHttpApi extends Construct {
  public readonly api: HttpApi;
  public readonly stage: HttpStage;
  public readonly routes: HttpRoute[] = [];
  public readonly accessLogs: LogGroup;

  public constructor(scope: Construct, id: string, props: ServiceHttpApiProps) {
    super(scope, id);

    const methods = [...new Set(HTTP_ROUTES.map((r) => r.method))];
    this.api = new HttpApi(this, 'Api', {
      // Named after the stack: two copies of the stack in one account must not show two APIs both called "Api".
      apiName: `${Stack.of(this).stackName}-http`,
      description: 'Conversation deletion service HTTP API',
      // The stage is created below with throttling and access logs.
      createDefaultStage: false,
      // Every route gets the authorizer explicitly too; this default covers any route added later.
      defaultAuthorizer: props.authorizer,
      ...(props.corsAllowedOrigins.length > 0
        ? {
            corsPreflight: {
              allowOrigins: [...props.corsAllowedOrigins],
              allowMethods: methods.map((m) => CorsHttpMethod[m]),
              allowHeaders: [...CORS_HEADERS.allow],
              exposeHeaders: [...CORS_HEADERS.expose],
              maxAge: Duration.hours(1),
            },
          }
        : {}),
    });

    this.accessLogs = new LogGroup(this, 'AccessLogs', { retention: props.logRetention, removalPolicy: RemovalPolicy.DESTROY });
    this.stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: props.throttle,
      accessLogSettings: { destination: new LogGroupLogDestination(this.accessLogs), format: ACCESS_LOG_FORMAT },
    });

    const integrations = new Map<HttpFunctionName, HttpLambdaIntegration>();
    for (const [name, fn] of props.functions) integrations.set(name, new HttpLambdaIntegration(`${name}Integration`, fn.function));

    for (const route of HTTP_ROUTES) {
      const integration = integrations.get(route.function);
      if (!integration) throw new Error(`no function for route ${routeKey(route)}: ${route.function}`);
      this.routes.push(
        new HttpRoute(this, `Route${routeKey(route).replace(/[^A-Za-z0-9]+/g, '-')}`, {
          httpApi: this.api,
          routeKey: HttpRouteKey.with(route.path, HttpMethod[route.method]),
          integration,
          authorizer: props.authorizer,
        }),
      );
    }
  }

  /** The API's base URL (the `$default` stage has no path prefix). */
  public get url(): string {
    return this.stage.url;
  }
}
