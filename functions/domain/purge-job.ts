/**
 * One run of the background purge job: purge until the deadline, then either hand the rest to a
 * continuation event (same job, updated cursors) or announce that the history is physically gone.
 * Safe to re-drive: every target's cursor only ever moves past confirmed deletions.
 */
import { DETAIL_TYPES, type HistoryPurgedDetail, type HistoryPurgeRequestedDetail } from '#contracts/events.js';
import type { Clock } from './ports/clock.js';
import type { EventPublisher } from './ports/events.js';
import type { HistoryPurger } from './ports/history-purge.js';
import { purgeHistory } from './purge-history.js';
import { purgeAllowed } from './undo.js';

/** A run made no progress at all: rather than re-publish forever, fail so the event is retried, then dead-lettered. */
export class PurgeStalledError extends Error {
  public constructor(job: HistoryPurgeRequestedDetail) {
    super(`purge ${job.deletionID} made no progress on attempt ${job.attempt} (${job.targets.length} target(s) left)`);
    this.name = 'PurgeStalledError';
  }
}

export const runPurgeJob = async (
  deps: { purger: HistoryPurger; events: EventPublisher; clock: Clock },
  job: HistoryPurgeRequestedDetail,
  deadline: number,
) => {
  // Never past the stored clear point: the event only asks, the tombstone says what the user cleared. A stale or
  // forged event cannot purge what the user still sees, nor record a purge point above the clear point.
  // Nor while the conversation's last change can still be undone: a restore would bring back what the purge removed.
  // Its pending purge stays due after the grace period, when the sweeper drives it again.
  const stored = await deps.purger.readClearPoints(job.userID, job.targets.map((t) => t.conversationID));
  const startedAt = deps.clock.now();
  const targets = job.targets.flatMap((t) => {
    const point = stored.get(t.conversationID);
    return purgeAllowed(point?.restorableUntil, startedAt) ? [{ ...t, clearSeq: Math.min(t.clearSeq, point?.clearSeq ?? 0) }] : [];
  });
  // A continuation resumes the pass its job began at `requestedAt`.
  const outcome = await purgeHistory(deps.purger, { userID: job.userID, targets, deadline, passStartedAt: job.requestedAt });
  await deps.purger.recordPurged(job.userID, job.deletionID, outcome.messagesDeleted);
  const messagesDeleted = job.messagesDeleted + outcome.messagesDeleted;
  if (outcome.remaining.length > 0) {
    const moved = outcome.messagesDeleted > 0 || outcome.remaining.some((t) => job.targets.find((o) => o.conversationID === t.conversationID)?.afterSeq !== t.afterSeq);
    if (!moved && outcome.completed.length === 0) throw new PurgeStalledError(job);
    const continuation: HistoryPurgeRequestedDetail = { ...job, targets: outcome.remaining, messagesDeleted, attempt: job.attempt + 1 };
    await deps.events.publish([{ detailType: DETAIL_TYPES.historyPurgeRequested, detail: continuation }]);
    return { ...outcome, finished: false };
  }
  // Deferred by undo: the sweeper drives these again once their grace period is over; the job is not done.
  if (targets.length < job.targets.length) return { ...outcome, finished: false };
  const now = deps.clock.now();
  const purged: HistoryPurgedDetail = {
    deletionID: job.deletionID,
    userID: job.userID,
    conversationIDList: job.conversationIDList,
    messagesDeleted,
    durationMs: now.getTime() - Date.parse(job.requestedAt),
    purgedAt: now.toISOString(),
  };
  await deps.events.publish([{ detailType: DETAIL_TYPES.historyPurged, detail: purged }]);
  return { ...outcome, finished: true };
};
