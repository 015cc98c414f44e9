/**
 * Conversation, user and group identifiers, in the reference chat SDK's format.
 * The one place that says what a valid ID is.
 */

export const SYSTEM_CONVERSATION_ID = '@TIM#SYSTEM';

export const USER_ID_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;
export const GROUP_ID_PATTERN = /^[A-Za-z0-9_@#-]{1,48}$/;

export type ConversationType = 'C2C' | 'GROUP' | 'SYSTEM';

export type ConversationRef =
  | { type: 'C2C'; conversationID: string; peerUserID: string }
  | { type: 'GROUP'; conversationID: string; groupID: string }
  | { type: 'SYSTEM'; conversationID: typeof SYSTEM_CONVERSATION_ID };

export const isUserID = (value: unknown): value is string =>
  typeof value === 'string' && USER_ID_PATTERN.test(value);

export const isGroupID = (value: unknown): value is string =>
  typeof value === 'string' && GROUP_ID_PATTERN.test(value);

/** Parses `C2C<userID>`, `GROUP<groupID>` or `@TIM#SYSTEM`; undefined when it is none of them. */
export const parseConversationID = (value: unknown): ConversationRef | undefined => {
  if (typeof value !== 'string') return undefined;
  if (value === SYSTEM_CONVERSATION_ID) return { type: 'SYSTEM', conversationID: value };
  if (value.startsWith('C2C') && isUserID(value.slice(3))) {
    return { type: 'C2C', conversationID: value, peerUserID: value.slice(3) };
  }
  if (value.startsWith('GROUP') && isGroupID(value.slice(5))) {
    return { type: 'GROUP', conversationID: value, groupID: value.slice(5) };
  }
  return undefined;
};

export const c2cConversationID = (peerUserID: string): string => `C2C${peerUserID}`;
export const groupConversationID = (groupID: string): string => `GROUP${groupID}`;

export const CONVERSATION_ID_HINT =
  'use C2C<userID> (userID: 1-32 of A-Z a-z 0-9 _ -), GROUP<groupID> (groupID: 1-48 of A-Z a-z 0-9 _ @ # -) or @TIM#SYSTEM';
export const USER_ID_HINT = 'a userID is 1-32 characters of A-Z a-z 0-9 _ -';
export const GROUP_ID_HINT = 'a groupID is 1-48 characters of A-Z a-z 0-9 _ @ # -';
