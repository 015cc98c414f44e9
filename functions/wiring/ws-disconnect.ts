import { connectionRegistry } from '#adapters/dynamodb/connection-registry.js';
import { defineFunction } from './define.js';

export const wsDisconnectFunction = defineFunction({
  name: 'ws-disconnect',
  description: 'WebSocket $disconnect: removes the device connection',
  memorySize: 256,
  timeoutSeconds: 10,
  adapters: { connections: connectionRegistry.use('remove') },
});
