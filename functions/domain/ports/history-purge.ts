/** Physically removing a user's cleared message copies. */
import type { PurgeTarget } from '#contracts/events.js';

export type PurgeProgress = {
  /** Message copies deleted in this call. */
  deleted: number;
  /** Every copy with sequence <= afterSeq is confirmed gone (the resume cursor). */
  afterSeq: number;
  done: boolean;
};

export interface HistoryPurger {
  /** Deletes the user's copies in (target.afterSeq, target.clearSeq] until done or the deadline. */
  purgeRange(userID: string, target: PurgeTarget, deadline: number): Promise<PurgeProgress>;
  /**
   * Records that everything up to clearSeq is gone (used to size later purges). The conversation leaves the pending
   * purges only if this pass (started at `passStartedAt`, ISO) began after every copy the clear covers could land;
   * otherwise the sweeper verifies it once more later.
   */
  markPurged(userID: string, conversationID: string, clearSeq: number, passStartedAt: string): Promise<void>;
  /** Each conversation's stored clear point (0: none) and undo deadline, read consistently: the limits of any purge. */
  readClearPoints(userID: string, conversationIDs: readonly string[]): Promise<Map<string, StoredClearPoint>>;
  /** Adds to the count of copies a deletion's purges removed (its status shows it). */
  recordPurged(userID: string, deletionID: string, count: number): Promise<void>;
}

/** What bounds a purge: nothing above `clearSeq`, and nothing while the last change can still be undone. */
export type StoredClearPoint = { clearSeq: number; restorableUntil: string | null };
