/**
 * One Lambda function of the service with the defaults every function shares: Node.js 24 on arm64, bundled by
 * the local esbuild as minified ESM with source maps and the AWS SDK inside, X-Ray tracing, Powertools
 * environment, its own log group with retention, and an execution role that starts empty (write access to its
 * own log group only) and gains exactly what the grant helpers add.
 */
import { join } from 'node:path';
import { type CfnResource, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { WebSocketStage } from 'aws-cdk-lib/aws-apigatewayv2';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, type CfnFunction, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { type FunctionName, handlerEntry } from '#contracts/functions.js';
import { METRICS_NAMESPACE, SERVICE_NAME } from '#observability/names.js';
import { BUNDLING, PROJECT_ROOT } from './bundling.js';
import type { LogLevel } from './config.js';
import type { AwsAction } from '#wiring/index.js';

export { PROJECT_ROOT } from './bundling.js';

export interface ServiceFunctionProps {
  readonly name: FunctionName;
  readonly description: string;
  /** @default 512 */
  readonly memorySize?: number;
  /** @default Duration.seconds(29) */
  readonly timeout?: Duration;
  /** @default - unreserved */
  readonly reservedConcurrentExecutions?: number;
  /** Service environment (table, bus, auth...); the Powertools variables are added here. */
  readonly environment?: Record<string, string>;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention: RetentionDays;
  /** @default 'INFO' */
  readonly logLevel?: LogLevel;
}

export class ServiceFunction extends Construct {
  public readonly name: FunctionName;
  public readonly function: NodejsFunction;
  public readonly role: Role;
  public readonly logGroup: LogGroup;

  public constructor(scope: Construct, id: string, props: ServiceFunctionProps) {
    super(scope, id);
    this.name = props.name;

    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention,
      // Operational logs go with the stack; the data they describe is in the retained table.
      removalPolicy: RemovalPolicy.DESTROY,
    });

    // Not AWSLambdaBasicExecutionRole: that one may write to every log group in the account.
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `${SERVICE_NAME} ${props.name} function`,
    });
    this.role.addToPolicy(
      new PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [this.logGroup.logGroupArn] }),
    );

    this.function = new NodejsFunction(this, 'Function', {
      entry: join(PROJECT_ROOT, handlerEntry(props.name)),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
      description: `${SERVICE_NAME}: ${props.description}`,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(29),
      ...(props.reservedConcurrentExecutions !== undefined ? { reservedConcurrentExecutions: props.reservedConcurrentExecutions } : {}),
      role: this.role,
      logGroup: this.logGroup,
      tracing: Tracing.ACTIVE,
      environment: {
        POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        POWERTOOLS_LOG_LEVEL: props.logLevel ?? 'INFO',
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
      // The options are defined once in lib/bundling.ts (bench/cold.ts builds with the same ones); see there why.
      bundling: {
        // Never Docker: the locally installed esbuild bundles (no Docker engine on build machines).
        forceDockerBundling: false,
        format: BUNDLING.format === 'esm' ? OutputFormat.ESM : OutputFormat.CJS,
        target: BUNDLING.target,
        mainFields: [...BUNDLING.mainFields],
        banner: BUNDLING.banner,
        minify: BUNDLING.minify,
        sourceMap: BUNDLING.sourceMap,
        // DEFAULT: a linked .map file, as esbuild's `sourcemap: true`.
        sourceMapMode: SourceMapMode.DEFAULT,
        sourcesContent: BUNDLING.sourcesContent,
        keepNames: BUNDLING.keepNames,
        externalModules: [...BUNDLING.externalModules],
        tsconfig: join(PROJECT_ROOT, BUNDLING.tsconfig),
      },
    });
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Only xray:PutTraceSegments and xray:PutTelemetryRecords (added by Tracing.ACTIVE) use Resource "*": ' +
        'X-Ray does not support resource-level permissions for them.',
    });
  }

  /** The function's logical ID in the template (for tests and cross-references). */
  public get logicalId(): string {
    return Stack.of(this).getLogicalId(this.function.node.defaultChild as CfnFunction);
  }

  /** Allows exactly these actions on exactly these ARNs (a table, an index, the bus). */
  public allow(actions: readonly AwsAction[], resources: readonly string[]): void {
    if (actions.length === 0) return;
    this.role.addToPolicy(new PolicyStatement({ actions: [...actions], resources: [...resources] }));
  }

  /** Allows execute-api:ManageConnections for PostToConnection (POST) on this stage's `@connections/*` only. */
  public allowPostToConnections(stage: WebSocketStage): void {
    const stack = Stack.of(this);
    const apiArn = stack.formatArn({ service: 'execute-api', resource: stage.api.apiId });
    this.role.addToPolicy(
      new PolicyStatement({ actions: ['execute-api:ManageConnections'], resources: [`${apiArn}/${stage.stageName}/POST/@connections/*`] }),
    );
    const apiId = stack.getLogicalId(stage.api.node.defaultChild as CfnResource);
    Validations.of(this.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<${apiId}>/${stage.stageName}/POST/@connections/*]`,
      reason:
        "Posting is allowed on this WebSocket stage's @connections only; the wildcard stands for the connection ID, known only at run time.",
    });
  }

  /** Allows sqs:SendMessage on one queue (the function's asynchronous-invocation failures). */
  public allowSendMessage(queueArn: string): void {
    this.role.addToPolicy(new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [queueArn] }));
  }
}
