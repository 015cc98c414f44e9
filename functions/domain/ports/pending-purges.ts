/** Purges owed but not yet done: the work list the sweeper re-drives when a purge's own event was lost. */

/** A conversation whose history is cleared up to `clearSeq` but physically purged only up to `purgedSeq`. */
export type PendingPurge = {
  userID: string;
  conversationID: string;
  clearSeq: number;
  purgedSeq: number;
  /** When the sweeper may drive it (ISO): the hand-off after the clear, or the end of a sweeper's lease. */
  dueAt: string;
  /** The deletion whose purge this is (the latest that asked), so the purge's events name it. */
  deletionID: string;
};

export interface PendingPurges {
  /** Pending purges due at `now` or before, oldest first, at most `limit`. */
  listDue(now: Date, limit: number): Promise<PendingPurge[]>;
  /** Moves the due time to `until`, unless another sweeper took it since it was listed: then false. */
  lease(purge: PendingPurge, until: string): Promise<boolean>;
}
