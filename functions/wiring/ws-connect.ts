import { clock } from '#adapters/clock.js';
import { connectionRegistry } from '#adapters/dynamodb/connection-registry.js';
import { defineFunction } from './define.js';

export const wsConnectFunction = defineFunction({
  name: 'ws-connect',
  description: 'WebSocket $connect: registers the device connection',
  memorySize: 256,
  timeoutSeconds: 10,
  adapters: { connections: connectionRegistry.use('register'), clock },
});
