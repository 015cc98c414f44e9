/**
 * The composition root: builds the adapters from the environment, once per execution environment.
 * Handlers take what they need from here; tests build the same objects against DynamoDB Local.
 */
import { ENV, requireEnv } from '#contracts/environment.js';
import { METRIC, metrics } from '#observability/powertools.js';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { systemClock } from '#domain/ports.js';
import { sharedDocumentClient } from './dynamodb/client.js';
import { DynamoConversationRepository } from './dynamodb/conversation-repository.js';
import { DynamoDeletionRepository } from './dynamodb/deletion-repository.js';
import { DynamoGroupRepository } from './dynamodb/group-repository.js';
import { DynamoHistoryPurger } from './dynamodb/history-purger.js';
import { DynamoMessageRepository } from './dynamodb/message-repository.js';
import { EventBridgePublisher } from './eventbridge/event-publisher.js';

const countRetries = (count: number) => metrics.addMetric(METRIC.batchRetries, MetricUnit.Count, count);

export const createServiceDependencies = () => {
  const client = sharedDocumentClient();
  const tableName = requireEnv(ENV.tableName);
  return {
    client,
    tableName,
    clock: systemClock,
    messages: new DynamoMessageRepository(client, tableName),
    conversations: new DynamoConversationRepository(client, tableName),
    groups: new DynamoGroupRepository(client, tableName),
    deletions: new DynamoDeletionRepository(client, tableName, { onRetry: countRetries }),
    purger: new DynamoHistoryPurger(client, tableName, { onRetry: countRetries }),
    events: new EventBridgePublisher({
      eventBusName: requireEnv(ENV.eventBusName),
      onRetry: (n) => metrics.addMetric(METRIC.eventRetries, MetricUnit.Count, n),
    }),
  };
};

export type ServiceDependencies = ReturnType<typeof createServiceDependencies>;
