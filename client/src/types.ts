/** The shapes the service answers (docs/api.md), as the client hands them on. */

export type ConversationType = 'C2C' | 'GROUP' | '@TIM#SYSTEM';

/** A message as the server stores it. */
export type ServerMessage = {
  messageID: string;
  conversationID: string;
  sequence: number;
  from: string;
  text: string;
  createdAt: string;
};

/**
 * A message with the reference SDK's field names (`ID`, `type`, `payload.text`, `time` in seconds, `flow`) beside
 * the server's own.
 */
export type Message = Partial<ServerMessage> & {
  ID: string;
  type: 'TIMTextElem';
  payload: { text: string };
  conversationID: string;
  conversationType: ConversationType;
  to: string;
  from: string;
  flow: 'in' | 'out';
  time: number;
  status: 'unSend' | 'success' | 'fail';
};

/** A conversation as the server answers it (GET /v1/conversations). */
export type ServerConversation = {
  conversationID: string;
  type: 'C2C' | 'GROUP' | 'SYSTEM';
  peerUserID?: string;
  groupID?: string;
  /** null once the history was cleared and no message came since. */
  lastMessage: ServerMessage | null;
  unreadCount: number;
  updatedAt: string;
};

/** The server's conversation with the reference SDK's names added: `type` in its values, and on `lastMessage` its fields. */
export type Conversation = Omit<ServerConversation, 'type' | 'lastMessage'> & {
  type: ConversationType;
  lastMessage:
    | (ServerMessage & { messageForShow: string; lastTime: number; fromAccount: string; type: 'TIMTextElem'; payload: { text: string } })
    | null;
};

export type ConversationResult =
  | { conversationID: string; status: 'deleted' | 'absent' }
  | { conversationID: string; status: 'failed'; reason: string };

export type DeletionFields = {
  results: ConversationResult[];
  historyPurge: 'none' | 'pending' | 'scheduled' | 'complete';
  deletedAt: string;
  deletionID: string;
  /** Until when `restoreConversation(deletionID)` can undo it; null when undo is off. */
  restorableUntil?: string | null;
};

/** `deleteConversation`'s `imResponse.data`: `conversationID` for the string form, `conversationIDList` for the object form. */
export type DeletionResult = ({ conversationID: string; conversationIDList?: never } | { conversationIDList: string[]; conversationID?: never }) & DeletionFields;

export type ClearHistoryResult = {
  conversationID: string;
  deletionID: string;
  clearedAt: string;
  historyPurge: 'none' | 'pending' | 'scheduled' | 'complete';
  restorableUntil: string | null;
};

export type RestoreResult = {
  deletionID: string;
  restoreID: string;
  restoredAt: string;
  conversationIDList: string[];
  results: { conversationID: string; status: 'restored' | 'superseded' }[];
};

export type Deletion = {
  deletionID: string;
  kind: 'conversationsDeleted' | 'historyCleared' | 'conversationsRestored';
  userID: string;
  actedBy: string;
  actedAs: 'user' | 'admin';
  deletedAt: string;
  clearHistoryMessage: boolean;
  conversationIDList: string[];
  results: { conversationID: string; status: string }[];
  /** `cancelled`: restored before its purge, the history stays. */
  historyPurge: { state: 'none' | 'cancelled' | 'scheduled' | 'running' | 'complete'; scheduledFor?: string; messagesPurged?: number; completedAt?: string };
  restorableUntil: string | null;
  restoredAt: string | null;
  /** The restore that undid it. */
  restoreID: string | null;
  /** A restore: the deletion it undid. */
  restoresDeletionID?: string;
};

/** What a device learns of a change made elsewhere: the push's `data`, and each entry of the catch-up feed. */
export type DeletionNotice = {
  /** Absent in entries written before kinds existed: those are deletions. */
  kind?: 'conversationsDeleted' | 'historyCleared' | 'conversationsRestored';
  deletionID: string;
  conversationIDList: string[];
  clearHistoryMessage: boolean;
  deletedAt: string;
  originDeviceID: string | null;
  restoresDeletionID?: string;
};

/** `CONVERSATION_DELETED`/`CONVERSATION_RESTORED`/`CONVERSATION_HISTORY_CLEARED`'s `event.data`. */
export type NoticeEvent = DeletionNotice & { source: 'push' | 'catchUp' };

export type AppSettings = {
  syncConversationDeletion: boolean;
  deletionGracePeriodSeconds?: number;
  updatedAt: string | null;
  updatedBy: string | null;
  appliesWithinSeconds: number;
};

/** `getUserDeletions`'s options: from `since` (an ISO 8601 UTC time, inclusive) or on from `cursor`; `limit` 1-100. */
export type AuditQuery = { since?: string; cursor?: string; limit?: number };
