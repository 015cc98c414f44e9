/**
 * The wiring the WebSocket API's functions share ($connect authorizer, $connect, $disconnect): Powertools tracing
 * and logging with the request ID as correlation ID. No metrics and no body parsing: they have none.
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import type { Context } from 'aws-lambda';
import { logger } from '#observability/logger.js';
import { tracer } from '#observability/tracer.js';
import { correlationId } from './correlation-id.js';

export const websocketHandler = <E, R>(handle: (event: E, context: Context) => Promise<R>) =>
  middy<E, R, Error, Context>()
    .use(captureLambdaHandler(tracer))
    .use(injectLambdaContext(logger))
    .use(correlationId())
    .handler(handle);
