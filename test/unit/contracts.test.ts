import { describe, expect, it } from 'vitest';
import { deleteOneQuery, parseDeleteConversationsBody, parseOrThrow } from '#contracts/api-schemas.js';
import { principalFromClaims } from '#contracts/auth.js';
import { ValidationError } from '#contracts/errors.js';
import { DETAIL_TYPES, EVENT_SOURCE, RULE_PATTERNS, matchesPattern } from '#contracts/events.js';
import { parseConversationID } from '#contracts/ids.js';
import { matchRoute } from '#contracts/routes.js';
import { keys, seqFromKey, seqKey } from '#contracts/table.js';

describe('conversation IDs', () => {
  it.each([
    ['C2Cbob', { type: 'C2C', peerUserID: 'bob' }],
    ['C2CA_b-9', { type: 'C2C', peerUserID: 'A_b-9' }],
    [`C2C${'x'.repeat(32)}`, { type: 'C2C' }],
    ['GROUPg@1#a-b_c', { type: 'GROUP', groupID: 'g@1#a-b_c' }],
    [`GROUP${'g'.repeat(48)}`, { type: 'GROUP' }],
    ['@TIM#SYSTEM', { type: 'SYSTEM' }],
  ])('accepts %s', (id, expected) => {
    expect(parseConversationID(id)).toMatchObject({ conversationID: id, ...expected });
  });

  it.each(['', 'C2C', 'GROUP', 'c2cbob', 'C2Cbo b', 'C2Cbob@x', `C2C${'x'.repeat(33)}`, `GROUP${'g'.repeat(49)}`, '@TIM#SYSTEMX', 'GROUPa/b', 42, null])('rejects %j', (id) => {
    expect(parseConversationID(id)).toBeUndefined();
  });
});

describe('the delete body (chat.deleteConversation options)', () => {
  it('takes a single ID string, parsed, and defaults to clearing history', () => {
    expect(parseDeleteConversationsBody('GROUPg1')).toEqual({
      form: 'single',
      conversations: [{ type: 'GROUP', conversationID: 'GROUPg1', groupID: 'g1' }],
      clearHistoryMessage: true,
      dryRun: false,
    });
  });

  it('takes the object form, removes duplicates and keeps order', () => {
    expect(parseDeleteConversationsBody({ conversationIDList: ['C2Cb', 'C2Ca', 'C2Cb'], clearHistoryMessage: false })).toEqual({
      form: 'list',
      conversations: [
        { type: 'C2C', conversationID: 'C2Cb', peerUserID: 'b' },
        { type: 'C2C', conversationID: 'C2Ca', peerUserID: 'a' },
      ],
      clearHistoryMessage: false,
      dryRun: false,
    });
  });

  it('defaults clearHistoryMessage to true in the object form and in the query of the DELETE route', () => {
    expect(parseDeleteConversationsBody({ conversationIDList: ['C2Cb'] }).clearHistoryMessage).toBe(true);
    expect(parseOrThrow(deleteOneQuery, {}, 'query')).toEqual({ clearHistoryMessage: true, dryRun: false });
    expect(parseOrThrow(deleteOneQuery, { clearHistoryMessage: 'false', dryRun: 'true' }, 'query')).toEqual({ clearHistoryMessage: false, dryRun: true });
  });

  it('names the offending ID and its position', () => {
    const error = (() => {
      try {
        parseDeleteConversationsBody({ conversationIDList: ['C2Ca', 'C2Cb', 'nope'] });
      } catch (e) {
        return e as ValidationError;
      }
    })();
    expect(error).toBeInstanceOf(ValidationError);
    expect(error?.errorCode).toBe('INVALID_CONVERSATION_ID');
    expect(error?.message).toContain('conversationIDList.2');
    expect(error?.message).toContain('"nope"');
  });
});

describe('event patterns', () => {
  const event = (detailType: string, detail = {}) => ({ source: EVENT_SOURCE, 'detail-type': detailType, detail });

  it('routes purge requests to the purge rule only', () => {
    expect(matchesPattern(RULE_PATTERNS.purgeHistory, event(DETAIL_TYPES.historyPurgeRequested))).toBe(true);
    expect(matchesPattern(RULE_PATTERNS.purgeHistory, event(DETAIL_TYPES.conversationsDeleted))).toBe(false);
    expect(matchesPattern(RULE_PATTERNS.pushDeletion, event(DETAIL_TYPES.conversationsDeleted))).toBe(true);
    expect(matchesPattern(RULE_PATTERNS.pushDeletion, { ...event(DETAIL_TYPES.conversationsDeleted), source: 'someone-else' })).toBe(false);
  });

  it('matches detail fields by exact value', () => {
    const pattern = { source: [EVENT_SOURCE], 'detail-type': ['X'], detail: { clearHistoryMessage: [true] } };
    expect(matchesPattern(pattern, event('X', { clearHistoryMessage: true }))).toBe(true);
    expect(matchesPattern(pattern, event('X', { clearHistoryMessage: false }))).toBe(false);
  });
});

describe('routes', () => {
  it('matches templates and hands path parameters on as sent', () => {
    expect(matchRoute('GET', '/v1/conversations/%40TIM%23SYSTEM/messages')).toMatchObject({ route: { function: 'messages' }, pathParameters: { conversationID: '%40TIM%23SYSTEM' } });
    expect(matchRoute('POST', '/v1/conversations/delete')).toMatchObject({ route: { function: 'delete-conversations' } });
    expect(matchRoute('DELETE', '/v1/conversations/C2Cbob')).toMatchObject({ route: { function: 'delete-conversations' } });
    expect(matchRoute('PATCH', '/v1/conversations')).toEqual({ methodMismatch: true });
    expect(matchRoute('GET', '/v2/conversations')).toBeUndefined();
  });
});

describe('auth claims', () => {
  it('reads the admin group from an array (local) or API Gateway\'s flattened string', () => {
    expect(principalFromClaims({ sub: 'alice', 'cognito:groups': ['admins'] })).toEqual({ userID: 'alice', isAdmin: true });
    expect(principalFromClaims({ sub: 'alice', 'cognito:groups': '[staff admins]' })).toEqual({ userID: 'alice', isAdmin: true });
    expect(principalFromClaims({ sub: 'alice', 'cognito:groups': '[administrators]' })).toEqual({ userID: 'alice', isAdmin: false });
    expect(principalFromClaims({})).toBeUndefined();
  });
});

describe('key shapes', () => {
  it('orders sequences as numbers and shares one timeline between both sides of a C2C chat', () => {
    expect(seqKey(9) < seqKey(10)).toBe(true);
    expect(seqFromKey(seqKey(123456))).toBe(123456);
    const fromAlice = keys.timeline('alice', { type: 'C2C', conversationID: 'C2Cbob', peerUserID: 'bob' });
    const fromBob = keys.timeline('bob', { type: 'C2C', conversationID: 'C2Calice', peerUserID: 'alice' });
    expect(fromAlice).toEqual(fromBob);
    expect(keys.messagePartition('alice', 'C2Cbob')).not.toEqual(keys.messagePartition('bob', 'C2Calice'));
  });
});
