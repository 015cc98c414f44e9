/**
 * Posts to WebSocket connections through the API Gateway Management API (`PostToConnection`); locally the
 * runner answers the same API, so this code is the same in both places. A 410 means the connection is gone;
 * throttling, 5xx and network errors are retried with capped, fully jittered backoff.
 */
import {
  ApiGatewayManagementApiClient,
  GoneException,
  LimitExceededException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import type { ConnectionGateway, PostOutcome } from '#domain/sync-ports.js';
import { tracer } from '#observability/powertools.js';
import { type BackoffOptions, fullJitterDelay, isRetryableAwsError, sleep } from '../retry.js';

export class PostToConnectionError extends Error {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PostToConnectionError';
  }
}

export type ApiGatewayConnectionGatewayOptions = {
  /** https://{api}.execute-api.{region}.amazonaws.com/{stage}, or the local runner's URL. */
  endpoint: string;
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
    this.client = tracer.captureAWSv3Client(
      new ApiGatewayManagementApiClient({
        endpoint: options.endpoint,
        region: process.env.AWS_REGION ?? 'us-east-1',
        // The retries below are the only ones, so their count and backoff are what the docs say.
        maxAttempts: 1,
      }),
    );
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
