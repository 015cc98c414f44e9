/**
 * One run of the background purge job: purge until the deadline, then either hand the rest to a
 * continuation event (same job, updated cursors) or announce that the history is physically gone.
 * Safe to re-drive: every target's cursor only ever moves past confirmed deletions.
 */
import { DETAIL_TYPES, type HistoryPurgedDetail, type HistoryPurgeRequestedDetail } from '#contracts/events.js';
import type { Clock, EventPublisher, HistoryPurger } from './ports.js';
import { purgeHistory } from './purge-history.js';

export const runPurgeJob = async (
  deps: { purger: HistoryPurger; events: EventPublisher; clock: Clock },
  job: HistoryPurgeRequestedDetail,
  deadline: number,
) => {
  const outcome = await purgeHistory(deps.purger, { userID: job.userID, targets: job.targets, deadline });
  const messagesDeleted = job.messagesDeleted + outcome.messagesDeleted;
  if (outcome.remaining.length > 0) {
    const continuation: HistoryPurgeRequestedDetail = { ...job, targets: outcome.remaining, messagesDeleted, attempt: job.attempt + 1 };
    await deps.events.publish([{ detailType: DETAIL_TYPES.historyPurgeRequested, detail: continuation }]);
    return { ...outcome, finished: false };
  }
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
