import { describe, expect, it } from 'vitest';
import type { DeletionNotice } from '#contracts/push-messages.js';
import { SETTLE_SECONDS, decodeCatchUpCursor, encodeCatchUpCursor, listDeletionsSince } from '#domain/deletion-catch-up.js';
import { CursorExpiredError, InvalidCursorError } from '#domain/errors.js';
import type { DeletionLog, DeletionLogEntry } from '#domain/ports/deletion-log.js';

/** The deletion log as the adapter keeps it: positions `<deletedAt>#<deletionID>`, string-ordered. */
class MemoryLog implements DeletionLog {
  public readonly entries: (DeletionLogEntry & { userID: string })[] = [];
  public add(userID: string, deletedAt: string, deletionID: string) {
    const notice: DeletionNotice = { kind: 'conversationsDeleted', deletionID, conversationIDList: [`C2C${deletionID}`], clearHistoryMessage: true, deletedAt, originDeviceID: null };
    this.entries.push({ userID, position: `${deletedAt}#${deletionID}`, notice });
    this.entries.sort((a, b) => (a.position < b.position ? -1 : 1));
  }
  public async listAfter(userID: string, after: string | null, limit: number) {
    const found = this.entries.filter((e) => e.userID === userID && (after === null || e.position > after));
    return { entries: found.slice(0, limit), hasMore: found.length > limit };
  }
  public positionAt(time: Date) {
    return time.toISOString();
  }
}

const at = (minutes: number) => new Date(Date.parse('2025-05-01T10:00:00Z') + minutes * 60_000);
const iso = (minutes: number) => at(minutes).toISOString();

const setup = (syncOn = true) => {
  let now = at(10);
  const log = new MemoryLog();
  const deps = { settings: { current: async () => ({ syncConversationDeletion: syncOn, deletionGracePeriodSeconds: 600 }) }, deletionLog: log, clock: { now: () => now } };
  return { deps, log, setNow: (d: Date) => (now = d) };
};

const ids = (page: { deletionList: DeletionNotice[] }) => page.deletionList.map((d) => d.deletionID);

