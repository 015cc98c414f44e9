/**
 * The shapes of the events' details, as zod schemas: the functions that consume an event validate its detail with
 * these (Powertools parser); every other file uses the types, re-exported by events.ts.
 */
import * as z from 'zod';

/**
 * `pending` when a background purge will physically remove the history now; `scheduled` when it will once the undo
 * grace period has passed; `complete` when it is already gone.
 */
const historyPurgeStateSchema = z.enum(['none', 'complete', 'pending', 'scheduled']);
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
  /** Set when an administrator deleted for the user: the administrator's userID. */
  actedBy: z.string().optional(),
});
export type ConversationsDeletedDetail = z.infer<typeof conversationsDeletedDetailSchema>;

/**
 * What devices learn of a change to a user's conversations, whichever event carries it: `ConversationsDeleted`
 * (`kind` absent), `ConversationHistoryCleared` or `ConversationsRestored`. The push function parses this.
 */
export const deviceChangeDetailSchema = conversationsDeletedDetailSchema.omit({ historyPurge: true, actedBy: true }).extend({
  kind: z.enum(['conversationsDeleted', 'historyCleared', 'conversationsRestored']).default('conversationsDeleted'),
  restoresDeletionID: z.string().optional(),
});
/** As published: `kind` may be absent (a `ConversationsDeleted` detail). */
export type DeviceChangeDetail = z.input<typeof deviceChangeDetailSchema>;

/** Detail of `ConversationHistoryCleared`: one conversation's history cleared, the conversation kept. */
export type HistoryClearedDetail = Omit<ConversationsDeletedDetail, 'clearHistoryMessage'> & { kind: 'historyCleared'; clearHistoryMessage: true };

/** Detail of `ConversationsRestored`: a deletion undone; `deletionID` is the restore's own, `deletedAt` its time. */
export type ConversationsRestoredDetail = Omit<ConversationsDeletedDetail, 'historyPurge' | 'clearHistoryMessage'> & {
  kind: 'conversationsRestored';
  clearHistoryMessage: boolean;
  restoresDeletionID: string;
};

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

