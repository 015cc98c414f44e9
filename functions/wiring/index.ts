/**
 * Every function's declaration, for the CDK stack, the local runner's tools and the tests. Handlers never import
 * this file: each imports its own declaration, so it bundles only its own adapters.
 */
import type { FunctionName } from '#contracts/functions.js';
import { adminFunction } from './admin.js';
import { conversationsFunction } from './conversations.js';
import type { FunctionDeclaration } from './define.js';
import { deleteConversationsFunction } from './delete-conversations.js';
import { groupsFunction } from './groups.js';
import { messagesFunction } from './messages.js';
import { purgeHistoryFunction } from './purge-history.js';
import { pushDeletionFunction } from './push-deletion.js';
import { sweepPurgesFunction } from './sweep-purges.js';
import { syncFunction } from './sync.js';
import { wsAuthorizerFunction } from './ws-authorizer.js';
import { wsConnectFunction } from './ws-connect.js';
import { wsDisconnectFunction } from './ws-disconnect.js';

export const FUNCTIONS: { readonly [N in FunctionName]: FunctionDeclaration<unknown> } = {
  messages: messagesFunction,
  groups: groupsFunction,
  conversations: conversationsFunction,
  'delete-conversations': deleteConversationsFunction,
  admin: adminFunction,
  sync: syncFunction,
  'ws-authorizer': wsAuthorizerFunction,
  'ws-connect': wsConnectFunction,
  'ws-disconnect': wsDisconnectFunction,
  'purge-history': purgeHistoryFunction,
  'push-deletion': pushDeletionFunction,
  'sweep-purges': sweepPurgesFunction,
};

export type { Access, AwsAction, AwsResource, DynamoAction, FunctionDeclaration } from './define.js';
