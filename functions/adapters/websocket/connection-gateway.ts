/**
 * Posts to WebSocket connections through the API Gateway Management API (`PostToConnection`); locally the
 * runner answers the same API, so this code is the same in both places. A 410 means the connection is gone;
 * throttling, 5xx and network errors are retried with capped, fully jittered backoff.
 */
import {
  type ApiGatewayManagementApiClient,
  GoneException,
  LimitExceededException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import type { ConnectionGateway, PostOutcome } from '#domain/ports/devices.js';
import { ENV } from '#contracts/environment.js';
import { metrics } from '#observability/metrics.js';
import { METRIC } from '#observability/names.js';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { defineAdapter } from '#wiring/define.js';
import { managementApiClient } from './client.js';
import { type BackoffOptions, fullJitterDelay, isRetryableAwsError, sleep } from '../retry.js';

export class PostToConnectionError extends Error {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PostToConnectionError';
  }
}

export type ApiGatewayConnectionGatewayOptions = {
  /** A client of the stage's management endpoint, with SDK retries off (see websocket/client.ts). */
  client: ApiGatewayManagementApiClient;
  /** Tries per post, the first included. @default 4 */
  maxAttempts?: number;
  /** @default { baseMs: 50, capMs: 1000 } */
  backoff?: BackoffOptions;
  /** Called before each retry (for metrics). */
  onRetry?: () => void;
};

export class ApiGatewayConnectionGateway implements ConnectionGateway {
  private readonly client: ApiGatewayManagementApiClient;
  private readonly encoder = new TextEncoder();

  public constructor(private readonly options: ApiGatewayConnectionGatewayOptions) {
    this.client = options.client;
  }

  public async post(connectionID: string, message: string): Promise<PostOutcome> {
    const maxAttempts = this.options.maxAttempts ?? 4;
    const data = this.encoder.encode(message);
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0) {
        this.options.onRetry?.();
        await sleep(fullJitterDelay(attempt - 1, this.options.backoff ?? { baseMs: 50, capMs: 1000 }));
      }
      try {
        await this.client.send(new PostToConnectionCommand({ ConnectionId: connectionID, Data: data }));
        return 'sent';
      } catch (error) {
        if (error instanceof GoneException) return 'gone';
        const retryable = error instanceof LimitExceededException || isRetryableAwsError(error);
        if (!retryable || attempt + 1 >= maxAttempts) {
          const e = error as Error;
          throw new PostToConnectionError(`PostToConnection ${connectionID} failed after ${attempt + 1} attempt(s): ${e.name}: ${e.message}`, { cause: error });
        }
      }
    }
  }
}

/** PostToConnection on the stage's `@connections/{id}` (IAM: execute-api:ManageConnections on POST). */
export const connectionGateway = defineAdapter<ConnectionGateway>({
  env: [ENV.websocketManagementEndpoint],
  methods: { post: { webSocketConnections: ['execute-api:ManageConnections'] } },
  build: () =>
    new ApiGatewayConnectionGateway({ client: managementApiClient(), onRetry: () => metrics.addMetric(METRIC.pushRetries, MetricUnit.Count, 1) }),
});
