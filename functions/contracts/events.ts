/**
 * The service's events on EventBridge: source, detail types, detail shapes and the rule patterns.
 * The delete function publishes them, the CDK rules and the local bus route them with these very patterns.
 */

import { z } from 'zod';

export const EVENT_SOURCE = 'conversation-deletion-service';

export const DETAIL_TYPES = {
  conversationsDeleted: 'ConversationsDeleted',
  historyPurgeRequested: 'ConversationHistoryPurgeRequested',
  historyPurged: 'ConversationHistoryPurged',
} as const;

/** `pending` when a background purge will physically remove the history; `complete` when it is already gone. */
const historyPurgeStateSchema = z.enum(['none', 'complete', 'pending']);
export type HistoryPurgeState = z.infer<typeof historyPurgeStateSchema>;

/** Detail of `ConversationsDeleted`: one per successful deletion request; the push function parses it with this. */
export const conversationsDeletedDetailSchema = z.object({
  deletionID: z.string().min(1),
  userID: z.string().min(1),
  conversationIDList: z.array(z.string()),
  clearHistoryMessage: z.boolean(),
  deletedAt: z.string().min(1),
  originDeviceID: z.string().nullable(),
  historyPurge: historyPurgeStateSchema,
});
export type ConversationsDeletedDetail = z.infer<typeof conversationsDeletedDetailSchema>;

const purgeTargetSchema = z.object({
  conversationID: z.string(),
  clearSeq: z.number().int().nonnegative(),
  afterSeq: z.number().int().nonnegative(),
});

/** One conversation's history to purge: every message copy with sequence <= clearSeq and > afterSeq (the cursor). */
export type PurgeTarget = z.infer<typeof purgeTargetSchema>;

/** Detail of `ConversationHistoryPurgeRequested`: work for the background purge; also its continuation. */
export const historyPurgeRequestedDetailSchema = z.object({
  deletionID: z.string(),
  userID: z.string(),
  /** What is left to purge, each with its cursor. */
  targets: z.array(purgeTargetSchema).min(1),
  /** Every conversation of the job, for the final `ConversationHistoryPurged` event. */
  conversationIDList: z.array(z.string()),
  /** Copies deleted by earlier runs of this job. */
  messagesDeleted: z.number().int().nonnegative(),
  /** How many times this job has been continued after running out of time. */
  attempt: z.number().int().nonnegative(),
  requestedAt: z.string(),
});
export type HistoryPurgeRequestedDetail = z.infer<typeof historyPurgeRequestedDetailSchema>;

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
  /** Multi-device push of every deletion. */
  pushDeletion: { source: [EVENT_SOURCE], 'detail-type': [DETAIL_TYPES.conversationsDeleted] },
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
