import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { EventBridgeEnvelope } from '@aws-lambda-powertools/parser/envelopes/eventbridge';
import { parser } from '@aws-lambda-powertools/parser/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import type { Context } from 'aws-lambda';
import { type HistoryPurgeRequestedDetail, historyPurgeRequestedDetailSchema } from '#contracts/events.js';
import { createServiceDependencies } from '#adapters/index.js';
import { runPurgeJob } from '#domain/purge-job.js';
import { logger, METRIC, metrics, tracer } from '#observability/powertools.js';

const deps = createServiceDependencies();

/** Time kept back from the invocation's limit to publish the continuation event. */
const SAFETY_MS = 10_000;

/** Background purge of cleared histories, invoked by the EventBridge rule on `ConversationHistoryPurgeRequested`. */
export const handler = middy<HistoryPurgeRequestedDetail, unknown, Error, Context>()
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics))
  .use(parser({ schema: historyPurgeRequestedDetailSchema, envelope: EventBridgeEnvelope }))
  .handler(async (job, context) => {
    logger.appendKeys({ deletionID: job.deletionID, userID: job.userID, attempt: job.attempt });
    const deadline = Date.now() + Math.max(1000, context.getRemainingTimeInMillis() - SAFETY_MS);
    const outcome = await runPurgeJob(deps, job, deadline);
    metrics.addMetric(METRIC.messagesPurged, MetricUnit.Count, outcome.messagesDeleted);
    logger.info('purge run finished', { messagesDeleted: outcome.messagesDeleted, finished: outcome.finished, remaining: outcome.remaining.length });
    return { finished: outcome.finished, messagesDeleted: outcome.messagesDeleted };
  });
