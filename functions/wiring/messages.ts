import { clock } from '#adapters/clock.js';
import { conversationRepository } from '#adapters/dynamodb/conversation-repository.js';
import { groupRepository } from '#adapters/dynamodb/group-repository.js';
import { messageRepository } from '#adapters/dynamodb/message-repository.js';
import { defineFunction } from './define.js';
import { HTTP_ENV, HTTP_TIMEOUT_SECONDS } from './http.js';

export const messagesFunction = defineFunction({
  name: 'messages',
  description: 'POST /v1/messages, GET /v1/conversations/{id}/messages',
  memorySize: 512,
  timeoutSeconds: HTTP_TIMEOUT_SECONDS,
  env: HTTP_ENV,
  adapters: {
    messages: messageRepository,
    conversations: conversationRepository.use('getClearPoint'),
    groups: groupRepository.use('listMembers'),
    clock,
  },
});
