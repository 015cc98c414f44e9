/**
 * Physically removes a user's message copies up to each conversation's clear point. Used inline by a small
 * deletion and by the background purge function. Resumable: each target's `afterSeq` is a cursor below which
 * everything is confirmed gone, so a crash, a timeout or a re-drive simply continues from there.
 */
import type { PurgeTarget } from '#contracts/events.js';
import type { HistoryPurger } from './ports/history-purge.js';

export type PurgeOutcome = {
  messagesDeleted: number;
  /** Conversations whose history is now gone up to the clear point. */
  completed: string[];
  /** What is left, with updated cursors; empty when done. */
  remaining: PurgeTarget[];
};

/**
 * What a deletion or a cleared history purges before answering (with undo off): at most this many copies (estimated),
 * within this time; the rest goes to the background purge. The deletion's options may override them.
 */
export const INLINE_PURGE = { maxItems: 500, budgetMs: 400 } as const;

/** Upper bound of copies a set of targets can hold (a timeline's sequences may include other users' gaps). */
export const estimatePurgeSize = (targets: readonly PurgeTarget[]): number =>
  targets.reduce((sum, t) => sum + Math.max(0, t.clearSeq - t.afterSeq), 0);

/**
 * Purges every target at once (a job has at most 100, one per conversation of a deletion). Each conversation's
 * history is its own partition, which takes only so many writes per second (~1,000 in DynamoDB): working on a few at
 * a time would cap the whole job at a few partitions' worth. The writes in flight stay bounded by the batch writer,
 * which caps BatchWriteItem calls per client (docs/benchmarks.md, case c).
 */
export const purgeHistory = async (
  purger: Pick<HistoryPurger, 'purgeRange' | 'markPurged'>,
  /** `passStartedAt`: when this pass began scanning (ISO), which decides whether it may close the purge's debt. */
  input: { userID: string; targets: readonly PurgeTarget[]; deadline: number; passStartedAt: string },
): Promise<PurgeOutcome> => {
  const outcome: PurgeOutcome = { messagesDeleted: 0, completed: [], remaining: [] };
  await Promise.all(
    input.targets.map(async (target) => {
      if (Date.now() >= input.deadline) {
        outcome.remaining.push(target);
        return;
      }
      const progress = await purger.purgeRange(input.userID, target, input.deadline);
      outcome.messagesDeleted += progress.deleted;
      if (progress.done) {
        await purger.markPurged(input.userID, target.conversationID, target.clearSeq, input.passStartedAt);
        outcome.completed.push(target.conversationID);
      } else {
        outcome.remaining.push({ ...target, afterSeq: progress.afterSeq });
      }
    }),
  );
  return outcome;
};
