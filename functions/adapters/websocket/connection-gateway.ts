/**
 * Posts to WebSocket connections through the API Gateway Management API (`PostToConnection`); locally the
 * runner answers the same API, so this code is the same in both places. A 410 means the connection is gone;
 * throttling, 5xx and network errors are retried by the client's SDK retry strategy (websocket/client.ts,
 * retry-policy.ts), which is this call's whole retry policy.
 */
import { type ApiGatewayManagementApiClient, GoneException, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import type { ConnectionGateway, PostOutcome } from '#domain/ports/devices.js';
import { ENV } from '#contracts/environment.js';
import { metrics } from '#observability/metrics.js';
import { METRIC } from '#observability/names.js';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { defineAdapter } from '#wiring/define.js';
import { managementApiClient } from './client.js';

export class PostToConnectionError extends Error {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PostToConnectionError';
  }
}

export type ApiGatewayConnectionGatewayOptions = {
  /** A client of the stage's management endpoint, retrying as websocket/client.ts configures it. */
  client: ApiGatewayManagementApiClient;
  /** Called after a post the SDK retried, with the number of retries (for metrics). */
  onRetry?: (retries: number) => void;
};

/** The SDK records its attempts on the output and on the error it finally throws. */
const attemptsOf = (answer: unknown): number => (answer as { $metadata?: { attempts?: number } } | undefined)?.$metadata?.attempts ?? 1;

export class ApiGatewayConnectionGateway implements ConnectionGateway {
  private readonly client: ApiGatewayManagementApiClient;
  private readonly encoder = new TextEncoder();

  public constructor(private readonly options: ApiGatewayConnectionGatewayOptions) {
    this.client = options.client;
  }

  public async post(connectionID: string, message: string): Promise<PostOutcome> {
    let answer: unknown;
    try {
      answer = await this.client.send(new PostToConnectionCommand({ ConnectionId: connectionID, Data: this.encoder.encode(message) }));
      return 'sent';
    } catch (error) {
      answer = error;
      if (error instanceof GoneException) return 'gone';
      const e = error as Error;
      throw new PostToConnectionError(`PostToConnection ${connectionID} failed after ${attemptsOf(error)} attempt(s): ${e.name}: ${e.message}`, { cause: error });
    } finally {
      const retries = attemptsOf(answer) - 1;
      if (retries > 0) this.options.onRetry?.(retries);
    }
  }
}

/** PostToConnection on the stage's `@connections/{id}` (IAM: execute-api:ManageConnections on POST). */
export const connectionGateway = defineAdapter<ConnectionGateway>({
  env: [ENV.websocketManagementEndpoint],
  methods: { post: { webSocketConnections: ['execute-api:ManageConnections'] } },
  build: () =>
    new ApiGatewayConnectionGateway({ client: managementApiClient(), onRetry: (n) => metrics.addMetric(METRIC.pushRetries, MetricUnit.Count, n) }),
});
