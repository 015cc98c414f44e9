/** The execution environment's client of the WebSocket API's management endpoint, built on first use. */
import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { ENV, requireEnv } from '#contracts/environment.js';
import { tracer } from '#observability/tracer.js';
import { type RetryPolicy, SDK_RETRY, sdkRetryOptions } from '../retry-policy.js';

/**
 * A client of the management endpoint https://{api}.execute-api.{region}.amazonaws.com/{stage} (locally the runner's
 * URL). Its SDK retries are PostToConnection's whole retry policy: throttling (429 `LimitExceededException`), 5xx and
 * network errors; a 410 `GoneException` or another 4xx is not retried.
 */
export const createManagementApiClient = (endpoint: string, retry: RetryPolicy = SDK_RETRY.managementApi): ApiGatewayManagementApiClient =>
  tracer.captureAWSv3Client(
    new ApiGatewayManagementApiClient({
      endpoint,
      region: process.env[ENV.awsRegion] ?? 'us-east-1',
      ...sdkRetryOptions(retry),
    }),
  );

let shared: ApiGatewayManagementApiClient | undefined;

export const managementApiClient = (): ApiGatewayManagementApiClient => (shared ??= createManagementApiClient(requireEnv(ENV.websocketManagementEndpoint)));
