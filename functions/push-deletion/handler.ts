import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { conversationsDeletedDetailSchema } from '#contracts/events.js';
import { createPushDependencies, SYNC_METRIC } from '#adapters/sync-dependencies.js';
import { PushIncompleteError, pushDeletion } from '#domain/push-deletion.js';
import { eventHandler } from '#events/event-handler.js';
import { logger, metrics } from '#observability/powertools.js';

const deps = createPushDependencies();

/**
 * Target of the `pushDeletion` rule (`ConversationsDeleted`): pushes the deletion to the user's other devices.
 * Throws when some devices could not be reached, so the invocation is retried (only for those) and ends in the
 * dead-letter queue if it keeps failing.
 */
export const handler = eventHandler(conversationsDeletedDetailSchema, async (detail) => {
  logger.appendKeys({ deletionID: detail.deletionID, userID: detail.userID });
  try {
    const outcome = await pushDeletion(deps, detail);
    record(outcome);
    return outcome;
  } catch (error) {
    if (error instanceof PushIncompleteError) {
      record(error.outcome);
      metrics.addMetric(SYNC_METRIC.pushesFailed, MetricUnit.Count, error.failures.length);
      logger.warn('push incomplete; failing the invocation so it is retried', { failures: error.failures });
    }
    throw error;
  }
});

const record = (outcome: { sent: number; gone: number }) => {
  metrics.addMetric(SYNC_METRIC.pushesSent, MetricUnit.Count, outcome.sent);
  metrics.addMetric(SYNC_METRIC.pushesGone, MetricUnit.Count, outcome.gone);
};
