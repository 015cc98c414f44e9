/**
 * The tables' physical shape (keys, index, TTL) as plain data: the CDK stack and the local runner both build
 * their tables from it, so the cloud and local tables cannot drift apart.
 */
import { CONVERSATIONS_BY_TIME_INDEX, IDEMPOTENCY_TABLE_KEYS, PENDING_PURGES_INDEX, TABLE_KEYS, TTL_ATTRIBUTE } from './table.js';

export const SERVICE_TABLE = {
  partitionKey: TABLE_KEYS.partitionKey,
  sortKey: TABLE_KEYS.sortKey,
  localIndexes: [{ name: CONVERSATIONS_BY_TIME_INDEX.name, sortKey: CONVERSATIONS_BY_TIME_INDEX.sortKey, projection: 'ALL' as const }],
  globalIndexes: [
    {
      name: PENDING_PURGES_INDEX.name,
      partitionKey: PENDING_PURGES_INDEX.partitionKey,
      sortKey: PENDING_PURGES_INDEX.sortKey,
      // What the sweeper needs to re-drive a purge without reading the item again.
      projection: 'INCLUDE' as const,
      nonKeyAttributes: ['conversationID', 'clearSeq', 'purgedSeq', 'purgeDeletionID'],
    },
  ],
  ttlAttribute: TTL_ATTRIBUTE,
} as const;

export const IDEMPOTENCY_TABLE = {
  partitionKey: IDEMPOTENCY_TABLE_KEYS.partitionKey,
  ttlAttribute: IDEMPOTENCY_TABLE_KEYS.ttl,
} as const;
