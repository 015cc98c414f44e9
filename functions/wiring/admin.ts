import { clock } from '#adapters/clock.js';
import { deletionStatuses } from '#adapters/dynamodb/deletion-statuses.js';
import { messageRepository } from '#adapters/dynamodb/message-repository.js';
import { settingsCachePeriod, settingsRepository } from '#adapters/dynamodb/settings-repository.js';
import { defineFunction } from './define.js';
import { HTTP_ENV, HTTP_TIMEOUT_SECONDS } from './http.js';

export const adminFunction = defineFunction({
  name: 'admin',
  description: 'Admin routes: system notifications, app settings, a user\'s deletion audit',
  memorySize: 512,
  timeoutSeconds: HTTP_TIMEOUT_SECONDS,
  env: HTTP_ENV,
  adapters: {
    // System notifications are written like messages; nothing here reads a history.
    messages: messageRepository.use('allocateSequence', 'putMessageCopies', 'applyToConversation'),
    settingsStore: settingsRepository,
    settingsCache: settingsCachePeriod,
    statuses: deletionStatuses.use('listForUser', 'readPurgeProgress'),
    clock,
  },
});