describe('listDeletionsSince', () => {
  it('pages oldest first and only over the caller’s deletions', async () => {
    // Prepare
    const { deps, log } = setup();
    log.add('alice', iso(1), 'a1');
    log.add('alice', iso(2), 'a2');
    log.add('bob', iso(2), 'b1');
    log.add('alice', iso(3), 'a3');

    // Act
    const first = await listDeletionsSince(deps, { userID: 'alice', limit: 2 });
    const second = await listDeletionsSince(deps, { userID: 'alice', since: first.nextCursor!, limit: 2 });
    const later = await listDeletionsSince(deps, { userID: 'alice', since: second.nextCursor!, limit: 2 });

    // Assess
    expect([ids(first), first.hasMore]).toEqual([['a1', 'a2'], true]);
    expect([ids(second), second.hasMore]).toEqual([['a3'], false]);
    expect(ids(later)).toEqual([]);
  });

  it('refuses a cursor older than the records are kept (410 CURSOR_EXPIRED), and moves an idle cursor up so it never gets there', async () => {
    // Prepare: one deletion; then a device reads every 10 days for 40 days with nothing new, and another device
    // comes back after 40 days with the first cursor.
    const { deps, log, setNow } = setup();
    log.add('alice', iso(1), 'a1');
    const first = await listDeletionsSince(deps, { userID: 'alice', limit: 10 });
    let since = first.nextCursor!;
    for (let day = 10; day <= 40; day += 10) {
      setNow(at(day * 24 * 60));
      since = (await listDeletionsSince(deps, { userID: 'alice', since, limit: 10 })).nextCursor!;
    }

    // Act
    const stale = listDeletionsSince(deps, { userID: 'alice', since: first.nextCursor!, limit: 10 });
    const kept = await listDeletionsSince(deps, { userID: 'alice', since, limit: 10 });

    // Assess
    await expect(stale).rejects.toThrow(CursorExpiredError);
    await expect(stale).rejects.toThrow(/reload the conversation list/);
    expect(kept).toMatchObject({ deletionList: [], hasMore: false });
  });

  it('steps the final cursor back to the settle window so a late-written record is not skipped', async () => {
    // Prepare: a3 is listed; then a record dated before a3 lands (its request started earlier, finished later).
    const { deps, log, setNow } = setup();
    log.add('alice', iso(9.5), 'a3');
    const first = await listDeletionsSince(deps, { userID: 'alice', limit: 10 });
    log.add('alice', iso(9.4), 'late');

    // Act
    const next = await listDeletionsSince(deps, { userID: 'alice', since: first.nextCursor!, limit: 10 });
    setNow(at(12));
    const settling = await listDeletionsSince(deps, { userID: 'alice', since: next.nextCursor!, limit: 10 });
    const settled = await listDeletionsSince(deps, { userID: 'alice', since: settling.nextCursor!, limit: 10 });

    // Assess: listed again while within the window (clients drop repeats by deletionID), then no more.
    expect(ids(first)).toEqual(['a3']);
    expect(decodeCatchUpCursor(first.nextCursor!)).toEqual({ after: iso(10 - SETTLE_SECONDS / 60), floor: null });
    expect(ids(next)).toEqual(['late', 'a3']);
    expect(ids(settling)).toEqual(['late', 'a3']);
    expect(decodeCatchUpCursor(settling.nextCursor!)).toEqual({ after: `${iso(9.5)}#a3`, floor: null });
    expect(ids(settled)).toEqual([]);
  });

  it('keeps the first page’s floor while paging, so a record landing mid-read is listed next time', async () => {
    // Prepare
    const { deps, log, setNow } = setup();
    log.add('alice', iso(9.7), 'a1');
    log.add('alice', iso(9.8), 'a2');
    const first = await listDeletionsSince(deps, { userID: 'alice', limit: 1 });
    log.add('alice', iso(9.6), 'late');
    setNow(at(20));

    // Act
    const second = await listDeletionsSince(deps, { userID: 'alice', since: first.nextCursor!, limit: 1 });
    const next = await listDeletionsSince(deps, { userID: 'alice', since: second.nextCursor!, limit: 10 });

    // Assess
    expect(ids(second)).toEqual(['a2']);
    expect(decodeCatchUpCursor(second.nextCursor!).after).toBe(iso(10 - SETTLE_SECONDS / 60));
    expect(ids(next)).toContain('late');
  });

  it('lists nothing while sync is off, hands the cursor back, and still refuses a bad one', async () => {
    // Prepare
    const { deps, log } = setup(false);
    log.add('alice', iso(1), 'a1');
    const cursor = encodeCatchUpCursor({ after: `${iso(0)}#x`, floor: null });

    // Act / Assess
    expect(await listDeletionsSince(deps, { userID: 'alice', since: cursor, limit: 10 })).toEqual({
      syncConversationDeletion: false,
      deletionList: [],
      nextCursor: cursor,
      hasMore: false,
    });
    await expect(listDeletionsSince(deps, { userID: 'alice', since: 'garbage', limit: 10 })).rejects.toBeInstanceOf(InvalidCursorError);
  });
});

describe('catch-up cursor', () => {
  it('round-trips and refuses anything else', () => {
    const cursor = { after: `${iso(1)}#a1`, floor: iso(0) };
    expect(decodeCatchUpCursor(encodeCatchUpCursor(cursor))).toEqual(cursor);
    expect(decodeCatchUpCursor(undefined)).toEqual({ after: null, floor: null });
    const bad = [
      '%%%',
      Buffer.from('"text"').toString('base64url'),
      Buffer.from('[]').toString('base64url'),
      Buffer.from(JSON.stringify({ a: 1 })).toString('base64url'),
      Buffer.from(JSON.stringify({ a: 'x', pk: 'DELETIONS#bob' })).toString('base64url'),
      Buffer.from(JSON.stringify({ a: 'x', f: '' })).toString('base64url'),
      Buffer.from(JSON.stringify({ a: 'x'.repeat(300) })).toString('base64url'),
    ];
    for (const text of bad) expect(() => decodeCatchUpCursor(text), text).toThrow(InvalidCursorError);
  });
});
