/** The durable deletion records as devices read them, and which devices a deletion's push reached. */
import type { DeletionNotice } from '#contracts/push-messages.js';

export type DeletionKey = { userID: string; deletedAt: string; deletionID: string };

/** Which connections a deletion's push already reached, so a retried push only sends to the rest. */
export interface PushProgress {
  served(deletion: DeletionKey): Promise<Set<string>>;
  /** Adds to what served() returns; a no-op when the deletion record no longer exists. */
  recordServed(deletion: DeletionKey, connectionIDs: string[]): Promise<void>;
}

/**
 * The durable deletion records of one user in time order. A position is an opaque string; positions of
 * records compare as strings in deletion time order.
 */
export type DeletionLogEntry = { position: string; notice: DeletionNotice };

export interface DeletionLog {
  /** Records with position > after (every retained one when after is null), oldest first, at most `limit`. */
  listAfter(userID: string, after: string | null, limit: number): Promise<{ entries: DeletionLogEntry[]; hasMore: boolean }>;
  /** The position that precedes every deletion made at or after `time` and follows every earlier one. */
  positionAt(time: Date): string;
}
