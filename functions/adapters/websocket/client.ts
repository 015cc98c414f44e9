/** The execution environment's client of the WebSocket API's management endpoint, built on first use. */
import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { ENV, requireEnv } from '#contracts/environment.js';
import { tracer } from '#observability/tracer.js';

/** A client of the management endpoint https://{api}.execute-api.{region}.amazonaws.com/{stage} (locally the runner's URL). */
export const createManagementApiClient = (endpoint: string): ApiGatewayManagementApiClient =>
  tracer.captureAWSv3Client(
    new ApiGatewayManagementApiClient({
      endpoint,
      region: process.env.AWS_REGION ?? 'us-east-1',
      // The gateway's own retries are the only ones, so their count and backoff are what the docs say.
      maxAttempts: 1,
    }),
  );

let shared: ApiGatewayManagementApiClient | undefined;

export const managementApiClient = (): ApiGatewayManagementApiClient => (shared ??= createManagementApiClient(requireEnv(ENV.websocketManagementEndpoint)));
