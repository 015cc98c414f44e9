import { conversationRepository } from '#adapters/dynamodb/conversation-repository.js';
import { defineFunction } from './define.js';
import { HTTP_ENV, HTTP_TIMEOUT_SECONDS } from './http.js';

export const conversationsFunction = defineFunction({
  name: 'conversations',
  description: 'GET /v1/conversations',
  memorySize: 512,
  timeoutSeconds: HTTP_TIMEOUT_SECONDS,
  env: HTTP_ENV,
  adapters: { conversations: conversationRepository.use('listConversations') },
});
