/**
 * The single-table design: key attribute names, the index, the TTL attribute and every key shape.
 * The DynamoDB adapter, the CDK stack, the local runner and the tests all import this file, so a key
 * shape is written down exactly once. docs/design.md explains each access pattern.
 */
import type { ConversationRef } from './ids.js';

export const TABLE_KEYS = { partitionKey: 'pk', sortKey: 'sk' } as const;

/** Local secondary index that orders a user's live conversations by last activity (sparse: tombstones lack it). */
export const CONVERSATIONS_BY_TIME_INDEX = { name: 'byUpdatedAt', sortKey: 'lsi1sk' } as const;

/**
 * Global secondary index of conversations whose cleared history is not yet physically purged: sparse, only a
 * conversation item with a pending purge carries its keys, so the sweeper reads exactly the work left. Spread
 * over a few partitions so that no single index partition takes every clear of the app (a hot index partition
 * throttles the table's own writes).
 */
export const PENDING_PURGES_INDEX = { name: 'pendingPurges', partitionKey: 'purgeShard', sortKey: 'purgeDueAt', shards: 8 } as const;

/**
 * The purge driver that cannot lose work (docs/reliability.md states the bound these give). A clearing tombstone
 * marks its conversation pending, due `handoffSeconds` later; the deletion's own event normally purges it well
 * before. The sweeper runs every `everySeconds`, re-drives every pending purge past its due time, and leases it
 * for `leaseSeconds` (the purge function's timeout) so a running purge is not driven twice.
 * `stragglerSeconds`: how long after a clear a copy it covers can still land (a send that took its sequence before
 * the clear and whose invocation was slow, or died before its conversation update): the messages function's
 * timeout (29 s) and a second. Only a purge pass that started this long after the clear may close its debt.
 * `maxPerSweep`: with undo on, every purge starts from the sweeper, so a sweep must keep up with the app's clears: 4,000
 * a minute is ~66 conversations per second (each leased with one conditional write, all in parallel).
 */
export const PURGE_SWEEP = { handoffSeconds: 60, leaseSeconds: 300, everySeconds: 60, stragglerSeconds: 30, maxPerSweep: 4000 } as const;

/**
 * Undo: how long after a deletion's grace period ends its purge may start. A restore is accepted only before the
 * period ends, and its write lands within its function's timeout (29 s); the purge waits this much longer, so it
 * never removes a copy that a restore, accepted in time, made visible again.
 */
export const RESTORE_WRITE_MARGIN_SECONDS = 30;

/** The due time stored on a pending purge: ISO, so that string order is time order in the index. */
export const purgeDueAt = (fromMs: number, afterSeconds: number): string => new Date(fromMs + afterSeconds * 1000).toISOString();

/** Epoch seconds after which DynamoDB TTL removes an item (deletion records, device connections). */
export const TTL_ATTRIBUTE = 'expiresAt';

/** Idempotency table of Powertools' DynamoDB persistence layer (its default attribute names). */
export const IDEMPOTENCY_TABLE_KEYS = { partitionKey: 'id', ttl: 'expiration' } as const;

export type Key = { pk: string; sk: string };

/** Sequences are zero-padded so that string order is number order. */
export const SEQUENCE_WIDTH = 15;
/** Sort key prefix of message copies. */
export const SEQ_PREFIX = 'SEQ#';
export const seqKey = (sequence: number): string => `${SEQ_PREFIX}${String(sequence).padStart(SEQUENCE_WIDTH, '0')}`;
export const seqFromKey = (sk: string): number => Number(sk.slice(SEQ_PREFIX.length));

/** Sort key of the by-time index: ISO time of the last activity, then the ID to break ties. */
export const activityKey = (updatedAt: string, conversationID: string): string => `${updatedAt}#${conversationID}`;

/** The attribute of a timeline counter item (`keys.timeline`) that holds its newest allocated sequence. */
export const TIMELINE_SEQUENCE = 'seq';

