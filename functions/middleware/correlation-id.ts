/**
 * Sets the logger's correlation ID to API Gateway's request ID, so every log line of a request carries it.
 * Powertools' `correlationIdPath` option would need a JMESPath search function in every bundle (and warns once per
 * container without one); the path here is fixed, so a plain property read does.
 */
import type { MiddlewareObj } from '@middy/core';
import { logger } from '#observability/logger.js';

export const correlationId = (): MiddlewareObj<{ requestContext?: { requestId?: unknown } }> => ({
  before: (request) => {
    const requestId = request.event?.requestContext?.requestId;
    if (typeof requestId === 'string') logger.setCorrelationId(requestId);
  },
});
