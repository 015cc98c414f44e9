import { clock } from '#adapters/clock.js';
import { deletionLog } from '#adapters/dynamodb/deletion-log.js';
import { cachedSettings } from '#adapters/dynamodb/settings-repository.js';
import { defineFunction } from './define.js';
import { HTTP_ENV, HTTP_TIMEOUT_SECONDS } from './http.js';

export const syncFunction = defineFunction({
  name: 'sync',
  description: 'GET /v1/sync/conversation-deletions',
  memorySize: 512,
  timeoutSeconds: HTTP_TIMEOUT_SECONDS,
  env: HTTP_ENV,
  adapters: { settings: cachedSettings, deletionLog, clock },
});
