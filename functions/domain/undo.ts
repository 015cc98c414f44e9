/**
 * Undo's clock: a change made at `now` with the app's grace period can be restored until `restorableUntil`, and its
 * purge may start at `purgeFrom`, once a restore accepted in time has surely landed (RESTORE_WRITE_MARGIN_SECONDS).
 */
import { RESTORE_WRITE_MARGIN_SECONDS } from '#contracts/table.js';

export type UndoWindow = { restorableUntil: string; purgeFrom: string };

/** null when undo is off (a grace period of 0). */
export const undoWindow = (now: Date, gracePeriodSeconds: number): UndoWindow | null => {
  if (gracePeriodSeconds <= 0) return null;
  const restorableUntil = new Date(now.getTime() + gracePeriodSeconds * 1000).toISOString();
  return { restorableUntil, purgeFrom: purgeStartsAfter(restorableUntil) };
};

/** When the purge of a change restorable until `restorableUntil` may start. */
export const purgeStartsAfter = (restorableUntil: string): string => new Date(Date.parse(restorableUntil) + RESTORE_WRITE_MARGIN_SECONDS * 1000).toISOString();

/** Whether a purge may remove copies a change with this `restorableUntil` hid (none: not undoable). */
export const purgeAllowed = (restorableUntil: string | undefined | null, now: Date): boolean =>
  !restorableUntil || Date.parse(restorableUntil) + RESTORE_WRITE_MARGIN_SECONDS * 1000 <= now.getTime();
