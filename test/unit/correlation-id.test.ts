/** Every log line of a request carries API Gateway's request ID as its correlation ID. */
import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { websocketHandler } from '#middleware/websocket-handler.js';
import { logger } from '#observability/logger.js';

const context = { functionName: 'f', awsRequestId: 'lambda-1', getRemainingTimeInMillis: () => 1000 } as unknown as Context;

describe('correlation ID', () => {
  it('is the request ID of each request, read without a JMESPath search function', async () => {
    // Prepare
    const handler = websocketHandler(async () => logger.getCorrelationId());

    // Act
    const first = await handler({ requestContext: { requestId: 'request-1' } }, context);
    const second = await handler({ requestContext: { requestId: 'request-2' } }, context);

    // Assess
    expect([first, second]).toEqual(['request-1', 'request-2']);
  });
});
