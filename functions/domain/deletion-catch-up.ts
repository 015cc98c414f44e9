/**
 * Offline catch-up: a device reads the deletions made since its cursor from the durable deletion records,
 * so a device that was offline, or whose push was lost, converges.
 *
 * Why the cursor sometimes steps back: a deletion record is keyed by the time its request started but is
 * written when the request finishes, up to the request's timeout later. A record can therefore appear behind
 * a cursor that already passed its position. So the cursor of a last page never points later than
 * SETTLE_SECONDS before the start of the read: the next read lists that last minute again, and the client
 * drops repeats by `deletionID`. Cursors of pages in the middle of a read point exactly after the page
 * (so paging always advances) and carry the read's floor along.
 */
import { CursorExpiredError, InvalidCursorError } from './errors.js';
import { DELETION_RECORD_RETENTION_DAYS } from '#contracts/table.js';
import { decodeOpaque, encodeOpaque } from '#contracts/opaque-cursor.js';
import type { SyncDeletionsPage } from '#contracts/push-messages.js';
import type { Clock } from './ports/clock.js';
import type { DeletionLog } from './ports/deletion-log.js';
import type { SettingsReader } from './ports/settings.js';

/** Longer than a deletion request can run (API Gateway's 30 s integration timeout), with room to spare. */
export const SETTLE_SECONDS = 60;

/** Where a read continues: after `after` (from the start when null); `floor` is set on a page that has more. */
type Cursor = { after: string | null; floor: string | null };

const MAX_POSITION_LENGTH = 256;

export const encodeCatchUpCursor = (cursor: Cursor): string => encodeOpaque({ a: cursor.after, ...(cursor.floor !== null ? { f: cursor.floor } : {}) });

export const decodeCatchUpCursor = (text: string | undefined): Cursor => {
  if (text === undefined) return { after: null, floor: null };
  const invalid = () => new InvalidCursorError('since is not a cursor this endpoint returned: pass nextCursor back unchanged, or omit since to read every retained deletion');
  const value = decodeOpaque(text);
  if (!value) throw invalid();
  const { a, f, ...rest } = value;
  const isPosition = (p: unknown): p is string => typeof p === 'string' && p.length > 0 && p.length <= MAX_POSITION_LENGTH;
  if (Object.keys(rest).length > 0 || !(a === null || isPosition(a)) || !(f === undefined || isPosition(f))) throw invalid();
  return { after: a, floor: f ?? null };
};

const earlier = (a: string | null, b: string): string | null => (a === null || a < b ? a : b);
const later = (a: string, b: string): string => (a > b ? a : b);

/** `GET /v1/sync/conversation-deletions`: the caller's deletions after `since`, oldest first. */
export const listDeletionsSince = async (
  deps: { settings: SettingsReader; deletionLog: DeletionLog; clock: Clock },
  input: { userID: string; since?: string; limit: number },
): Promise<SyncDeletionsPage> => {
  // A bad cursor is a 400 whether or not sync is on, so a client finds its bug either way.
  const cursor = decodeCatchUpCursor(input.since);
  if (!(await deps.settings.current()).syncConversationDeletion) {
    return { syncConversationDeletion: false, deletionList: [], nextCursor: input.since ?? null, hasMore: false };
  }
  // Older than the records' retention: deletions made since may be gone already; reading on would miss them silently.
  const retained = deps.deletionLog.positionAt(new Date(deps.clock.now().getTime() - DELETION_RECORD_RETENTION_DAYS * 86_400_000));
  if (cursor.after !== null && cursor.after < retained) {
    throw new CursorExpiredError(
      `since points before the oldest retained deletion (records are kept ${DELETION_RECORD_RETENTION_DAYS} days): reload the conversation list, then read again without since`,
    );
  }
  const floor = cursor.floor ?? deps.deletionLog.positionAt(new Date(deps.clock.now().getTime() - SETTLE_SECONDS * 1000));
  const page = await deps.deletionLog.listAfter(input.userID, cursor.after, input.limit);
  // An idle cursor moves up to the floor: every record before it is written by now and none was listed, so a device
  // of a user who deletes nothing for weeks keeps a cursor inside the retention (no needless CURSOR_EXPIRED).
  const last = page.entries.at(-1)?.position ?? (cursor.after === null ? null : later(cursor.after, floor));
  const next: Cursor = page.hasMore ? { after: last, floor } : { after: last === null ? null : earlier(last, floor), floor: null };
  return {
    syncConversationDeletion: true,
    deletionList: page.entries.map((e) => e.notice),
    nextCursor: next.after === null && next.floor === null ? null : encodeCatchUpCursor(next),
    hasMore: page.hasMore,
  };
};
