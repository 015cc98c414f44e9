import { clock } from '#adapters/clock.js';
import { connectionRegistry } from '#adapters/dynamodb/connection-registry.js';
import { pushProgress } from '#adapters/dynamodb/deletion-log.js';
import { cachedSettings } from '#adapters/dynamodb/settings-repository.js';
import { connectionGateway } from '#adapters/websocket/connection-gateway.js';
import { defineFunction } from './define.js';

export const pushDeletionFunction = defineFunction({
  name: 'push-deletion',
  description: "Pushes each deletion to the user's other devices (rule pushDeletion)",
  memorySize: 512,
  timeoutSeconds: 60,
  adapters: {
    settings: cachedSettings,
    connections: connectionRegistry.use('listForUser', 'removeForUser'),
    progress: pushProgress,
    gateway: connectionGateway,
    clock,
  },
});
