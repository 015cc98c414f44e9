/**
 * The small interfaces the use cases work through. Adapters (DynamoDB, EventBridge) implement them;
 * nothing in functions/domain imports an AWS SDK.
 */
import type { ConversationRef, ConversationType } from '#contracts/ids.js';
import type { ConversationsDeletedDetail, PurgeTarget } from '#contracts/events.js';

export type Message = {
  messageID: string;
  conversationID: string;
  sequence: number;
  from: string;
  text: string;
  createdAt: string;
};

export type Conversation = {
  conversationID: string;
  type: ConversationType;
  peerUserID?: string;
  groupID?: string;
  lastMessage: Message;
  unreadCount: number;
  updatedAt: string;
};

export type Page<T> = { items: T[]; nextCursor: string | null };
export type PageRequest = { limit: number; cursor?: string };

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
  purgedSeq: number;
  deletedAt: string;
};

export type ApplyOutcome = 'applied' | 'counted' | 'predates-deletion';

export interface MessageRepository {
  /** Atomically allocates the timeline's next sequence. */
  allocateSequence(ownerUserID: string, ref: ConversationRef): Promise<number>;
  /** Writes every copy or throws. */
  putMessageCopies(copies: { ownerUserID: string; message: Message }[]): Promise<void>;
  /** Creates or updates the owner's conversation item for a new message, unless the message predates a deletion. */
  applyToConversation(input: { ownerUserID: string; ref: ConversationRef; message: Message; unreadIncrement: 0 | 1 }): Promise<ApplyOutcome>;
  /** The owner's copies with sequence > afterSeq, newest first. */
  listMessages(ownerUserID: string, conversationID: string, afterSeq: number, page: PageRequest): Promise<Page<Message>>;
}

export interface ConversationRepository {
  /** Live conversations, newest activity first. */
  listConversations(userID: string, page: PageRequest): Promise<Page<Conversation>>;
  /** The conversation's clear point: the user's copies with sequence <= it are hidden (0: none). */
  getClearPoint(userID: string, conversationID: string): Promise<number>;
}

export interface GroupRepository {
  /** Creates the group and its member list; throws GROUP_EXISTS if the ID is taken. */
  createGroup(input: { groupID: string; createdBy: string; memberList: string[]; createdAt: string }): Promise<void>;
  /** Member user IDs, or undefined when there is no such group. */
  listMembers(groupID: string): Promise<string[] | undefined>;
}

/** What the durable record of a deletion keeps: the event's facts plus each conversation's clear point. */
export type DeletionRecord = Omit<ConversationsDeletedDetail, 'historyPurge'> & { clearPoints: Record<string, number> };

export interface DeletionRepository {
  /** Consistent reads of each conversation's state and its timeline's newest sequence. */
  readStates(userID: string, refs: ConversationRef[]): Promise<Map<string, ConversationState>>;
  /** Newest allocated sequence of each timeline (consistent). */
  readTimelineSequences(userID: string, refs: ConversationRef[]): Promise<Map<string, number>>;
  /** Replaces conversation items with tombstones in parallel batches; returns the ones not written, with why. */
  writeTombstones(userID: string, tombstones: Tombstone[], deadline: number): Promise<Map<string, string>>;
  /**
   * Re-creates a conversation from messages with sequence > deletedSeq (the deletion's own), for a message that
   * raced with the deletion and whose conversation update the tombstone overwrote; never over a newer deletion's
   * tombstone. Returns true if it found messages to restore from.
   */
  restoreRacedConversation(userID: string, ref: ConversationRef, deletedSeq: number): Promise<boolean>;
  putDeletionRecord(record: DeletionRecord): Promise<void>;
}

export type PurgeProgress = {
  /** Message copies deleted in this call. */
  deleted: number;
  /** Every copy with sequence <= afterSeq is confirmed gone (the resume cursor). */
  afterSeq: number;
  done: boolean;
};

export interface HistoryPurger {
  /** Deletes the user's copies in (target.afterSeq, target.clearSeq] until done or the deadline. */
  purgeRange(userID: string, target: PurgeTarget, deadline: number): Promise<PurgeProgress>;
  /** Records that everything up to clearSeq is gone (used to size later purges). */
  markPurged(userID: string, conversationID: string, clearSeq: number): Promise<void>;
}

export type OutgoingEvent = { detailType: string; detail: object };

export interface EventPublisher {
  /** Publishes all events or throws; retries entries EventBridge reports as failed. */
  publish(events: OutgoingEvent[]): Promise<void>;
}

export type Clock = { now: () => Date };
export const systemClock: Clock = { now: () => new Date() };
