/**
 * The whole service in one stack: data, auth, functions, the two APIs, the event routing and the alarms,
 * joined by typed props. It has no `env` and makes no lookups, so it synthesizes without AWS credentials.
 */
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import { type Construct } from 'constructs';
import { ENV } from '../functions/contracts/environment.js';
import { EVENT_TARGETS, FUNCTION_NAMES, type FunctionName } from '../functions/contracts/functions.js';
import { HTTP_FUNCTIONS, type HttpFunctionName, WEBSOCKET_FUNCTIONS, type WebSocketFunctionName } from '../functions/contracts/routes.js';
import { CONVERSATIONS_BY_TIME_INDEX } from '../functions/contracts/table.js';
import { Auth } from './auth.js';
import type { ServiceConfig } from './config.js';
import { DataStore } from './data-store.js';
import { ServiceEvents } from './events.js';
import { FUNCTION_PROFILES, type FunctionGrants } from './function-profiles.js';
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

  public constructor(scope: Construct, id: string, props: ServiceStackProps) {
    super(scope, id, props);
    const { config } = props;

    this.data = new DataStore(this, 'Data', { removalPolicy: config.data.removalPolicy, deletionProtection: config.data.deletionProtection });
    this.events = new ServiceEvents(this, 'Events');
    this.auth = new Auth(this, 'Auth', { config: config.auth, removalPolicy: config.data.removalPolicy });

    // Every function reads the table and bus names at start-up (the composition root needs both).
    const sharedEnvironment: Record<string, string> = {
      [ENV.tableName]: this.data.table.tableName,
      [ENV.eventBusName]: this.events.bus.eventBusName,
      [ENV.userIDClaim]: this.auth.userIdClaim,
      ...(config.settingsCacheSeconds !== undefined ? { [ENV.settingsCacheSeconds]: String(config.settingsCacheSeconds) } : {}),
    };
    const extraEnvironment: Partial<Record<FunctionName, Record<string, string>>> = {
      'delete-conversations': { [ENV.idempotencyTableName]: this.data.idempotencyTable.tableName },
      'ws-authorizer': this.auth.verifierEnvironment,
    };

    const functions = new Map<FunctionName, ServiceFunction>();
    for (const name of FUNCTION_NAMES) {
      const profile = FUNCTION_PROFILES[name];
      functions.set(
        name,
        new ServiceFunction(this, `Fn-${name}`, {
          name,
          description: profile.description,
          memorySize: profile.memorySize,
          timeout: profile.timeout,
          ...(profile.guardConcurrency && config.purgeConcurrency > 0 ? { reservedConcurrentExecutions: config.purgeConcurrency } : {}),
          environment: { ...sharedEnvironment, ...extraEnvironment[name] },
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

    for (const fn of functions.values()) {
      this.grant(fn, FUNCTION_PROFILES[fn.name].grants);
      if (FUNCTION_PROFILES[fn.name].grants.postToConnections) {
        fn.function.addEnvironment(ENV.websocketManagementEndpoint, this.webSocketApi.managementEndpoint);
      }
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

  /** Turns one row of the IAM table (lib/function-profiles.ts) into statements on single ARNs. */
  private grant(fn: ServiceFunction, grants: FunctionGrants): void {
    if (grants.table) fn.allowDynamo(grants.table, [this.data.table.tableArn]);
    if (grants.queryIndex) fn.allowDynamo(['dynamodb:Query'], [this.data.indexArn(CONVERSATIONS_BY_TIME_INDEX.name)]);
    if (grants.idempotencyTable) fn.allowDynamo(grants.idempotencyTable, [this.data.idempotencyTable.tableArn]);
    if (grants.putEvents) fn.allowPutEvents(this.events.bus);
    if (grants.postToConnections) fn.allowPostToConnections(this.webSocketApi.stage);
  }
}
