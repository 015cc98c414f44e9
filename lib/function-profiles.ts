/**
 * Per function: its size and time limit, and exactly which AWS actions it may call on which resource.
 * This table is the one place to adjust when a handler starts (or stops) making a call; the stack turns it
 * into IAM statements and the CDK tests check the result. Read from the adapters each function uses
 * (functions/adapters/**) — list only what the code calls.
 */
import { Duration } from 'aws-cdk-lib';
import type { FunctionName } from '../functions/contracts/functions.js';

export type DynamoAction =
  | 'dynamodb:GetItem'
  | 'dynamodb:BatchGetItem'
  | 'dynamodb:Query'
  | 'dynamodb:PutItem'
  | 'dynamodb:UpdateItem'
  | 'dynamodb:DeleteItem'
  | 'dynamodb:BatchWriteItem';

/** What a function may touch; every resource is a single ARN (no wildcards). */
export type FunctionGrants = {
  /** Actions on the service table. */
  readonly table?: readonly DynamoAction[];
  /** Query on the service table's local secondary index (authorized on the index ARN). */
  readonly queryIndex?: boolean;
  /** Actions on the idempotency table. */
  readonly idempotencyTable?: readonly DynamoAction[];
  /** events:PutEvents on the service's bus. */
  readonly putEvents?: boolean;
  /** execute-api:ManageConnections for POST (PostToConnection) on the WebSocket stage's `@connections`. */
  readonly postToConnections?: boolean;
};

export type FunctionProfile = {
  readonly description: string;
  readonly memorySize: number;
  readonly timeout: Duration;
  /** Gets the configured reserved concurrency (context `purgeConcurrency`): a runaway here would hurt. */
  readonly guardConcurrency?: boolean;
  readonly grants: FunctionGrants;
};

/** API Gateway gives up on an integration after 30 s; HTTP functions end before that. */
const HTTP_TIMEOUT = Duration.seconds(29);

export const FUNCTION_PROFILES: Record<FunctionName, FunctionProfile> = {
  messages: {
    description: 'POST /v1/messages, GET /v1/conversations/{id}/messages',
    memorySize: 512,
    timeout: HTTP_TIMEOUT,
    grants: {
      // Sequence counters and conversation items (Update), message copies (BatchWrite),
      // group members and history (Query), the clear point (Get).
      table: ['dynamodb:UpdateItem', 'dynamodb:BatchWriteItem', 'dynamodb:Query', 'dynamodb:GetItem'],
    },
  },
  groups: {
    description: 'POST /v1/groups',
    memorySize: 512,
    timeout: HTTP_TIMEOUT,
    // The conditional metadata Put claims the ID; members by BatchWrite; Query checks existing members.
    grants: { table: ['dynamodb:PutItem', 'dynamodb:BatchWriteItem', 'dynamodb:Query'] },
  },
  conversations: {
    description: 'GET /v1/conversations',
    memorySize: 512,
    timeout: HTTP_TIMEOUT,
    // Lists from the local secondary index only (no base-table reads).
    grants: { queryIndex: true },
  },
  'delete-conversations': {
    description: 'POST /v1/conversations/delete, DELETE /v1/conversations/{id}',
    memorySize: 1024,
    timeout: HTTP_TIMEOUT,
    grants: {
      // States (BatchGet), tombstones and inline purge (BatchWrite), race repair (Query, Update),
      // deletion record (Put), purge marks (Update).
      table: ['dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem', 'dynamodb:Query', 'dynamodb:UpdateItem', 'dynamodb:PutItem'],
      // Powertools' DynamoDB persistence layer.
      idempotencyTable: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
      putEvents: true,
    },
  },
  admin: {
    description: 'Admin routes: system notifications and app settings',
    memorySize: 512,
    timeout: HTTP_TIMEOUT,
    // System notifications write like messages (Update counters and conversations, BatchWrite copies);
    // the settings item is read (Get) and changed attribute by attribute (Update).
    grants: { table: ['dynamodb:UpdateItem', 'dynamodb:BatchWriteItem', 'dynamodb:GetItem'] },
  },
  sync: {
    description: 'GET /v1/sync/conversation-deletions',
    memorySize: 512,
    timeout: HTTP_TIMEOUT,
    // The settings item (Get) and the user's deletion records (Query).
    grants: { table: ['dynamodb:GetItem', 'dynamodb:Query'] },
  },
  'ws-authorizer': {
    description: 'WebSocket $connect authorizer: verifies the JWT in ?token=',
    memorySize: 256,
    timeout: Duration.seconds(10),
    // Verifies signatures with the issuer's public keys (fetched over HTTPS): no AWS calls.
    grants: {},
  },
  'ws-connect': {
    description: 'WebSocket $connect: registers the device connection',
    memorySize: 256,
    timeout: Duration.seconds(10),
    // Both connection items in one TransactWriteItems of two Puts: IAM authorizes each Put as PutItem.
    grants: { table: ['dynamodb:PutItem'] },
  },
  'ws-disconnect': {
    description: 'WebSocket $disconnect: removes the device connection',
    memorySize: 256,
    timeout: Duration.seconds(10),
    // Deletes the owner item (returning it), then the user's connection item.
    grants: { table: ['dynamodb:DeleteItem'] },
  },
  'purge-history': {
    description: 'Background purge of cleared histories (rule purgeHistory)',
    memorySize: 1024,
    // Runs until ~10 s before the limit, then hands the rest to a continuation event.
    timeout: Duration.minutes(5),
    // Its continuations re-trigger it: reserved concurrency bounds both a runaway loop and its write load.
    guardConcurrency: true,
    grants: { table: ['dynamodb:Query', 'dynamodb:BatchWriteItem', 'dynamodb:UpdateItem'], putEvents: true },
  },
  'push-deletion': {
    description: 'Pushes each deletion to the user\'s other devices (rule pushDeletion)',
    memorySize: 512,
    timeout: Duration.minutes(1),
    // Settings and push progress (Get), the user's connections (Query), gone connections (Delete),
    // progress on the deletion record (Update), then PostToConnection on @connections.
    grants: { table: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:DeleteItem', 'dynamodb:UpdateItem'], postToConnections: true },
  },
};
