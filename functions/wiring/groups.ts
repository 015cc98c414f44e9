import { clock } from '#adapters/clock.js';
import { groupRepository } from '#adapters/dynamodb/group-repository.js';
import { defineFunction } from './define.js';
import { HTTP_ENV, HTTP_TIMEOUT_SECONDS } from './http.js';

export const groupsFunction = defineFunction({
  name: 'groups',
  description: 'POST /v1/groups',
  memorySize: 512,
  timeoutSeconds: HTTP_TIMEOUT_SECONDS,
  env: HTTP_ENV,
  adapters: { groups: groupRepository.use('createGroup'), clock },
});
