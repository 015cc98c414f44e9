/** Deleting conversations: their state before, the tombstones that replace them, the durable record. */
import type { ConversationsDeletedDetail } from '#contracts/events.js';
import type { ConversationRef } from '#contracts/ids.js';

/** What the store knows of one of a user's conversations before a deletion. */
export type ConversationState = {
  /** The conversation is in the user's list (not absent, not a tombstone). */
  live: boolean;
  /** Messages with sequence <= clearSeq are hidden for this user (0: none). */
  clearSeq: number;
  /** Messages with sequence <= deletedSeq predate the last deletion and may not re-create it. */
  deletedSeq: number;
  /** Message copies with sequence <= purgedSeq are physically gone. */
  purgedSeq: number;
  /** The timeline's newest allocated sequence (0: no message ever). */
  timelineSeq: number;
  /** The last deletion (or cleared history) that changed the conversation; null: none recorded. */
  lastDeletionID: string | null;
  /**
   * Whether the conversation was in the list before that change, as its undo save recorded it; null: nothing saved
   * (undo was off). A retried deletion reads its own earlier attempt's work through these two.
   */
  liveBeforeLastChange: boolean | null;
  /** Until when that change can be undone, as stored with it; null: it cannot (undo was off). */
  restorableUntil: string | null;
  /** The last change a restore undid on this conversation; null: none. */
  lastRestoredDeletionID: string | null;
};

/** What a deletion leaves in place of a conversation: hidden from the list, remembering its clear point. */
export type Tombstone = {
  conversationID: string;
  deletedSeq: number;
  clearSeq: number;
  deletedAt: string;
  /** The deletion that writes it: the conversation remembers its last deletion, which alone may undo it. */
  deletionID: string;
  /**
   * Set when the deletion can be undone until then: the tombstone keeps a copy of what it replaces (to put back),
   * and the purge it owes waits until this time has passed (plus RESTORE_WRITE_MARGIN_SECONDS).
   */
  restorableUntil?: string;
  /**
   * Set when copies up to `clearSeq` may still be stored: the deletion (by ID) whose purge is owed. The tombstone
   * then also marks the conversation as pending a purge, in the same write, so no crash can lose that work.
   */
  purgeOwedTo?: string;
};

/**
 * How a tombstone write ended. Points only move forward: when another deletion got there with a higher clear or
 * deletion point, the written tombstone keeps the higher one, and these are the values stored. `restored`: this very
 * change was undone on the conversation meanwhile (a retry must not do it again).
 */
export type TombstoneWrite = { status: 'written'; clearSeq: number; deletedSeq: number } | { status: 'failed'; reason: string } | { status: 'restored' };

/** How clearing one conversation's history ended: `absent` when it is not in the user's list. */
export type HistoryClearWrite = { status: 'written'; clearSeq: number } | { status: 'absent' } | { status: 'restored' };

/** What a change to a user's conversations is, as devices and the audit see it. */
export type DeletionKind = 'conversationsDeleted' | 'historyCleared' | 'conversationsRestored';

/** Who made a change: the user, or an administrator acting for the user. */
export type Actor = { actedBy: string; actedAs: 'user' | 'admin' };

/**
 * What the durable record of a change keeps: the event's facts plus each conversation's clear point. A deletion or a
 * cleared history also gets a status found by its ID (DeletionStatus); a restore is recorded so that offline devices
 * catch up on it, and marks the deletion it undid.
 */
export type DeletionRecord = Omit<ConversationsDeletedDetail, 'historyPurge'> &
  Actor & {
    kind: DeletionKind;
    clearPoints: Record<string, number>;
    /** Per requested conversation, as answered. */
    results: { conversationID: string; status: string }[];
    /** Until when a restore is accepted; null: undo was off, or this is a restore. */
    restorableUntil: string | null;
    /** When the purge owed may start (the grace period's end plus the margin, or the hand-off); null: nothing owed. */
    purgeScheduledFor: string | null;
    /** A restore: the deletion it undid. */
    restoresDeletionID?: string;
    /** Copies purged before the record was written (an inline purge); later purges add to the status's count. */
    messagesPurged?: number;
  };