/** The pending-purges index partition of a user's conversations (a stable hash of the user ID). */
export const pendingPurgeShard = (userID: string): string => {
  let hash = 0;
  for (const char of userID) hash = (Math.imul(hash, 31) + char.codePointAt(0)!) >>> 0;
  return `PURGE#${hash % PENDING_PURGES_INDEX.shards}`;
};
export const allPendingPurgeShards = (): string[] => Array.from({ length: PENDING_PURGES_INDEX.shards }, (_, i) => `PURGE#${i}`);

export const keys = {
  /** A user's conversation item (or its tombstone, which keeps the clear point). */
  conversation: (userID: string, conversationID: string): Key => ({ pk: `USER#${userID}`, sk: `CONV#${conversationID}` }),
  conversationPartition: (userID: string): string => `USER#${userID}`,
  userOfConversationPartition: (pk: string): string => pk.slice('USER#'.length),
  conversationSortPrefix: 'CONV#',

  /** One user's own copy of one message; one partition per (user, conversation) keeps deletes local. */
  message: (userID: string, conversationID: string, sequence: number): Key => ({
    pk: keys.messagePartition(userID, conversationID),
    sk: seqKey(sequence),
  }),
  messagePartition: (userID: string, conversationID: string): string => `MSG#${userID}#${conversationID}`,

  /** The sequence counter of a timeline: shared by both sides of a C2C chat, by all members of a group, per user for system notices. */
  timeline: (userID: string, ref: ConversationRef): Key => {
    switch (ref.type) {
      case 'C2C': {
        const [a, b] = [userID, ref.peerUserID].sort();
        return { pk: `C2C#${a}#${b}`, sk: 'TIMELINE' };
      }
      case 'GROUP':
        return keys.group(ref.groupID);
      case 'SYSTEM':
        return { pk: `SYSTEM#${userID}`, sk: 'TIMELINE' };
    }
  },

  /** A group's metadata item; it also holds the group's message sequence counter. */
  group: (groupID: string): Key => ({ pk: `GROUP#${groupID}`, sk: 'META' }),
  groupMember: (groupID: string, userID: string): Key => ({ pk: `GROUP#${groupID}`, sk: `MEMBER#${userID}` }),
  groupMemberPrefix: 'MEMBER#',

  /** The app's settings (one item). */
  settings: (): Key => ({ pk: 'APP', sk: 'SETTINGS' }),

  /** Durable record of one deletion request, kept with a TTL; sorted by time for the offline catch-up. */
  deletionRecord: (userID: string, deletedAt: string, deletionID: string): Key => ({
    pk: keys.deletionPartition(userID),
    sk: `${deletedAt}#${deletionID}`,
  }),
  deletionPartition: (userID: string): string => `DELETIONS#${userID}`,
  /**
   * The status of one deletion (or cleared history), found by its ID: what it did, who acted, whether it can still be
   * undone, how far its purge is. Kept as long as the record.
   */
  deletionStatus: (userID: string, deletionID: string): Key => ({ pk: `DELETION#${userID}#${deletionID}`, sk: 'STATUS' }),

  /** A device's WebSocket connection, registered per user. */
  connection: (userID: string, connectionID: string): Key => ({ pk: keys.connectionPartition(userID), sk: `CONN#${connectionID}` }),
  connectionPartition: (userID: string): string => `CONNECTIONS#${userID}`,
  /** Reverse lookup so $disconnect, which only knows the connection ID, finds the owner. */
  connectionOwner: (connectionID: string): Key => ({ pk: `CONNECTION#${connectionID}`, sk: 'OWNER' }),

  /**
   * One user's counter of one rate limit (`deletion`: delete, clear history, restore), a partition of its own so no
   * user's calls heat another's; it holds the counts of the last windows and a TTL, so an idle user's item goes.
   */
  rateLimit: (userID: string, limit: string): Key => ({ pk: `RATE#${userID}`, sk: `LIMIT#${limit}` }),
};

/** How long a deletion record is kept (TTL), and so how far back the offline catch-up reaches. */
export const DELETION_RECORD_RETENTION_DAYS = 35;
