/**
 * What a device learns about deletions made on the user's other devices: the WebSocket message pushed to it,
 * and the catch-up list it reads when it comes back online. Both carry the same notice, so a client handles a
 * pushed deletion and a caught-up one with the same code, and drops a repeat by `deletionID`.
 */
import type { DeviceChangeDetail } from './events.js';

/** One deletion (or cleared history, or restore) as devices see it. */
export type DeletionNotice = {
  /** What happened: conversations deleted, one history cleared (the conversation stays), or a deletion undone. */
  kind: NonNullable<DeviceChangeDetail['kind']>;
  /** Unique per deletion request: a device that receives the same deletion twice (push retry, catch-up overlap) drops the repeat. */
  deletionID: string;
  conversationIDList: string[];
  clearHistoryMessage: boolean;
  deletedAt: string;
  /** The `X-Device-ID` of the device that deleted, or null when it sent none. */
  originDeviceID: string | null;
  /** A restore: the deletion it undid (its conversations are back; reload them). */
  restoresDeletionID?: string;
};

export const PUSH_MESSAGE_TYPES = {
  conversationsDeleted: 'conversation.deleted',
  historyCleared: 'conversation.historyCleared',
  conversationsRestored: 'conversation.restored',
} as const satisfies Record<DeletionNotice['kind'], string>;

/** The WebSocket message sent to the user's other connected devices for each change. */
export type ConversationDeletedMessage = { type: (typeof PUSH_MESSAGE_TYPES)[DeletionNotice['kind']]; data: DeletionNotice };

export const noticeOf = (detail: Pick<DeviceChangeDetail, 'deletionID' | 'conversationIDList' | 'clearHistoryMessage' | 'deletedAt' | 'originDeviceID' | 'restoresDeletionID'> & { kind?: DeviceChangeDetail['kind'] }): DeletionNotice => ({
  kind: detail.kind ?? 'conversationsDeleted',
  deletionID: detail.deletionID,
  conversationIDList: detail.conversationIDList,
  clearHistoryMessage: detail.clearHistoryMessage,
  deletedAt: detail.deletedAt,
  originDeviceID: detail.originDeviceID,
  ...(detail.restoresDeletionID ? { restoresDeletionID: detail.restoresDeletionID } : {}),
});

export const conversationDeletedMessage = (notice: DeletionNotice): ConversationDeletedMessage => ({
  type: PUSH_MESSAGE_TYPES[notice.kind],
  data: notice,
});

/** Answer of `GET /v1/sync/conversation-deletions`. */
export type SyncDeletionsPage = {
  /** false: an administrator has not switched sync on; nothing is listed and `nextCursor` is the cursor sent. */
  syncConversationDeletion: boolean;
  /** Oldest first. */
  deletionList: DeletionNotice[];
  /** Pass as `since` next time; null only when nothing was ever listed and no cursor was sent. */
  nextCursor: string | null;
  /** true: more deletions follow right away; call again with `nextCursor` now. */
  hasMore: boolean;
};
