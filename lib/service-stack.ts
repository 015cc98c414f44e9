/**
 * The whole service in one stack: data, auth, functions, the two APIs, the event routing and the alarms,
 * joined by typed props. It has no `env` and makes no lookups, so it synthesizes without AWS credentials.
 */
import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import { type Construct } from 'constructs';
import { ENV, type EnvName } from '#contracts/environment.js';
import { EVENT_TARGETS, FUNCTION_NAMES, type FunctionName, SCHEDULED_FUNCTIONS } from '#contracts/functions.js';
import { HTTP_FUNCTIONS, type HttpFunctionName, WEBSOCKET_FUNCTIONS, type WebSocketFunctionName } from '#contracts/routes.js';
import { CONVERSATIONS_BY_TIME_INDEX, PENDING_PURGES_INDEX } from '#contracts/table.js';
import { Auth } from './auth.js';
import type { ServiceConfig } from './config.js';
import { ConsoleHosting } from './console-hosting.js';
import { DataStore } from './data-store.js';
import { ServiceEvents } from './events.js';
import { type Access, type AwsAction, type AwsResource, FUNCTIONS } from '#wiring/index.js';
import { ServiceHttpApi } from './http-api.js';
import { Monitoring } from './monitoring.js';
import { ServiceFunction } from './service-function.js';
import { ServiceWebSocketApi } from './websocket-api.js';

export interface ServiceStackProps extends StackProps {
  readonly config: ServiceConfig;
}

export class ServiceStack extends Stack {
  public readonly data: DataStore;
  public readonly auth: Auth;
  public readonly events: ServiceEvents;
  public readonly functions: ReadonlyMap<FunctionName, ServiceFunction>;
  public readonly httpApi: ServiceHttpApi;
  public readonly webSocketApi: ServiceWebSocketApi;
  public readonly monitoring: Monitoring;
  /** The hosted web console (Cognito mode, unless turned off with `-c console=false`). */
  public readonly console?: ConsoleHosting;

