/**
 * Powertools singletons shared by every function (one instance per execution environment).
 * Service name and log level come from POWERTOOLS_SERVICE_NAME / POWERTOOLS_LOG_LEVEL, set by the stack.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';

export const SERVICE_NAME = 'conversation-deletion';
export const METRICS_NAMESPACE = 'ConversationDeletion';

export const logger = new Logger({ serviceName: SERVICE_NAME });
// Metrics' own warnings (such as "no metrics to publish" on read-only routes) go through the structured logger.
export const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME, logger });
// Tracing is a no-op outside Lambda (local runner, tests), so it costs nothing there.
export const tracer = new Tracer({ serviceName: SERVICE_NAME });

/** Metric names, defined once. */
export const METRIC = {
  conversationsDeleted: 'ConversationsDeleted',
  conversationsAbsent: 'ConversationsAbsent',
  conversationsFailed: 'ConversationsFailed',
  messagesPurged: 'MessagesPurged',
  batchRetries: 'BatchWriteRetries',
  purgesDeferred: 'HistoryPurgesDeferred',
  raceRepairs: 'ConversationRaceRepairs',
  eventRetries: 'PutEventsRetries',
  messagesSent: 'MessagesSent',
} as const;
