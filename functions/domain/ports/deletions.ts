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
};

/** What a deletion leaves in place of a conversation: hidden from the list, remembering its clear point. */
export type Tombstone = {
  conversationID: string;
  deletedSeq: number;
  clearSeq: number;
  deletedAt: string;
  /**
   * Set when copies up to `clearSeq` may still be stored: the deletion (by ID) whose purge is owed. The tombstone
   * then also marks the conversation as pending a purge, in the same write, so no crash can lose that work.
   */
  purgeOwedTo?: string;
};

/**
 * How a tombstone write ended. Points only move forward: when another deletion got there with a higher clear or
 * deletion point, the written tombstone keeps the higher one, and these are the values stored.
 */
export type TombstoneWrite = { status: 'written'; clearSeq: number; deletedSeq: number } | { status: 'failed'; reason: string };

/** What the durable record of a deletion keeps: the event's facts plus each conversation's clear point. */
export type DeletionRecord = Omit<ConversationsDeletedDetail, 'historyPurge'> & { clearPoints: Record<string, number> };

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
  putDeletionRecord(record: DeletionRecord): Promise<void>;
  /** How many of the user's copies of a conversation are stored with a sequence in (afterSeq, upToSeq]. */
  countCopies(userID: string, conversationID: string, afterSeq: number, upToSeq: number): Promise<number>;
}
