/**
 * The WebSocket API devices keep open to hear about deletions made on their other devices: `$connect` behind the
 * Lambda REQUEST authorizer (JWT in the `token` query parameter, since browsers cannot set headers on a
 * WebSocket), `$disconnect`, and a throttled, auto-deployed stage with access logs. Routes and functions come
 * from functions/contracts/routes.ts.
 */
import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { AccessLogFormat, CfnAccount } from 'aws-cdk-lib/aws-apigateway';
import { LogGroupLogDestination, WebSocketApi, type WebSocketRouteOptions, WebSocketStage } from 'aws-cdk-lib/aws-apigatewayv2';
import { WebSocketLambdaAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { WebSocketLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { ManagedPolicy, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { WEBSOCKET_ROUTES, WEBSOCKET_STAGE, type WebSocketFunctionName } from '#contracts/routes.js';
import type { ServiceFunction } from './service-function.js';

/** Where the authorizer finds the token: `wss://.../<stage>?token=<JWT>`. */
export const WEBSOCKET_TOKEN_SOURCE = 'route.request.querystring.token';


const ACCESS_LOG_FORMAT = AccessLogFormat.custom(
  JSON.stringify({
    requestId: '$context.requestId',
    requestTime: '$context.requestTime',
    sourceIp: '$context.identity.sourceIp',
    connectionId: '$context.connectionId',
    eventType: '$context.eventType',
    routeKey: '$context.routeKey',
    status: '$context.status',
    integrationLatency: '$context.integrationLatency',
    authorizerError: '$context.authorizer.error',
    error: '$context.error.message',
  }),
);

export interface ServiceWebSocketApiProps {
  readonly functions: ReadonlyMap<WebSocketFunctionName, ServiceFunction>;
  readonly throttle: { rateLimit: number; burstLimit: number };
  readonly logRetention: RetentionDays;
  /**
   * Also set the region's API Gateway CloudWatch Logs role (an account-wide setting): without one, a WebSocket
   * stage with access logs fails to deploy ("CloudWatch Logs role ARN must be set in account settings").
   * @default false - the account already has one (`aws apigateway get-account`)
   */
  readonly createAccountLogsRole?: boolean;
}

export class ServiceWebSocketApi extends Construct {
  public readonly api: WebSocketApi;
  public readonly stage: WebSocketStage;
  public readonly accessLogs: LogGroup;

  public constructor(scope: Construct, id: string, props: ServiceWebSocketApiProps) {
    super(scope, id);
    const fn = (name: WebSocketFunctionName): ServiceFunction => {
      const found = props.functions.get(name);
      if (!found) throw new Error(`no function ${name} for the WebSocket API`);
      return found;
    };

    const routeOptions = {} as Record<(typeof WEBSOCKET_ROUTES)[number]['routeKey'], WebSocketRouteOptions>;
    for (const route of WEBSOCKET_ROUTES) {
      const integration = new WebSocketLambdaIntegration(`${route.function}Integration`, fn(route.function).function);
      routeOptions[route.routeKey] =
        'authorizer' in route
          ? {
              integration,
              authorizer: new WebSocketLambdaAuthorizer('Authorizer', fn(route.authorizer).function, { identitySource: [WEBSOCKET_TOKEN_SOURCE] }),
            }
          : { integration };
    }

    this.api = new WebSocketApi(this, 'Api', {
      // Named after the stack, like the HTTP API: one account may hold several copies of the stack.
      apiName: `${Stack.of(this).stackName}-websocket`,
      description: 'Conversation deletion service WebSocket API (deletion push to devices)',
      connectRouteOptions: routeOptions.$connect,
      disconnectRouteOptions: routeOptions.$disconnect,
    });
    // WebSocketApi names its route constructs `<routeKey>-Route`.
    Validations.of(this.api.node.findChild('$disconnect-Route')).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason: 'API Gateway allows an authorizer only on $connect; $disconnect belongs to a connection that was authorized when it opened.',
    });

    this.accessLogs = new LogGroup(this, 'AccessLogs', { retention: props.logRetention, removalPolicy: RemovalPolicy.DESTROY });
    this.stage = new WebSocketStage(this, 'Stage', {
      webSocketApi: this.api,
      stageName: WEBSOCKET_STAGE,
      autoDeploy: true,
      throttle: props.throttle,
      accessLogSettings: { destination: new LogGroupLogDestination(this.accessLogs), format: ACCESS_LOG_FORMAT },
    });

    if (props.createAccountLogsRole) {
      const role = new Role(this, 'ApiGatewayLogsRole', {
        assumedBy: new ServicePrincipal('apigateway.amazonaws.com'),
        managedPolicies: [ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonAPIGatewayPushToCloudWatchLogs')],
      });
      // The account setting outlives the stack; so does the role, or other APIs' logging would break.
      role.applyRemovalPolicy(RemovalPolicy.RETAIN);
      Validations.of(role).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason: 'The AWS-maintained policy made for exactly this role: API Gateway writing the logs of the whole region.',
      });
      const account = new CfnAccount(this, 'ApiGatewayAccount', { cloudWatchRoleArn: role.roleArn });
      this.stage.node.addDependency(account);
    }
  }

  /** `wss://` URL devices connect to (append `?token=<JWT>&deviceID=<id>`). */
  public get url(): string {
    return this.stage.url;
  }

  /** `https://` endpoint of the Management API (`@connections`) for this stage. */
  public get managementEndpoint(): string {
    return this.stage.callbackUrl;
  }
}
