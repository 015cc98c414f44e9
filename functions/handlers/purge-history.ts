import { historyPurgeRequestedDetailSchema } from '#contracts/event-schemas.js';
import { runPurgeJob } from '#domain/purge-job.js';
import { eventHandler } from '#middleware/event-handler.js';
import { logger } from '#observability/logger.js';
import { METRIC, metrics, MetricUnit } from '#observability/metrics.js';
import { purgeHistoryFunction } from '#wiring/purge-history.js';

const deps = purgeHistoryFunction.build();

/** Time kept back from the invocation's limit to publish the continuation event. */
const SAFETY_MS = 10_000;

/** Background purge of cleared histories, invoked by the EventBridge rule on `ConversationHistoryPurgeRequested`. */
export const handler = eventHandler(historyPurgeRequestedDetailSchema, async (job, context) => {
  logger.appendKeys({ deletionID: job.deletionID, userID: job.userID, attempt: job.attempt });
  const deadline = Date.now() + Math.max(1000, context.getRemainingTimeInMillis() - SAFETY_MS);
  const outcome = await runPurgeJob(deps, job, deadline);
  metrics.addMetric(METRIC.messagesPurged, MetricUnit.Count, outcome.messagesDeleted);
  logger.info('purge run finished', { messagesDeleted: outcome.messagesDeleted, finished: outcome.finished, remaining: outcome.remaining.length });
  return { finished: outcome.finished, messagesDeleted: outcome.messagesDeleted };
});
