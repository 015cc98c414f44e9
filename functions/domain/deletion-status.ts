/**
 * A deletion's status (`GET /v1/deletions/{deletionID}`) and a user's deletions for the admin audit: what was asked,
 * by whom, what each conversation came to, whether it can still be undone, and how far its history purge is.
 * The purge's state is read from the conversations themselves (what is purged up to which point), not from a
 * counter that a lost event could leave behind: `complete` means every cleared copy is physically gone.
 */
import type { Clock } from './ports/clock.js';
import type { DeletionKind, DeletionStatuses, StoredDeletionStatus } from './ports/deletions.js';
import { DeletionNotFoundError } from './errors.js';

export type HistoryPurgeStatus =
  | { state: 'none' }
  | { state: 'cancelled' }
  | { state: 'scheduled'; scheduledFor: string }
  | { state: 'running'; scheduledFor: string; messagesPurged: number }
  | { state: 'complete'; completedAt: string; messagesPurged: number };

export type DeletionStatusView = {
  deletionID: string;
  kind: DeletionKind;
  userID: string;
  actedBy: string;
  actedAs: 'user' | 'admin';
  deletedAt: string;
  clearHistoryMessage: boolean;
  conversationIDList: string[];
  results: { conversationID: string; status: string }[];
  historyPurge: HistoryPurgeStatus;
  restorableUntil: string | null;
  restoredAt: string | null;
  restoreID: string | null;
  /** A restore: the deletion it undid. */
  restoresDeletionID?: string;
};

type StatusDeps = { statuses: Pick<DeletionStatuses, 'readPurgeProgress'>; clock: Clock };

const purgeStatus = async (deps: StatusDeps, status: StoredDeletionStatus): Promise<HistoryPurgeStatus> => {
  const owed = Object.entries(status.clearPoints);
  if (owed.length === 0 || !status.clearHistoryMessage) return { state: 'none' };
  const progress = await deps.statuses.readPurgeProgress(status.userID, owed.map(([id]) => id));
  const done = owed.every(([id, clearSeq]) => (progress.get(id)?.purgedSeq ?? 0) >= clearSeq);
  if (done) {
    const completedAt = owed.map(([id]) => progress.get(id)?.purgedAt ?? status.deletedAt).sort().at(-1)!;
    return { state: 'complete', completedAt, messagesPurged: status.messagesPurged };
  }
  // Undone before its purge: what it cleared is visible again and will not be purged for it.
  if (status.restoredAt) return { state: 'cancelled' };
  const scheduledFor = status.purgeScheduledFor ?? status.deletedAt;
  if (deps.clock.now().toISOString() < scheduledFor) return { state: 'scheduled', scheduledFor };
  return { state: 'running', scheduledFor, messagesPurged: status.messagesPurged };
};

const view = async (deps: StatusDeps, status: StoredDeletionStatus): Promise<DeletionStatusView> => ({
  deletionID: status.deletionID,
  kind: status.kind,
  userID: status.userID,
  actedBy: status.actedBy,
  actedAs: status.actedAs,
  deletedAt: status.deletedAt,
  clearHistoryMessage: status.clearHistoryMessage,
  conversationIDList: status.conversationIDList,
  results: status.results,
  historyPurge: await purgeStatus(deps, status),
  restorableUntil: status.restorableUntil,
  restoredAt: status.restoredAt,
  restoreID: status.restoreID,
});

/** One of the caller's own deletions; another user's is not found. */
export const getDeletionStatus = async (deps: StatusDeps & { statuses: Pick<DeletionStatuses, 'read'> }, input: { userID: string; deletionID: string }): Promise<DeletionStatusView> => {
  const status = await deps.statuses.read(input.userID, input.deletionID);
  if (!status) throw new DeletionNotFoundError(input.deletionID);
  return view(deps, status);
};

/** The audit trail of one user, oldest first: deletions, cleared histories and restores, with who acted. */
export const listUserDeletions = async (
  deps: StatusDeps & { statuses: Pick<DeletionStatuses, 'listForUser'> },
  input: { userID: string; since: string | null; cursor: string | null; limit: number },
): Promise<{ deletionList: DeletionStatusView[]; nextCursor: string | null }> => {
  const page = await deps.statuses.listForUser(input.userID, { since: input.since, cursor: input.cursor }, input.limit);
  const deletionList = await Promise.all(
    page.entries.map(async (entry) => {
      if (entry.status) return view(deps, entry.status);
      // A restore (or a record whose status was not written): what the record itself says.
      return {
        deletionID: entry.deletionID,
        kind: entry.kind,
        userID: entry.userID,
        actedBy: entry.actedBy,
        actedAs: entry.actedAs,
        deletedAt: entry.deletedAt,
        clearHistoryMessage: entry.clearHistoryMessage,
        conversationIDList: entry.conversationIDList,
        results: entry.results,
        historyPurge: { state: 'none' as const },
        restorableUntil: null,
        restoredAt: null,
        restoreID: null,
        ...(entry.restoresDeletionID ? { restoresDeletionID: entry.restoresDeletionID } : {}),
      };
    }),
  );
  return { deletionList, nextCursor: page.nextCursor };
};
