/**
 * Clear one conversation's history and keep the conversation (the reference SDK's `clearHistoryMessage`).
 *
 * Primary course:
 * 1. Read the conversation's state and its timeline's newest sequence (consistent), and the undo grace period.
 * 2. Raise the clear point to the timeline's newest sequence in one conditional write: the caller's copies up to it
 *    are hidden from the next read, the conversation stays in the list without a last message, and the write marks
 *    the purge it owes (as a deletion's tombstone does). A message newer than the clear stays the last message.
 * 3. Purge now (a small history inline, else in the background), or, when undoable, once the grace period is over.
 * 4. Record it (for the status, the undo and the offline catch-up) and emit `ConversationHistoryCleared`.
 * Other users' copies and the caller's later messages are never touched. Repeating the request is safe.
 */
import { randomUUID } from 'node:crypto';
import { DETAIL_TYPES, type HistoryClearedDetail, type HistoryPurgeRequestedDetail, type HistoryPurgeState } from '#contracts/events.js';
import type { ConversationRef } from '#contracts/ids.js';
import { AlreadyRestoredError, ConversationNotFoundError } from './errors.js';
import type { Clock } from './ports/clock.js';
import type { Actor, DeletionRepository } from './ports/deletions.js';
import type { EventPublisher, OutgoingEvent } from './ports/events.js';
import type { HistoryPurger } from './ports/history-purge.js';
import type { SettingsReader } from './ports/settings.js';
import { estimatePurgeSize, INLINE_PURGE, purgeHistory } from './purge-history.js';
import { purgeAllowed, purgeStartsAfter, undoWindow } from './undo.js';

export type ClearHistoryDeps = {
  deletions: Pick<DeletionRepository, 'readStates' | 'clearHistory' | 'putDeletionRecord'>;
  purger: Pick<HistoryPurger, 'purgeRange' | 'markPurged'>;
  events: EventPublisher;
  clock: Clock;
  settings: SettingsReader;
};

export type ClearHistoryInput = {
  userID: string;
  conversation: ConversationRef;
  originDeviceID: string | null;
  /** Reused by a retry with the same Idempotency-Key; a new one otherwise. */
  deletionID?: string;
  actor?: Actor;
};

export type ClearHistoryOutcome = {
  conversationID: string;
  deletionID: string;
  clearedAt: string;
  historyPurge: HistoryPurgeState;
  restorableUntil: string | null;
};

export const clearConversationHistory = async (deps: ClearHistoryDeps, input: ClearHistoryInput): Promise<ClearHistoryOutcome> => {
  const now = deps.clock.now();
  const clearedAt = now.toISOString();
  const deletionID = input.deletionID ?? randomUUID();
  const { conversationID } = input.conversation;
  const actor = input.actor ?? { actedBy: input.userID, actedAs: 'user' };

  // 1.
  const [states, settings] = await Promise.all([deps.deletions.readStates(input.userID, [input.conversation]), deps.settings.current()]);
  const state = states.get(conversationID)!;
  // A retry of this clear (same Idempotency-Key) after a restore undid it: not again.
  if (state.lastRestoredDeletionID === deletionID) throw new AlreadyRestoredError(deletionID, null);
  if (!state.live) throw new ConversationNotFoundError(conversationID);
  const undo = undoWindow(now, settings.deletionGracePeriodSeconds);

  // 2. A retry whose first attempt already cleared takes that clear as it is stored (clearing again would hide the
  // messages that arrived since), with the undo period stored with it.
  const earlier = state.lastDeletionID === deletionID;
  const wanted = Math.max(state.clearSeq, state.timelineSeq);
  const write = earlier
    ? ({ status: 'written', clearSeq: state.clearSeq } as const)
    : await deps.deletions.clearHistory(input.userID, {
        conversationID,
        deletionID,
        clearSeq: wanted,
        deletedSeq: state.deletedSeq,
        deletedAt: clearedAt,
        ...(undo ? { restorableUntil: undo.restorableUntil } : {}),
        ...(wanted > state.purgedSeq ? { purgeOwedTo: deletionID } : {}),
      });
  if (write.status === 'restored') throw new AlreadyRestoredError(deletionID, null);
  if (write.status === 'absent') throw new ConversationNotFoundError(conversationID);
  const target = write.clearSeq > state.purgedSeq ? { conversationID, clearSeq: write.clearSeq, afterSeq: state.purgedSeq } : null;
  const restorableUntil = earlier ? state.restorableUntil : (undo?.restorableUntil ?? null);
  // Nothing is purged here while the clear can still be undone: the sweeper starts its purge after the period.
  const undoable = !purgeAllowed(restorableUntil, now);

  // 3.
  let historyPurge: HistoryPurgeState = target ? (undoable ? 'scheduled' : 'pending') : 'complete';
  let messagesPurged = 0;
  const events: OutgoingEvent[] = [];
  if (target && !undoable) {
    let remaining = [target];
    if (estimatePurgeSize([target]) <= INLINE_PURGE.maxItems) {
      // Whatever the inline purge does not finish, the background purge will.
      remaining = await purgeHistory(deps.purger, { userID: input.userID, targets: [target], deadline: Date.now() + INLINE_PURGE.budgetMs, passStartedAt: clearedAt })
        .then((outcome) => ((messagesPurged = outcome.messagesDeleted), outcome.remaining))
        .catch(() => [target]);
    }
    if (remaining.length === 0) historyPurge = 'complete';
    else {
      const request: HistoryPurgeRequestedDetail = {
        deletionID,
        userID: input.userID,
        targets: remaining,
        conversationIDList: [conversationID],
        messagesDeleted: 0,
        attempt: 0,
        requestedAt: clearedAt,
      };
      events.push({ detailType: DETAIL_TYPES.historyPurgeRequested, detail: request });
    }
  }

  // 4.
  const summary = { deletionID, userID: input.userID, conversationIDList: [conversationID], clearHistoryMessage: true as const, deletedAt: clearedAt, originDeviceID: input.originDeviceID };
  const cleared: HistoryClearedDetail = { ...summary, kind: 'historyCleared', historyPurge, ...(actor.actedAs === 'admin' ? { actedBy: actor.actedBy } : {}) };
  events.push({ detailType: DETAIL_TYPES.historyCleared, detail: cleared });
  await Promise.all([
    deps.deletions.putDeletionRecord({
      ...summary,
      ...actor,
      kind: 'historyCleared',
      results: [{ conversationID, status: 'cleared' }],
      restorableUntil,
      purgeScheduledFor: target ? (undoable && restorableUntil ? purgeStartsAfter(restorableUntil) : clearedAt) : null,
      clearPoints: { [conversationID]: write.clearSeq },
      messagesPurged,
    }),
    deps.events.publish(events),
  ]);
  return { conversationID, deletionID, clearedAt, historyPurge, restorableUntil };
};
