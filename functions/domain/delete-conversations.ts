/**
 * The product: delete some of a user's conversations, optionally clearing that user's history.
 *
 * Primary course:
 * 1. Read each conversation's state and its timeline's newest sequence (one consistent batch read).
 * 2. Replace each conversation with a tombstone holding the clear point (parallel BatchWriteItem). The clear
 *    point hides the cleared history from the very next read, whatever its size.
 * 3. Re-read the timelines: a message that raced with the deletion and whose conversation update the
 *    tombstone overwrote gets its conversation restored (a message after the deletion is never lost).
 * 4. Purge small histories of a few conversations inline within a time budget; hand the rest to the
 *    background purge.
 * 5. Keep a durable record of the deletion and emit the events.
 * 3, 4 and 5 run side by side once the tombstones are durable: the answer waits for three round trips (read,
 * tombstones, then the slowest of race check, record and events), not four. Events go out with the record, not
 * after it: a device that misses the event converges from the record once it lands, and a record that fails
 * fails the request, which the client repeats. Only an inline purge makes the events wait, because they say
 * whether the history is already gone.
 * If some conversation could not be written after every retry, nothing is claimed for it and the call
 * fails with DeletionIncompleteError; repeating it is safe and finishes the job.
 */
import { createHash, randomUUID } from 'node:crypto';
import {
  DETAIL_TYPES,
  type ConversationsDeletedDetail,
  type HistoryPurgeRequestedDetail,
  type HistoryPurgeState,
  type PurgeTarget,
} from '#contracts/events.js';
import type { ConversationRef } from '#contracts/ids.js';
import { AlreadyRestoredError, DeletionIncompleteError } from './errors.js';
import type { Clock } from './ports/clock.js';
import type { Actor, ConversationState, DeletionRepository, Tombstone } from './ports/deletions.js';
import type { SettingsReader } from './ports/settings.js';
import { purgeStartsAfter, undoWindow } from './undo.js';
import type { EventPublisher, OutgoingEvent } from './ports/events.js';
import type { HistoryPurger } from './ports/history-purge.js';
import { estimatePurgeSize, INLINE_PURGE, purgeHistory } from './purge-history.js';

export type DeletionOptions = {
  /** How long batch writes may keep retrying throttled items. @default 5000 */
  writeBudgetMs?: number;
  /** Largest history (in message copies, estimated) purged before answering. @default 500 */
  inlinePurgeMaxItems?: number;
  /** Most conversations purged inline (each costs a few round trips); more go to the background. @default 4 */
  inlinePurgeMaxConversations?: number;
  /** Time the inline purge may take before the rest is handed to the background. @default 400 */
  inlinePurgeBudgetMs?: number;
};

export type DeletionDeps = {
  deletions: DeletionRepository;
  purger: Pick<HistoryPurger, 'purgeRange' | 'markPurged'>;
  events: EventPublisher;
  clock: Clock;
  /** The undo grace period is an app setting. */
  settings: SettingsReader;
  options?: DeletionOptions;
  /** Observability hooks (metrics); optional so the use case stays testable without them. */
  observe?: (name: 'raceRepaired' | 'purgeDeferred' | 'purgedInline', count: number) => void;
};

export type DeleteConversationsInput = {
  userID: string;
  /** Parsed and de-duplicated, in request order. */
  conversations: ConversationRef[];
  clearHistoryMessage: boolean;
  originDeviceID: string | null;
  /** The deletion's ID when a retry must reuse it ({@link deletionIDFor}); a new one otherwise. */
  deletionID?: string;
  /** Who asks: the user, or an administrator acting for the user. @default the user */
  actor?: Actor;
};

/**
 * The ID of the deletion an Idempotency-Key names, the same on every retry: a retry after a failure (whose record or
 * events may already be out) announces the same deletion again, which devices drop as a repeat.
 */
