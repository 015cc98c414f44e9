/** Mapping between conversation/message items and the domain's types; the item attributes live here only. */
import type { ConversationRef } from '#contracts/ids.js';
import { activityKey, CONVERSATIONS_BY_TIME_INDEX, keys } from '#contracts/table.js';
import type { Conversation } from '#domain/ports/conversations.js';
import type { Tombstone } from '#domain/ports/deletions.js';
import type { Message } from '#domain/ports/messages.js';

export type ConversationItem = {
  pk: string;
  sk: string;
  conversationID: string;
  type?: Conversation['type'];
  peerUserID?: string;
  groupID?: string;
  lastMessage?: Message;
  unreadCount?: number;
  updatedAt?: string;
  lastSeq?: number;
  [CONVERSATIONS_BY_TIME_INDEX.sortKey]?: string;
  tombstone?: boolean;
  deletedAt?: string;
  deletedSeq?: number;
  clearSeq?: number;
  purgedSeq?: number;
  /** Pending purge (the sparse PENDING_PURGES_INDEX): its index keys and the deletion that asked for it. */
  purgeShard?: string;
  purgeDueAt?: string;
  purgeDeletionID?: string;
  purgeClearedAt?: string;
  /** When the last purge closed (the deletion status shows it). */
  purgedAt?: string;
  /** The last deletion (or cleared history) of this conversation: only it may be undone, until `restorableUntil`. */
  lastDeletionID?: string;
  restorableUntil?: string;
  /** The last deletion undone here: a repeated restore finds its work done. */
  lastRestoredDeletionID?: string;
  /** `undo_<attribute>`: the values an undoable change replaced (UNDO_SAVED), null where there was none. */
  [saved: `undo_${string}`]: unknown;
};

export const isLive = (item: ConversationItem | undefined): boolean => item?.[CONVERSATIONS_BY_TIME_INDEX.sortKey] !== undefined;

export const toConversation = (item: ConversationItem): Conversation => ({
  conversationID: item.conversationID,
  type: item.type!,
  ...(item.peerUserID ? { peerUserID: item.peerUserID } : {}),
  ...(item.groupID ? { groupID: item.groupID } : {}),
  lastMessage: item.lastMessage ? toMessage(item.lastMessage as unknown as Record<string, unknown>) : null,
  unreadCount: item.unreadCount ?? 0,
  updatedAt: item.updatedAt!,
});

/** The attributes SET on a conversation item by a message (creation or update). */
export const conversationFields = (ref: ConversationRef, message: Message): Record<string, unknown> => ({
  conversationID: ref.conversationID,
  type: ref.type,
  ...(ref.type === 'C2C' ? { peerUserID: ref.peerUserID } : {}),
  ...(ref.type === 'GROUP' ? { groupID: ref.groupID } : {}),
  lastMessage: message,
  lastSeq: message.sequence,
  updatedAt: message.createdAt,
  [CONVERSATIONS_BY_TIME_INDEX.sortKey]: activityKey(message.createdAt, ref.conversationID),
});

/** The attributes a tombstone SETs (the live conversation's own attributes are removed, see LIVE_ATTRIBUTES). */
export const tombstoneFields = (t: Tombstone): Record<string, unknown> => ({
  conversationID: t.conversationID,
  tombstone: true,
  deletedAt: t.deletedAt,
  deletedSeq: t.deletedSeq,
  clearSeq: t.clearSeq,
});

/** What only a live conversation carries: a tombstone removes these. */
export const LIVE_ATTRIBUTES = ['type', 'peerUserID', 'groupID', 'lastMessage', 'lastSeq', 'updatedAt', CONVERSATIONS_BY_TIME_INDEX.sortKey, 'unreadCount'] as const;

/**
 * What an undoable change saves, to be put back by a restore: the live conversation, its tombstone marks, its points
 * and its pending purge. Not the undo state of an earlier change: each change saves over the last one's copies, so
 * once a later change is undone, the earlier one cannot be (its restore finds the conversation superseded).
 */
export const UNDO_SAVED = [
  ...LIVE_ATTRIBUTES,
  'tombstone',
  'deletedAt',
  'clearSeq',
  'deletedSeq',
  'purgeShard',
  'purgeDueAt',
  'purgeDeletionID',
  'purgeClearedAt',
] as const;
export type UndoSaved = (typeof UNDO_SAVED)[number];
export const undoCopy = (name: UndoSaved): `undo_${UndoSaved}` => `undo_${name}`;

/** A tombstone as a whole item, for seeding and for measuring a raw floor (the service itself writes it conditionally). */
export const tombstoneItem = (userID: string, t: Tombstone): ConversationItem => ({ ...keys.conversation(userID, t.conversationID), ...(tombstoneFields(t) as Omit<ConversationItem, 'pk' | 'sk'>) });

export const messageItem = (ownerUserID: string, message: Message) => ({
  ...keys.message(ownerUserID, message.conversationID, message.sequence),
  ...message,
});

export const toMessage = (item: Record<string, unknown>): Message => ({
  messageID: item.messageID as string,
  conversationID: item.conversationID as string,
  sequence: item.sequence as number,
  from: item.from as string,
  text: item.text as string,
  createdAt: item.createdAt as string,
});

/** Builds `SET a = :a, ...` from a record, with placeholder names for every attribute. */
export const setClause = (fields: Record<string, unknown>, prefix = 'f') => {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const parts = Object.entries(fields).map(([name, value], i) => {
    names[`#${prefix}${i}`] = name;
    values[`:${prefix}${i}`] = value;
    return `#${prefix}${i} = :${prefix}${i}`;
  });
  return { expression: parts.join(', '), names, values };
};
