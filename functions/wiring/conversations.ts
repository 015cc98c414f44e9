import { clock } from '#adapters/clock.js';
import { conversationRepository } from '#adapters/dynamodb/conversation-repository.js';
import { deletionStatuses } from '#adapters/dynamodb/deletion-statuses.js';
import { defineFunction } from './define.js';
import { HTTP_ENV, HTTP_TIMEOUT_SECONDS } from './http.js';

export const conversationsFunction = defineFunction({
  name: 'conversations',
  description: 'GET /v1/conversations, GET /v1/deletions/{id}',
  memorySize: 512,
  timeoutSeconds: HTTP_TIMEOUT_SECONDS,
  env: HTTP_ENV,
  adapters: { conversations: conversationRepository.use('listConversations'), statuses: deletionStatuses.use('read', 'readPurgeProgress'), clock },
});
