import { clock } from '#adapters/clock.js';
import { historyPurger } from '#adapters/dynamodb/history-purger.js';
import { eventPublisher } from '#adapters/eventbridge/event-publisher.js';
import { defineFunction } from './define.js';

export const purgeHistoryFunction = defineFunction({
  name: 'purge-history',
  description: 'Background purge of cleared histories (rule purgeHistory)',
  memorySize: 1024,
  // Runs until ~10 s before the limit, then hands the rest to a continuation event.
  timeoutSeconds: 300,
  guardConcurrency: true,
  adapters: { purger: historyPurger, events: eventPublisher, clock },
});
