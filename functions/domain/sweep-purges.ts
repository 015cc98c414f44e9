/**
 * The purge driver that cannot lose work. A clearing deletion marks each conversation it cleared as owing a purge
 * in the very write that hides the history (the tombstone), and publishes the purge's event. If that event is lost
 * (a crash before it was published, a dead-lettered event, a purge that crashed for good), the mark remains: every
 * sweep re-drives each purge whose due time has passed, leasing it first so that a purge running from the sweep is
 * not driven twice. A purge leaves the list when a pass that began after the clear's straggler window reaches the
 * stored clear point (HistoryPurger.markPurged), so every sweep pass scans from the start of the history: a copy
 * that landed behind an earlier pass's cursor is found too (a key range already purged costs nothing to read).
 * docs/reliability.md states the bound: hand-off or lease, plus one sweep interval, plus the purge's own time.
 */
import { DETAIL_TYPES, type HistoryPurgeRequestedDetail } from '#contracts/events.js';
import type { Clock } from './ports/clock.js';
import type { EventPublisher, OutgoingEvent } from './ports/events.js';
import type { PendingPurge, PendingPurges } from './ports/pending-purges.js';

export type SweepOptions = {
  /** How long a re-driven purge is left to its purge run before the next sweep may drive it again. */
  leaseSeconds: number;
  /** Most pending purges one sweep handles (the rest wait for the next sweep). */
  maxPerSweep: number;
};

export type SweepOutcome = {
  /** Pending purges past their due time. */
  due: number;
  /** Of those, leased and handed to the purge function again. */
  redriven: number;
};

/** Targets per purge event: the purge function works through one event's targets side by side. */
const TARGETS_PER_EVENT = 25;

export const sweepPendingPurges = async (
  deps: { pending: PendingPurges; events: EventPublisher; clock: Clock },
  options: SweepOptions,
): Promise<SweepOutcome> => {
  const now = deps.clock.now();
  const due = await deps.pending.listDue(now, options.maxPerSweep);
  const until = new Date(now.getTime() + options.leaseSeconds * 1000).toISOString();
  const leased = (await Promise.all(due.map(async (p) => ((await deps.pending.lease(p, until)) ? p : null)))).filter((p): p is PendingPurge => p !== null);

  // One event per deletion and user, as the deletion itself would have published it; each pass from the start.
  const jobs = new Map<string, PendingPurge[]>();
  for (const p of leased) {
    const job = `${p.userID}\u0000${p.deletionID}`;
    jobs.set(job, [...(jobs.get(job) ?? []), p]);
  }
  const events: OutgoingEvent[] = [];
  for (const purges of jobs.values()) {
    for (let i = 0; i < purges.length; i += TARGETS_PER_EVENT) {
      const part = purges.slice(i, i + TARGETS_PER_EVENT);
      const detail: HistoryPurgeRequestedDetail = {
        deletionID: part[0]!.deletionID,
        userID: part[0]!.userID,
        targets: part.map((p) => ({ conversationID: p.conversationID, clearSeq: p.clearSeq, afterSeq: 0 })),
        conversationIDList: part.map((p) => p.conversationID),
        messagesDeleted: 0,
        attempt: 0,
        requestedAt: now.toISOString(),
      };
      events.push({ detailType: DETAIL_TYPES.historyPurgeRequested, detail });
    }
  }
  // If this fails, the leases run out and the next sweeps try again: nothing leaves the list unpurged.
  if (events.length > 0) await deps.events.publish(events);
  return { due: due.length, redriven: leased.length };
};