/** A deletion's status as stored: its record, how many copies its purges removed so far, and its restore. */
export type StoredDeletionStatus = Omit<DeletionRecord, 'restoresDeletionID' | 'messagesPurged'> & {
  messagesPurged: number;
  restoredAt: string | null;
  restoreID: string | null;
  /** The restore's answer, kept so that a retry of that very restore (same Idempotency-Key) gets it again. */
  restore: { key: string | null; results: { conversationID: string; status: 'restored' | 'superseded' }[] } | null;
};

/** How undoing one conversation of a deletion ended. */
export type ConversationRestore = 'restored' | 'superseded' | 'expired';

export interface DeletionRepository {
  /** Consistent reads of each conversation's state and its timeline's newest sequence. */
  readStates(userID: string, refs: ConversationRef[]): Promise<Map<string, ConversationState>>;
  /** Newest allocated sequence of each timeline (consistent). */
  readTimelineSequences(userID: string, refs: ConversationRef[]): Promise<Map<string, number>>;
  /**
   * Replaces conversation items with tombstones, in parallel, never moving a stored clear or deletion point back;
   * returns how each write ended, by conversation ID. Retries throttling until the deadline.
   */
  writeTombstones(userID: string, tombstones: Tombstone[], deadline: number): Promise<Map<string, TombstoneWrite>>;
  /**
   * Re-creates a conversation from messages with sequence > deletedSeq (the deletion's own), for a message that
   * raced with the deletion and whose conversation update the tombstone overwrote; never over a newer deletion's
   * tombstone. Returns true if it found messages to restore from.
   */
  restoreRacedConversation(userID: string, ref: ConversationRef, deletedSeq: number): Promise<boolean>;
  /** Writes the record (the catch-up log's entry, and for a deletion or a cleared history its status by ID). */
  putDeletionRecord(record: DeletionRecord): Promise<void>;
  /**
   * Clears a live conversation's history up to `clearSeq` and keeps it in the list without a last message (unless a
   * newer message arrived meanwhile); the clear point never moves back. Saves what it changes when undoable.
   */
  clearHistory(userID: string, change: Tombstone): Promise<HistoryClearWrite>;
  /**
   * Puts one conversation back as it was before `deletionID` changed it, if that deletion is still the last to have
   * changed it and `now` is before its grace period's end; a message that arrived since is kept.
   */
  restoreConversation(userID: string, conversationID: string, deletionID: string, now: string): Promise<ConversationRestore>;
  /** How many of the user's copies of a conversation are stored with a sequence in (afterSeq, upToSeq]. */
  countCopies(userID: string, conversationID: string, afterSeq: number, upToSeq: number): Promise<number>;
}

/** A conversation's purge progress: copies up to `purgedSeq` are gone, the last purge closed at `purgedAt`. */
export type PurgeProgressMark = { purgedSeq: number; purgedAt: string | null };

/** Deletions found by ID: their status, their restore, and for the audit, a user's deletions in time order. */
export interface DeletionStatuses {
  /** The status of one of the user's deletions; null when the user has no deletion with this ID. */
  read(userID: string, deletionID: string): Promise<StoredDeletionStatus | null>;
  /** Marks the deletion restored, once; false when it already was. */
  markRestored(
    userID: string,
    deletionID: string,
    restore: { restoredAt: string; restoreID: string; key: string | null; results: { conversationID: string; status: 'restored' | 'superseded' }[] },
  ): Promise<boolean>;
  /** Each conversation's purge progress (consistent). */
  readPurgeProgress(userID: string, conversationIDs: readonly string[]): Promise<Map<string, PurgeProgressMark>>;
  /**
   * The user's records (deletions, cleared histories, restores) at or after `from` (a time, ISO) or after `cursor`,
   * oldest first, each deletion with its status.
   */
  listForUser(
    userID: string,
    from: { since: string | null; cursor: string | null },
    limit: number,
  ): Promise<{ entries: (DeletionRecord & { status: StoredDeletionStatus | null })[]; nextCursor: string | null }>;
}
