/**
 * Opaque pagination cursors: DynamoDB's LastEvaluatedKey, base64url-encoded. On the way back in a cursor is
 * checked against the partition it must belong to, so a forged or foreign cursor is a 400, never a 500.
 */
import { InvalidCursorError } from '#domain/errors.js';
import { decodeOpaque, encodeOpaque } from '#contracts/opaque-cursor.js';

export const encodeCursor = (key: Record<string, unknown> | undefined): string | null => (key ? encodeOpaque(key) : null);

export const decodeCursor = (
  cursor: string | undefined,
  expect: { pk: string; skPrefix: string; extraStringKeys?: string[] },
): Record<string, string> | undefined => {
  if (cursor === undefined) return undefined;
  const invalid = () => new InvalidCursorError('cursor is not one this API returned for this list: pass nextCursor back unchanged, or omit it to start over');
  const k = decodeOpaque(cursor);
  if (!k) throw invalid();
  const wanted = ['pk', 'sk', ...(expect.extraStringKeys ?? [])];
  // DynamoDB's limit on a sort key (and an index key) is 1,024 bytes of UTF-8, not characters: a forged key past it
  // would be refused by DynamoDB itself, a 500 here.
  const isKeyString = (v: unknown) => typeof v === 'string' && v.length > 0 && Buffer.byteLength(v, 'utf8') <= 1024;
  if (Object.keys(k).length !== wanted.length || !wanted.every((name) => isKeyString(k[name]))) throw invalid();
  if (k.pk !== expect.pk || !(k.sk as string).startsWith(expect.skPrefix)) throw invalid();
  return k as Record<string, string>;
};
