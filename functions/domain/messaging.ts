/**
 * Sending and reading messages. Every participant owns a copy of each message in their own partition,
 * so one user's deletion never touches anyone else's data.
 */
import { randomUUID } from 'node:crypto';
import pLimit from 'p-limit';
import { type ConversationRef, SYSTEM_CONVERSATION_ID, c2cConversationID } from '#contracts/ids.js';
import { CannotMessageSelfError, GroupNotFoundError, NotGroupMemberError } from './errors.js';
import type { Clock } from './ports/clock.js';
import type { ConversationRepository } from './ports/conversations.js';
import type { GroupRepository } from './ports/groups.js';
import type { Message, MessageRepository } from './ports/messages.js';
import type { Page, PageRequest } from './ports/pages.js';

/** Parallel conversation updates per message (a group has up to 500 members). */
const FAN_OUT_CONCURRENCY = 32;

/** What writing a message takes: a sequence, the copies, each owner's conversation item. */
export type MessageWriter = Pick<MessageRepository, 'allocateSequence' | 'putMessageCopies' | 'applyToConversation'>;

export type SendMessageDeps = { messages: MessageWriter; groups: Pick<GroupRepository, 'listMembers'>; clock: Clock };
export type SystemNotificationDeps = { messages: MessageWriter; clock: Clock };
export type HistoryDeps = { messages: Pick<MessageRepository, 'listMessages'>; conversations: Pick<ConversationRepository, 'getClearPoint'> };
/** Everything the messaging use cases use together (tests build this). */
export type MessagingDeps = SendMessageDeps & HistoryDeps;

type Recipient = { ownerUserID: string; ref: ConversationRef; unreadIncrement: 0 | 1 };

const deliver = async (deps: SystemNotificationDeps, timelineOwner: string, timeline: ConversationRef, from: string, text: string, recipients: Recipient[]) => {
  const sequence = await deps.messages.allocateSequence(timelineOwner, timeline);
  const base = { messageID: randomUUID(), sequence, from, text, createdAt: deps.clock.now().toISOString() };
  const copies = recipients.map((r) => ({
    ownerUserID: r.ownerUserID,
    message: { messageID: base.messageID, conversationID: r.ref.conversationID, sequence, from, text, createdAt: base.createdAt },
  }));
  // Copies first, conversation items second: a conversation never points at a message that is not stored.
  await deps.messages.putMessageCopies(copies);
  const limit = pLimit(FAN_OUT_CONCURRENCY);
  await Promise.all(
    recipients.map((r, i) =>
      limit(() => deps.messages.applyToConversation({ ownerUserID: r.ownerUserID, ref: r.ref, message: copies[i]!.message, unreadIncrement: r.unreadIncrement })),
    ),
  );
  return base;
};

/** `POST /v1/messages`: a C2C message (sender and receiver get a copy) or a group message (every member does). */
export const sendMessage = async (
  deps: SendMessageDeps,
  input: { senderID: string; conversation: Exclude<ConversationRef, { type: 'SYSTEM' }>; text: string },
): Promise<Message> => {
  const ref = input.conversation;
  let recipients: Recipient[];
  if (ref.type === 'C2C') {
    if (ref.peerUserID === input.senderID) throw new CannotMessageSelfError(ref.conversationID);
    recipients = [
      { ownerUserID: input.senderID, ref, unreadIncrement: 0 },
      { ownerUserID: ref.peerUserID, ref: { type: 'C2C', conversationID: c2cConversationID(input.senderID), peerUserID: input.senderID }, unreadIncrement: 1 },
    ];
  } else {
    const members = await deps.groups.listMembers(ref.groupID);
    if (!members) throw new GroupNotFoundError(ref.groupID);
    if (!members.includes(input.senderID)) throw new NotGroupMemberError(ref.groupID);
    recipients = members.map((m) => ({ ownerUserID: m, ref, unreadIncrement: m === input.senderID ? 0 : 1 }));
  }
  const { messageID, sequence, from, text, createdAt } = await deliver(deps, input.senderID, ref, input.senderID, input.text, recipients);
  return { messageID, conversationID: ref.conversationID, sequence, from, text, createdAt };
};

/** `POST /v1/admin/system-notifications`: one message into each user's @TIM#SYSTEM conversation. */
export const sendSystemNotification = async (deps: SystemNotificationDeps, input: { userIDList: string[]; text: string }) => {
  const userIDs = [...new Set(input.userIDList)];
  const ref: ConversationRef = { type: 'SYSTEM', conversationID: SYSTEM_CONVERSATION_ID };
  const limit = pLimit(FAN_OUT_CONCURRENCY);
  const delivered = await Promise.all(
    userIDs.map((userID) =>
      limit(async () => {
        const m = await deliver(deps, userID, ref, SYSTEM_CONVERSATION_ID, input.text, [{ ownerUserID: userID, ref, unreadIncrement: 1 }]);
        return { userID, messageID: m.messageID, sequence: m.sequence, createdAt: m.createdAt };
      }),
    ),
  );
  return { conversationID: SYSTEM_CONVERSATION_ID, notificationList: delivered };
};

/** `GET /v1/conversations/{id}/messages`: the caller's copies after the conversation's clear point, newest first. */
export const listMessages = async (
  deps: HistoryDeps,
  input: { userID: string; conversation: ConversationRef; page: PageRequest },
): Promise<Page<Message>> => {
  const ref = input.conversation;
  const clearSeq = await deps.conversations.getClearPoint(input.userID, ref.conversationID);
  return deps.messages.listMessages(input.userID, ref.conversationID, clearSeq, input.page);
};
