/** CloudWatch metrics in embedded metric format (one instance per execution environment). */
import { Metrics } from '@aws-lambda-powertools/metrics';
import { logger } from './logger.js';
import { METRICS_NAMESPACE, SERVICE_NAME } from './names.js';

export { METRIC } from './names.js';
export { MetricUnit } from '@aws-lambda-powertools/metrics';

// Metrics' own warnings (such as "no metrics to publish" on read-only routes) go through the structured logger.
export const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME, logger });