  public constructor(scope: Construct, id: string, props: ServiceStackProps) {
    super(scope, id, props);
    const { config } = props;

    this.data = new DataStore(this, 'Data', { removalPolicy: config.data.removalPolicy, deletionProtection: config.data.deletionProtection });
    this.events = new ServiceEvents(this, 'Events');
    this.auth = new Auth(this, 'Auth', { config: config.auth, removalPolicy: config.data.removalPolicy });

    // The value of every environment variable the cloud has one for; a function gets those its declaration reads.
    // (The WebSocket management endpoint is added below, once the WebSocket API exists.)
    const values: Partial<Record<EnvName, string>> = {
      [ENV.tableName]: this.data.table.tableName,
      [ENV.idempotencyTableName]: this.data.idempotencyTable.tableName,
      [ENV.eventBusName]: this.events.bus.eventBusName,
      [ENV.userIDClaim]: this.auth.userIdClaim,
      ...this.auth.verifierEnvironment,
      ...(config.settingsCacheSeconds !== undefined ? { [ENV.settingsCacheSeconds]: String(config.settingsCacheSeconds) } : {}),
      [ENV.deletionRateLimit]: String(config.deletionRateLimit.calls),
      [ENV.deletionRateWindowSeconds]: String(config.deletionRateLimit.windowSeconds),
    };

    const functions = new Map<FunctionName, ServiceFunction>();
    for (const name of FUNCTION_NAMES) {
      const declaration = FUNCTIONS[name];
      functions.set(
        name,
        new ServiceFunction(this, `Fn-${name}`, {
          name,
          description: declaration.description,
          memorySize: declaration.memorySize,
          timeout: Duration.seconds(declaration.timeoutSeconds),
          ...(declaration.guardConcurrency && config.purgeConcurrency > 0 ? { reservedConcurrentExecutions: config.purgeConcurrency } : {}),
          environment: Object.fromEntries(declaration.environment.flatMap((env) => (values[env] !== undefined ? [[env, values[env]]] : []))),
          logRetention: config.logRetention,
          logLevel: config.logLevel,
        }),
      );
    }
    this.functions = functions;
    const pick = <N extends FunctionName>(names: readonly N[]): ReadonlyMap<N, ServiceFunction> =>
      new Map(names.map((n) => [n, functions.get(n)!]));

    this.httpApi = new ServiceHttpApi(this, 'Http', {
      functions: pick<HttpFunctionName>(HTTP_FUNCTIONS),
      authorizer: this.auth.httpAuthorizer,
      throttle: config.throttle,
      corsAllowedOrigins: config.corsAllowedOrigins,
      logRetention: config.logRetention,
    });
    this.webSocketApi = new ServiceWebSocketApi(this, 'WebSocket', {
      functions: pick<WebSocketFunctionName>(WEBSOCKET_FUNCTIONS),
      throttle: config.throttle,
      logRetention: config.logRetention,
      createAccountLogsRole: config.apiGatewayCloudWatchRole,
    });
    for (const target of EVENT_TARGETS) this.events.route(target.rule, functions.get(target.function)!);
    for (const scheduled of SCHEDULED_FUNCTIONS) this.events.schedule(Duration.seconds(scheduled.everySeconds), functions.get(scheduled.function)!);

    for (const fn of functions.values()) {
      this.grant(fn, FUNCTIONS[fn.name].access);
      if (FUNCTIONS[fn.name].environment.includes(ENV.websocketManagementEndpoint)) {
        fn.function.addEnvironment(ENV.websocketManagementEndpoint, this.webSocketApi.managementEndpoint);
      }
    }

    if (config.console && this.auth.userPool) {
      this.console = new ConsoleHosting(this, 'Console', {
        httpApiEndpoint: this.httpApi.api.apiEndpoint,
        webSocketUrl: this.webSocketApi.url,
        userPool: this.auth.userPool,
        issuer: this.auth.issuer,
        ...(config.console.domainPrefix ? { domainPrefix: config.console.domainPrefix } : {}),
      });
      // Its users sign in through the console's own app client: both APIs take that client's access tokens.
      this.auth.allowClient(this.console.client);
    }

    this.monitoring = new Monitoring(this, 'Monitoring', {
      functions: [...functions.values()],
      eventTargets: this.events.targets,
      httpApi: this.httpApi.api,
      ...(config.alarmEmail ? { alarmEmail: config.alarmEmail } : {}),
    });

    new CfnOutput(this, 'HttpApiUrl', { value: this.httpApi.url, description: 'Base URL of the HTTP API' });
    new CfnOutput(this, 'WebSocketUrl', { value: this.webSocketApi.url, description: 'WebSocket URL (append ?token=<access token>&deviceID=<device ID>)' });
    new CfnOutput(this, 'TableName', { value: this.data.table.tableName, description: 'The service table (retained on stack deletion by default)' });
    new CfnOutput(this, 'EventBusName', { value: this.events.bus.eventBusName, description: 'The service event bus' });
    if (this.auth.userPool && this.auth.userPoolClient) {
      new CfnOutput(this, 'UserPoolId', { value: this.auth.userPool.userPoolId, description: 'Cognito user pool (create users here)' });
      new CfnOutput(this, 'UserPoolClientId', { value: this.auth.userPoolClient.userPoolClientId, description: 'Cognito app client of the apps' });
    }
  }

  /** Grants a function exactly what its adapters do (functions/wiring), each resource a single ARN. */
  private grant(fn: ServiceFunction, access: Access): void {
    const resources: Record<Exclude<AwsResource, 'webSocketConnections'>, string> = {
      table: this.data.table.tableArn,
      conversationIndex: this.data.indexArn(CONVERSATIONS_BY_TIME_INDEX.name),
      pendingPurgesIndex: this.data.indexArn(PENDING_PURGES_INDEX.name),
      idempotencyTable: this.data.idempotencyTable.tableArn,
      eventBus: this.events.bus.eventBusArn,
    };
    for (const [resource, actions] of Object.entries(access) as [AwsResource, readonly AwsAction[]][]) {
      if (resource === 'webSocketConnections') fn.allowPostToConnections(this.webSocketApi.stage);
      else fn.allow(actions, [resources[resource]]);
    }
  }
}
