/**
 * The wiring every EventBridge target function shares: Powertools tracing, logging and metrics, then the
 * Powertools parser, which unwraps the EventBridge envelope and validates the detail against the contract's
 * schema. The handler receives the typed detail; a malformed event fails the invocation (retried, then DLQ).
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { EventBridgeEnvelope } from '@aws-lambda-powertools/parser/envelopes/eventbridge';
import { parser } from '@aws-lambda-powertools/parser/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import type { Context } from 'aws-lambda';
import type { z } from 'zod';
import { logger } from '#observability/logger.js';
import { metrics } from '#observability/metrics.js';
import { tracer } from '#observability/tracer.js';

export const eventHandler = <S extends z.ZodType>(schema: S, handle: (detail: z.output<S>, context: Context) => Promise<unknown>) =>
  middy<z.output<S>, unknown, Error, Context>()
    .use(captureLambdaHandler(tracer))
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics))
    .use(parser({ schema, envelope: EventBridgeEnvelope }))
    .handler(handle);

/** The same wiring for a function an EventBridge schedule invokes: its event carries nothing to parse. */
export const scheduledHandler = (handle: (context: Context) => Promise<unknown>) =>
  middy<unknown, unknown, Error, Context>()
    .use(captureLambdaHandler(tracer))
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics))
    .handler((_event, context) => handle(context));
