import { clock } from '#adapters/clock.js';
import { pendingPurges } from '#adapters/dynamodb/pending-purges.js';
import { eventPublisher } from '#adapters/eventbridge/event-publisher.js';
import { ENV, optionalSecondsEnv } from '#contracts/environment.js';
import { PURGE_SWEEP } from '#contracts/table.js';
import { defineFunction, defineValue } from './define.js';

export const sweepPurgesFunction = defineFunction({
  name: 'sweep-purges',
  description: 'Every minute: re-drives each cleared history whose purge event was lost or whose purge stopped',
  memorySize: 256,
  timeoutSeconds: 60,
  adapters: {
    pending: pendingPurges,
    events: eventPublisher,
    clock,
    leaseSeconds: defineValue({ env: [ENV.purgeLeaseSeconds], build: () => optionalSecondsEnv(ENV.purgeLeaseSeconds, PURGE_SWEEP.leaseSeconds) }),
  },
});
