import { PURGE_SWEEP } from '#contracts/table.js';
import { sweepPendingPurges } from '#domain/sweep-purges.js';
import { scheduledHandler } from '#middleware/event-handler.js';
import { logger } from '#observability/logger.js';
import { METRIC, metrics, MetricUnit } from '#observability/metrics.js';
import { sweepPurgesFunction } from '#wiring/sweep-purges.js';

const deps = sweepPurgesFunction.build();

/** Invoked every minute by a schedule rule: hands every overdue purge to the purge function again. */
export const handler = scheduledHandler(async () => {
  const outcome = await sweepPendingPurges(deps, { leaseSeconds: deps.leaseSeconds, maxPerSweep: PURGE_SWEEP.maxPerSweep });
  metrics.addMetric(METRIC.purgesRedriven, MetricUnit.Count, outcome.redriven);
  if (outcome.due > 0) logger.info('pending purges swept', { ...outcome });
  return outcome;
});
