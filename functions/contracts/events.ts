/**
 * The service's events on EventBridge: source, detail types, detail shapes and the rule patterns.
 * The delete function publishes them, the CDK rules and the local bus route them with these very patterns.
 * The detail shapes are zod schemas in event-schemas.ts (the consuming functions parse with them); this file is
 * plain data, so a function that only publishes carries no schema library.
 */

export const EVENT_SOURCE = 'conversation-deletion-service';

export const DETAIL_TYPES = {
  conversationsDeleted: 'ConversationsDeleted',
  historyPurgeRequested: 'ConversationHistoryPurgeRequested',
  historyPurged: 'ConversationHistoryPurged',
  historyCleared: 'ConversationHistoryCleared',
  conversationsRestored: 'ConversationsRestored',
} as const;

export type {
  ConversationsDeletedDetail,
  ConversationsRestoredDetail,
  DeviceChangeDetail,
  HistoryClearedDetail,
  HistoryPurgeRequestedDetail,
  HistoryPurgeState,
  PurgeTarget,
} from './event-schemas.js';

/** Detail of `ConversationHistoryPurged`: the history is physically gone. */
export type HistoryPurgedDetail = {
  deletionID: string;
  userID: string;
  conversationIDList: string[];
  messagesDeleted: number;
  durationMs: number;
  purgedAt: string;
};

/** The subset of EventBridge's pattern language used here: exact values per field. */
export type EventPattern = {
  source: string[];
  'detail-type': string[];
  detail?: Record<string, unknown[]>;
};

export const RULE_PATTERNS = {
  /** Background purge: requested by a deletion too large to purge inline, and by its own continuations. */
  purgeHistory: { source: [EVENT_SOURCE], 'detail-type': [DETAIL_TYPES.historyPurgeRequested] },
  /** Multi-device push of every deletion, cleared history and restore. */
  pushDeletion: { source: [EVENT_SOURCE], 'detail-type': [DETAIL_TYPES.conversationsDeleted, DETAIL_TYPES.historyCleared, DETAIL_TYPES.conversationsRestored] },
} satisfies Record<string, EventPattern>;

/** Evaluates the pattern subset above against an event; used by the local bus. */
export const matchesPattern = (
  pattern: EventPattern,
  event: { source: string; 'detail-type': string; detail: Record<string, unknown> },
): boolean => {
  if (!pattern.source.includes(event.source)) return false;
  if (!pattern['detail-type'].includes(event['detail-type'])) return false;
  for (const [field, allowed] of Object.entries(pattern.detail ?? {})) {
    if (!allowed.includes(event.detail[field])) return false;
  }
  return true;
};
