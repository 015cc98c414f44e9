import { deviceChangeDetailSchema } from '#contracts/event-schemas.js';
import { PushIncompleteError, pushDeletion } from '#domain/push-deletion.js';
import { eventHandler } from '#middleware/event-handler.js';
import { logger } from '#observability/logger.js';
import { METRIC, metrics, MetricUnit } from '#observability/metrics.js';
import { pushDeletionFunction } from '#wiring/push-deletion.js';

const deps = pushDeletionFunction.build();

const record = (outcome: { sent: number; gone: number }) => {
  metrics.addMetric(METRIC.pushesSent, MetricUnit.Count, outcome.sent);
  metrics.addMetric(METRIC.pushesGone, MetricUnit.Count, outcome.gone);
};

/**
 * Target of the `pushDeletion` rule (`ConversationsDeleted`, `ConversationHistoryCleared`, `ConversationsRestored`): pushes the change to the user's other devices.
 * Throws when some devices could not be reached, so the invocation is retried (only for those) and ends in the
 * dead-letter queue if it keeps failing.
 */
export const handler = eventHandler(deviceChangeDetailSchema, async (detail) => {
  logger.appendKeys({ deletionID: detail.deletionID, userID: detail.userID });
  try {
    const outcome = await pushDeletion(deps, detail);
    record(outcome);
    return outcome;
  } catch (error) {
    if (error instanceof PushIncompleteError) {
      record(error.outcome);
      metrics.addMetric(METRIC.pushesFailed, MetricUnit.Count, error.failures.length);
      logger.warn('push incomplete; failing the invocation so it is retried', { failures: error.failures });
    }
    throw error;
  }
});
