/**
 * Undo's clock: a change made at `now` with the app's grace period can be restored until `restorableUntil`, and its
 * purge may start RESTORE_WRITE_MARGIN_SECONDS later, once a restore accepted in time has surely landed.
 */
import { RESTORE_WRITE_MARGIN_SECONDS } from '#contracts/table.js';

export type UndoWindow = { restorableUntil: string };

/** null when undo is off (a grace period of 0). */
export const undoWindow = (now: Date, gracePeriodSeconds: number): UndoWindow | null => {
  if (gracePeriodSeconds <= 0) return null;
  return { restorableUntil: new Date(now.getTime() + gracePeriodSeconds * 1000).toISOString() };
};

/** When the purge of a change restorable until `restorableUntil` may start. */
export const purgeStartsAfter = (restorableUntil: string): string => new Date(Date.parse(restorableUntil) + RESTORE_WRITE_MARGIN_SECONDS * 1000).toISOString();

/** Whether a purge may remove copies a change with this `restorableUntil` hid (none: not undoable). */
export const purgeAllowed = (restorableUntil: string | undefined | null, now: Date): boolean =>
  !restorableUntil || Date.parse(purgeStartsAfter(restorableUntil)) <= now.getTime();
