/**
 * Undo a deletion (or a cleared history) within its grace period: `POST /v1/conversations/restore`.
 *
 * Primary course:
 * 1. Find the caller's deletion by ID; refuse one already restored, or past its grace period (undo off included).
 * 2. Put each of its conversations back as it was, in one conditional write each that holds only while this deletion
 *    is still the last change of the conversation and its grace period has not ended. The purge the deletion owed
 *    has not started (it waits for the grace period's end plus a margin), so the history comes back whole. A message
 *    that arrived since the deletion is kept; a conversation a later deletion changed again stays as that left it.
 * 3. Record the restore (the offline catch-up lists it) and emit `ConversationsRestored`.
 * 4. Mark the deletion restored, once: a second restore answers ALREADY_RESTORED.
 * A crash anywhere: the retry finds the conversations already put back (each remembers the deletion it undid) and
 * finishes; the record and the event carry the restore's own ID, derived from the deletion's, so devices drop repeats.
 */
import pLimit from 'p-limit';
import { DETAIL_TYPES, type ConversationsRestoredDetail } from '#contracts/events.js';
import { deletionIDFor } from './delete-conversations.js';
import { AlreadyRestoredError, DeletionNotFoundError, RestoreExpiredError } from './errors.js';
import type { Clock } from './ports/clock.js';
import type { Actor, DeletionRepository, DeletionStatuses, StoredDeletionStatus } from './ports/deletions.js';
import type { EventPublisher } from './ports/events.js';

/** Conversations put back at once (each a read and a conditional write). */
const RESTORE_CONCURRENCY = 16;

export type RestoreDeps = {
  deletions: Pick<DeletionRepository, 'restoreConversation' | 'putDeletionRecord'>;
  statuses: Pick<DeletionStatuses, 'read' | 'markRestored'>;
  events: EventPublisher;
  clock: Clock;
};

export type RestoreOutcome = {
  deletionID: string;
  restoreID: string;
  restoredAt: string;
  /** The conversations put back, in the deletion's order. */
  conversationIDList: string[];
  /** `superseded`: changed again since (a later deletion or cleared history); left as that change left it. */
  results: { conversationID: string; status: 'restored' | 'superseded' }[];
};

export const restoreDeletion = async (
  deps: RestoreDeps,
  /** `idempotencyKey`: the request's, if it sent one; a retry of the same restore then gets its answer again. */
  input: { userID: string; deletionID: string; originDeviceID: string | null; actor?: Actor; idempotencyKey?: string | null },
): Promise<RestoreOutcome> => {
  const now = deps.clock.now();
  const restoredAt = now.toISOString();

  // 1.
  const status = await deps.statuses.read(input.userID, input.deletionID);
  if (!status) throw new DeletionNotFoundError(input.deletionID);
  if (status.restoredAt) {
    // The same restore again (its answer was lost, and so was the idempotency record that would have replayed it).
    if (input.idempotencyKey && status.restore?.key === input.idempotencyKey) return answerOf(input.deletionID, status);
    throw new AlreadyRestoredError(input.deletionID, status.restoredAt);
  }
  if (!status.restorableUntil || status.restorableUntil <= restoredAt) throw new RestoreExpiredError(input.deletionID, status.restorableUntil);

  // 2. What the deletion changed: the conversations it deleted and those whose history it cleared.
  const changed = status.results.filter((r) => r.status !== 'absent' && r.status !== 'failed' && status.conversationIDList.includes(r.conversationID)).map((r) => r.conversationID);
  const conversationIDs = [...new Set([...changed, ...Object.keys(status.clearPoints)])];
  const limit = pLimit(RESTORE_CONCURRENCY);
  const outcomes = await Promise.all(conversationIDs.map((id) => limit(() => deps.deletions.restoreConversation(input.userID, id, input.deletionID, restoredAt))));
  // The grace period ended while we worked: only what was put back in time stays put back.
  if (outcomes.length > 0 && outcomes.every((o) => o === 'expired')) throw new RestoreExpiredError(input.deletionID, status.restorableUntil);
  const results = conversationIDs.map((conversationID, i) => ({ conversationID, status: outcomes[i] === 'restored' ? ('restored' as const) : ('superseded' as const) }));
  const restored = results.filter((r) => r.status === 'restored').map((r) => r.conversationID);

  // 3.
  const restoreID = deletionIDFor(input.userID, `restore\u0000${input.deletionID}`);
  const actor = input.actor ?? { actedBy: input.userID, actedAs: 'user' };
  if (restored.length > 0) {
    const summary = { deletionID: restoreID, userID: input.userID, conversationIDList: restored, clearHistoryMessage: status.clearHistoryMessage, deletedAt: restoredAt, originDeviceID: input.originDeviceID };
    const detail: ConversationsRestoredDetail = { ...summary, kind: 'conversationsRestored', restoresDeletionID: input.deletionID, ...(actor.actedAs === 'admin' ? { actedBy: actor.actedBy } : {}) };
    await Promise.all([
      deps.deletions.putDeletionRecord({
        ...summary,
        ...actor,
        kind: 'conversationsRestored',
        restoresDeletionID: input.deletionID,
        results,
        restorableUntil: null,
        purgeScheduledFor: null,
        clearPoints: {},
      }),
      deps.events.publish([{ detailType: DETAIL_TYPES.conversationsRestored, detail }]),
    ]);
  }

  // 4.
  if (!(await deps.statuses.markRestored(input.userID, input.deletionID, { restoredAt, restoreID, key: input.idempotencyKey ?? null, results }))) {
    const again = await deps.statuses.read(input.userID, input.deletionID);
    if (again?.restoredAt && input.idempotencyKey && again.restore?.key === input.idempotencyKey) return answerOf(input.deletionID, again);
    throw new AlreadyRestoredError(input.deletionID, again?.restoredAt ?? restoredAt);
  }
  return { deletionID: input.deletionID, restoreID, restoredAt, conversationIDList: restored, results };
};

/** The answer of a restore already made, from what its deletion's status kept. */
const answerOf = (deletionID: string, status: StoredDeletionStatus): RestoreOutcome => {
  const results = status.restore?.results ?? [];
  return {
    deletionID,
    restoreID: status.restoreID!,
    restoredAt: status.restoredAt!,
    conversationIDList: results.filter((r) => r.status === 'restored').map((r) => r.conversationID),
    results,
  };
};