export const deletionIDFor = (userID: string, idempotencyKey: string): string => {
  const hex = createHash('sha256').update(`${userID}\u0000${idempotencyKey}`).digest('hex');
  // UUID layout, version 8 (custom), RFC 9562 variant: the same shape as the random IDs.
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
};

export type ConversationResult =
  | { conversationID: string; status: 'deleted' | 'absent' }
  | { conversationID: string; status: 'failed'; reason: string };

export type DeleteConversationsOutcome = {
  deletionID: string;
  deletedAt: string;
  /** Every requested ID that is now gone (deleted or absent), request order. */
  conversationIDList: string[];
  results: ConversationResult[];
  historyPurge: HistoryPurgeState;
  /** Until when `POST /v1/conversations/restore` can undo it; null when undo is off (or nothing was deleted). */
  restorableUntil: string | null;
};

export const deleteConversations = async (deps: DeletionDeps, input: DeleteConversationsInput): Promise<DeleteConversationsOutcome> => {
  const { writeBudgetMs = 5000, inlinePurgeMaxItems = INLINE_PURGE.maxItems, inlinePurgeMaxConversations = 4, inlinePurgeBudgetMs = INLINE_PURGE.budgetMs } = deps.options ?? {};
  const refs = input.conversations;
  const now = deps.clock.now();
  const deletedAt = now.toISOString();
  const deletionID = input.deletionID ?? randomUUID();
  const actor = input.actor ?? { actedBy: input.userID, actedAs: 'user' };

  // 1. Where each conversation stands, and how long the deletion can be undone.
  const [states, settings] = await Promise.all([deps.deletions.readStates(input.userID, refs), deps.settings.current()]);
  const undo = undoWindow(now, settings.deletionGracePeriodSeconds);

  // A retry of this deletion (same Idempotency-Key, so same deletionID) after a restore undid it: not again.
  if ([...states.values()].some((state) => state.lastRestoredDeletionID === deletionID)) throw new AlreadyRestoredError(deletionID, null);

  // 2. Tombstones: for live conversations, and for absent ones whose history must still be cleared. A retry of this
  // deletion (its first attempt failed after some writes) finds the tombstones that attempt wrote: it writes them
  // not again (that would take in messages that raced with the first write), and takes them as written, with the
  // points and undo period stored with them, so that its answer and record cover those conversations too.
  const ownEarlierWrite = (state: ConversationState) => !state.live && state.lastDeletionID === deletionID;
  const tombstones: Tombstone[] = [];
  const earlier: Tombstone[] = [];
  for (const ref of refs) {
    const state = states.get(ref.conversationID)!;
    if (ownEarlierWrite(state)) {
      earlier.push({
        conversationID: ref.conversationID,
        deletionID,
        deletedSeq: state.deletedSeq,
        clearSeq: state.clearSeq,
        deletedAt,
        ...(state.restorableUntil ? { restorableUntil: state.restorableUntil } : {}),
      });
      continue;
    }
    const needsClear = input.clearHistoryMessage && state.timelineSeq > state.clearSeq;
    if (!state.live && !needsClear) continue;
    const clearSeq = input.clearHistoryMessage ? Math.max(state.clearSeq, state.timelineSeq) : state.clearSeq;
    tombstones.push({
      conversationID: ref.conversationID,
      deletionID,
      deletedSeq: Math.max(state.deletedSeq, state.timelineSeq),
      clearSeq,
      deletedAt,
      ...(undo ? { restorableUntil: undo.restorableUntil } : {}),
      // Copies up to the clear point may still be stored: the tombstone itself records the purge owed.
      ...(input.clearHistoryMessage && clearSeq > state.purgedSeq ? { purgeOwedTo: deletionID } : {}),
    });
  }
  const writes = await deps.deletions.writeTombstones(input.userID, tombstones, Date.now() + writeBudgetMs);
  // A restore of this deletion landed between the read above and the write: not again.
  if ([...writes.values()].some((write) => write.status === 'restored')) throw new AlreadyRestoredError(deletionID, null);
  // As stored: another deletion of the same conversation at the same moment may have left higher points.
  const written = [
    ...earlier,
    ...tombstones.flatMap((t) => {
      const write = writes.get(t.conversationID);
      return write?.status === 'written' ? [{ ...t, clearSeq: write.clearSeq, deletedSeq: write.deletedSeq }] : [];
    }),
  ];
  const failures = new Map([...writes].flatMap(([id, write]) => (write.status === 'failed' ? [[id, write.reason] as const] : [])));
  // What can still be undone, as each tombstone stores it (an earlier attempt's keeps its own period): the earliest
  // end, and none when one of them cannot be undone (undo was off when it was written).
  const untils = written.map((t) => t.restorableUntil ?? null);
  const restorableUntil = written.length === 0 || untils.includes(null) ? null : (untils as string[]).sort()[0]!;
  // Nothing is purged inline while undo is on, or while any of these conversations can still be undone by this
  // deletion or by an earlier change this request did not replace (as stored with it): their purge waits for the
  // sweeper, after the latest period's end.
  const writtenByID = new Map(written.map((t) => [t.conversationID, t]));
  const untouched = refs.filter((r) => !writtenByID.has(r.conversationID)).map((r) => states.get(r.conversationID)!.restorableUntil);
  const periods = [undo?.restorableUntil ?? null, ...untils, ...untouched].filter((until): until is string => until !== null && until > deletedAt);
  const undoable = periods.length > 0;

  const results: ConversationResult[] = refs.map((ref) => {
    const reason = failures.get(ref.conversationID);
    if (reason) return { conversationID: ref.conversationID, status: 'failed', reason };
    const state = states.get(ref.conversationID)!;
    // An earlier attempt's tombstone: live before it, as its undo save says (nothing saved: not known, so absent).
    const wasLive = ownEarlierWrite(state) ? state.liveBeforeLastChange === true : state.live;
    return { conversationID: ref.conversationID, status: wasLive ? 'deleted' : 'absent' };
  });
  const gone = results.filter((r) => r.status !== 'failed').map((r) => r.conversationID);
  const summary = {
    deletionID,
    userID: input.userID,
    conversationIDList: gone,
    clearHistoryMessage: input.clearHistoryMessage,
    deletedAt,
    originDeviceID: input.originDeviceID,
    ...(actor.actedAs === 'admin' ? { actedBy: actor.actedBy } : {}),
  };

  // What the history purge has to do: every conversation now gone whose clear point is above what is known purged,
  // not only those this request wrote (a repeat after a failure mid-way finds the tombstone there and must still purge).
  const targets: PurgeTarget[] = !input.clearHistoryMessage
    ? []
    : gone.flatMap((conversationID) => {
        const state = states.get(conversationID)!;
        const clearSeq = writtenByID.get(conversationID)?.clearSeq ?? state.clearSeq;
        return clearSeq > state.purgedSeq ? [{ conversationID, clearSeq, afterSeq: state.purgedSeq }] : [];
      });
  // An undoable deletion purges nothing before its grace period ends: the sweeper starts its purge then.
  const purgeInline = !undoable && targets.length > 0 && targets.length <= inlinePurgeMaxConversations && estimatePurgeSize(targets) <= inlinePurgeMaxItems;
  // The last of its conversations' purges starts once the latest of those periods is over.
  const purgeScheduledFor = targets.length === 0 ? null : undoable ? purgeStartsAfter(periods.sort().at(-1)!) : deletedAt;

  // 3-5 touch disjoint items (copies above the deletion point, copies at or below the clear point, the record, the
  // bus), so they run side by side: the response pays for the slowest, not the sum.
  const byID = new Map(refs.map((r) => [r.conversationID, r]));
  const restoreRaced = async () => {
    // 3. Messages that raced with the tombstone write.
    if (written.length === 0) return;
    const latest = await deps.deletions.readTimelineSequences(input.userID, written.map((t) => byID.get(t.conversationID)!));
    const raced = written.filter((t) => (latest.get(t.conversationID) ?? 0) > t.deletedSeq);
    const restored = await Promise.all(raced.map((t) => deps.deletions.restoreRacedConversation(input.userID, byID.get(t.conversationID)!, t.deletedSeq)));
    const repairedCount = restored.filter(Boolean).length;
    if (repairedCount > 0) deps.observe?.('raceRepaired', repairedCount);
  };
  // 4. Purge small histories inline; the clear point already hides the history either way.
  const purgeSmallHistories = async (): Promise<{ remaining: PurgeTarget[]; purged: number }> => {
    if (undoable) return { remaining: [], purged: 0 };
    if (!purgeInline) return { remaining: targets, purged: 0 };
    try {
      const inline = await purgeHistory(deps.purger, { userID: input.userID, targets, deadline: Date.now() + inlinePurgeBudgetMs, passStartedAt: deletedAt });
      deps.observe?.('purgedInline', inline.messagesDeleted);
      return { remaining: inline.remaining, purged: inline.messagesDeleted };
    } catch {
      // Whatever the inline purge did not finish, the background purge will.
      return { remaining: targets, purged: 0 };
    }
  };
  const inlinePurge = purgeSmallHistories();
  // 5. The durable record, from which a device that misses the event converges. It waits for an inline purge only
  // (a few round trips at most), so that its status counts the copies that purge removed.
  const recordDeletion = async () => {
    if (gone.length === 0) return;
    const { purged } = purgeInline ? await inlinePurge : { purged: 0 };
    await deps.deletions.putDeletionRecord({
      ...summary,
      ...actor,
      kind: 'conversationsDeleted',
      results,
      restorableUntil,
      purgeScheduledFor,
      clearPoints: Object.fromEntries(written.map((t) => [t.conversationID, t.clearSeq])),
      messagesPurged: purged,
    });
  };
  // 5. The events, once it is known what is left for the background purge.
  const announce = async (): Promise<HistoryPurgeState> => {
    const deferred = (await inlinePurge).remaining;
    const historyPurge: HistoryPurgeState = !input.clearHistoryMessage
      ? 'none'
      : undoable && targets.length > 0
        ? 'scheduled'
        : deferred.length > 0
          ? 'pending'
          : 'complete';
    const events: OutgoingEvent[] = [];
    if (gone.length > 0) {
      const deleted: ConversationsDeletedDetail = { ...summary, historyPurge };
      events.push({ detailType: DETAIL_TYPES.conversationsDeleted, detail: deleted });
    }
    if (deferred.length > 0) {
      deps.observe?.('purgeDeferred', deferred.length);
      const purgeRequest: HistoryPurgeRequestedDetail = {
        deletionID,
        userID: input.userID,
        targets: deferred,
        conversationIDList: deferred.map((t) => t.conversationID),
        messagesDeleted: 0,
        attempt: 0,
        requestedAt: deletedAt,
      };
      events.push({ detailType: DETAIL_TYPES.historyPurgeRequested, detail: purgeRequest });
    }
    if (events.length > 0) await deps.events.publish(events);
    return historyPurge;
  };
  // Settled, not raced: nothing of this request may still be running once it has answered.
  const [announced, ...others] = await Promise.allSettled([announce(), restoreRaced(), recordDeletion()]);
  for (const step of [announced, ...others]) if (step.status === 'rejected') throw step.reason;
  const historyPurge = (announced as PromiseFulfilledResult<HistoryPurgeState>).value;

  const outcome: DeleteConversationsOutcome = { deletionID, deletedAt, conversationIDList: gone, results, historyPurge, restorableUntil };
  if (failures.size > 0) throw new DeletionIncompleteError(outcome);
  return outcome;
};
