/**
 * Option checks made before any request, with the codes the server would answer (so an app handles one set of
 * codes whether the client or the server refused). The patterns are the server's functions/contracts/ids.ts;
 * test/client/contract.test.ts holds them equal.
 */
import { ChatError } from './errors.js';
import type { AuditQuery } from './types.js';

export const SYSTEM_CONVERSATION_ID = '@TIM#SYSTEM';
export const USER_ID_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;
export const GROUP_ID_PATTERN = /^[A-Za-z0-9_@#-]{1,48}$/;
/** X-Device-ID and the socket's deviceID (the server's functions/contracts/headers.ts). */
export const DEVICE_ID_PATTERN = /^[A-Za-z0-9_.:@#-]{1,128}$/;
export const MAX_DELETE_BATCH = 100;
export const MAX_TEXT_LENGTH = 4000;
const CONVERSATION_ID_HINT =
  'use C2C<userID> (userID: 1-32 of A-Z a-z 0-9 _ -), GROUP<groupID> (groupID: 1-48 of A-Z a-z 0-9 _ @ # -) or @TIM#SYSTEM';

/** A value as a message quotes it. */
const show = (value: unknown): string => {
  try {
    const quoted = JSON.stringify(value) ?? String(value);
    return quoted.length > 200 ? `${quoted.slice(0, 200)}…` : quoted;
  } catch {
    return String(value);
  }
};

export const isConversationID = (value: unknown): value is string =>
  typeof value === 'string' &&
  (value === SYSTEM_CONVERSATION_ID ||
    (value.startsWith('C2C') && USER_ID_PATTERN.test(value.slice(3))) ||
    (value.startsWith('GROUP') && GROUP_ID_PATTERN.test(value.slice(5))));

export const checkConversationID = (value: unknown, where = 'conversationID'): string => {
  if (!isConversationID(value)) throw new ChatError('INVALID_CONVERSATION_ID', `${where}: ${show(value)} is not a conversation ID: ${CONVERSATION_ID_HINT}`);
  return value;
};

export const checkUserID = (value: unknown, where = 'userID'): string => {
  if (typeof value !== 'string' || !USER_ID_PATTERN.test(value)) {
    throw new ChatError('INVALID_USER_ID', `${where} ${JSON.stringify(value)} is not valid: a userID is 1-32 characters of A-Z a-z 0-9 _ -`);
  }
  return value;
};

/** What `deleteConversation` sends: the string form as it is, the object form with its default made explicit. */
export type DeleteRequest = { body: string; single: true; conversationIDList: [string] } | {
  body: { conversationIDList: string[]; clearHistoryMessage: boolean };
  single: false;
  conversationIDList: string[];
};

/**
 * `deleteConversation(options)`: a conversation ID, or `{ conversationIDList, clearHistoryMessage }` with 1-100 IDs
 * and `clearHistoryMessage` true by default (as in the reference SDK). Throws a {@link ChatError} as the server would.
 */
export const checkDeleteOptions = (options: unknown): DeleteRequest => {
  if (typeof options === 'string') {
    checkConversationID(options, 'options');
    return { body: options, single: true, conversationIDList: [options] };
  }
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new ChatError(
      'INVALID_REQUEST',
      `options must be a conversation ID string such as "C2Cbob", or {conversationIDList:[...], clearHistoryMessage:true}, not ${show(options)}`,
    );
  }
  const { conversationIDList, clearHistoryMessage, ...rest } = options as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length > 0) throw new ChatError('UNKNOWN_FIELD', `options has unknown field(s) ${unknown.map((k) => `"${k}"`).join(', ')}: remove them`);
  if (!Array.isArray(conversationIDList) || conversationIDList.length < 1 || conversationIDList.length > MAX_DELETE_BATCH) {
    throw new ChatError(
      'INVALID_BATCH_SIZE',
      Array.isArray(conversationIDList)
        ? `conversationIDList holds ${conversationIDList.length} entries; send 1 to ${MAX_DELETE_BATCH}`
        : `conversationIDList must be an array of 1 to ${MAX_DELETE_BATCH} entries`,
    );
  }
  conversationIDList.forEach((id, i) => checkConversationID(id, `conversationIDList.${i}`));
  if (clearHistoryMessage !== undefined && typeof clearHistoryMessage !== 'boolean') {
    throw new ChatError('INVALID_REQUEST', `clearHistoryMessage must be true or false, not ${show(clearHistoryMessage)}`);
  }
  const list = conversationIDList as string[];
  return { body: { conversationIDList: list, clearHistoryMessage: clearHistoryMessage ?? true }, single: false, conversationIDList: list };
};

export const checkText = (text: unknown): string => {
  if (typeof text !== 'string' || text.trim().length === 0 || [...text].length > MAX_TEXT_LENGTH) {
    throw new ChatError('INVALID_TEXT', `payload.text must be a string of 1-${MAX_TEXT_LENGTH} characters, not blank`);
  }
  return text;
};

/** A deletion's ID as every deletion answer gives it: a lower-case UUID (the server's api-schemas.ts). */
export const DELETION_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export const checkDeletionID = (value: unknown): string => {
  if (typeof value !== 'string' || !DELETION_ID_PATTERN.test(value)) {
    throw new ChatError('INVALID_DELETION_ID', `${show(value)} is not a deletionID: pass the deletionID of a deletion's answer unchanged (a lower-case UUID)`);
  }
  return value;
};

/** An ISO 8601 UTC time as the audit's `since` takes it (the server's api-schemas.ts UTC_TIME_PATTERN). */
export const UTC_TIME_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;

/** `getUserDeletions`'s options as a query string (`?…` or empty). */
export const auditQuery = (options: AuditQuery | undefined): string => {
  if (options === undefined) return '';
  if (typeof options !== 'object' || options === null || Array.isArray(options)) throw new ChatError('INVALID_REQUEST', `options must be an object such as { since, cursor, limit }, not ${show(options)}`);
  const { since, cursor, limit, ...rest } = options as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length > 0) throw new ChatError('UNKNOWN_FIELD', `options has unknown field(s) ${unknown.map((k) => `"${k}"`).join(', ')}: use since, cursor and limit`);
  if (since !== undefined && (typeof since !== 'string' || !UTC_TIME_PATTERN.test(since) || Number.isNaN(Date.parse(since)))) {
    throw new ChatError('INVALID_QUERY', `since must be an ISO 8601 UTC time such as 2026-11-26T00:00:00Z, not ${show(since)}`);
  }
  if (cursor !== undefined && (typeof cursor !== 'string' || cursor === '')) throw new ChatError('INVALID_CURSOR', `cursor must be a nextCursor of an earlier page, unchanged, not ${show(cursor)}`);
  if (limit !== undefined && (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > 100)) {
    throw new ChatError('INVALID_QUERY', `limit must be a whole number from 1 to 100, not ${show(limit)}`);
  }
  const query = new URLSearchParams();
  if (since !== undefined) query.set('since', since as string);
  if (cursor !== undefined) query.set('cursor', cursor as string);
  if (limit !== undefined) query.set('limit', String(limit));
  const text = query.toString();
  return text ? `?${text}` : '';
};
