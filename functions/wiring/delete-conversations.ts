import { clock } from '#adapters/clock.js';
import { deletionRepository } from '#adapters/dynamodb/deletion-repository.js';
import { deletionStatuses } from '#adapters/dynamodb/deletion-statuses.js';
import { historyPurger } from '#adapters/dynamodb/history-purger.js';
import { idempotencyStore } from '#adapters/dynamodb/idempotency-store.js';
import { deletionRateLimiter } from '#adapters/dynamodb/rate-limiter.js';
import { cachedSettings } from '#adapters/dynamodb/settings-repository.js';
import { eventPublisher } from '#adapters/eventbridge/event-publisher.js';
import { defineFunction } from './define.js';
import { HTTP_ENV, HTTP_TIMEOUT_SECONDS } from './http.js';

export const deleteConversationsFunction = defineFunction({
  name: 'delete-conversations',
  description: 'Deleting, clearing and restoring conversations, for the caller or (admin) for a user',
  memorySize: 1024,
  timeoutSeconds: HTTP_TIMEOUT_SECONDS,
  env: HTTP_ENV,
  adapters: { deletions: deletionRepository, purger: historyPurger.use('purgeRange', 'markPurged'), events: eventPublisher, idempotency: idempotencyStore, clock, rateLimiter: deletionRateLimiter, settings: cachedSettings, statuses: deletionStatuses.use('read', 'markRestored') },
});
