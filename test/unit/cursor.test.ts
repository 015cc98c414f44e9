import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from '#adapters/dynamodb/cursor.js';
import { InvalidCursorError } from '#domain/errors.js';

describe('decodeCursor', () => {
  const expected = { pk: 'MSG#alice#C2Cbob', skPrefix: 'SEQ#' };

  it('refuses a key over DynamoDB\'s 1,024 bytes even when it has fewer characters (DynamoDB itself would answer 500)', () => {
    // 4 + 600 × 2 bytes = 1,204 bytes in 604 characters.
    const cursor = encodeCursor({ pk: expected.pk, sk: `SEQ#${'é'.repeat(600)}` })!;
    expect(() => decodeCursor(cursor, expected)).toThrow(InvalidCursorError);
  });

  it('accepts a key of exactly 1,024 bytes', () => {
    const sk = `SEQ#${'é'.repeat(510)}`;
    expect(Buffer.byteLength(sk)).toBe(1024);
    expect(decodeCursor(encodeCursor({ pk: expected.pk, sk })!, expected)).toEqual({ pk: expected.pk, sk });
  });
});
