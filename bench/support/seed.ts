/**
 * Seed data with the service's own key shapes and item builders: what `POST /v1/messages` leaves behind for the
 * caller after N messages in each of its C2C conversations (the timeline counter at seq = N, the caller's N
 * message copies, and its live conversation item pointing at message N), written straight with BatchWriteItem.
 * The peers' own copies are not written: a deletion never reads or touches them, and they would double the seeding.
 */
import { randomUUID } from 'node:crypto';
import type { WriteRequest } from '#adapters/dynamodb/batch-writer.js';
import { conversationFields, messageItem } from '#adapters/dynamodb/conversation-items.js';
import { type ConversationRef, c2cConversationID } from '#contracts/ids.js';
import { type Key, keys, TIMELINE_SEQUENCE } from '#contracts/table.js';
import type { Message } from '#domain/ports/messages.js';

export type SeededUser = {
  userID: string;
  conversationIDs: string[];
  /** Keys of the caller's message copies, in partition then sequence order. */
  messageKeys: Key[];
  /** The caller's message partitions (one per conversation). */
  messagePartitions: string[];
  /** Every item to write. */
  requests: WriteRequest[];
};

let counter = 0;
/** A user ID no earlier run used (1-32 of A-Z a-z 0-9 _ -). */
export const freshUserID = (prefix: string): string => `${prefix}${Date.now().toString(36)}${(counter++).toString(36)}${randomUUID().slice(0, 4)}`;

const BASE_TIME = Date.parse('2026-01-01T00:00:00.000Z');

const message = (ownerUserID: string, peerUserID: string, conversationID: string, sequence: number): Message => ({
  messageID: randomUUID(),
  conversationID,
  sequence,
  from: sequence % 2 === 0 ? ownerUserID : peerUserID,
  text: `benchmark message ${sequence}: the quick brown fox jumps over the lazy dog`,
  createdAt: new Date(BASE_TIME + sequence * 1000).toISOString(),
});

/**
 * `conversations` C2C conversations with `messagesPerConversation` messages each. With 0 messages the conversation
 * item is live (listed) but there is no timeline counter and no copy: a deletion has nothing to clear.
 */
export const buildUser = (prefix: string, conversations: number, messagesPerConversation: number): SeededUser => {
  const userID = freshUserID(prefix);
  const user: SeededUser = { userID, conversationIDs: [], messageKeys: [], messagePartitions: [], requests: [] };
  for (let c = 0; c < conversations; c++) {
    const peerUserID = `peer${c}`;
    const conversationID = c2cConversationID(peerUserID);
    const ref: ConversationRef = { type: 'C2C', conversationID, peerUserID };
    user.conversationIDs.push(conversationID);
    user.messagePartitions.push(keys.messagePartition(userID, conversationID));
    for (let seq = 1; seq <= messagesPerConversation; seq++) {
      const item = messageItem(userID, message(userID, peerUserID, conversationID, seq));
      user.messageKeys.push({ pk: item.pk, sk: item.sk });
      user.requests.push({ PutRequest: { Item: item } });
    }
    // allocateSequence: `ADD seq :one` on the shared timeline item, N times.
    if (messagesPerConversation > 0) user.requests.push({ PutRequest: { Item: { ...keys.timeline(userID, ref), [TIMELINE_SEQUENCE]: messagesPerConversation } } });
    // applyToConversation: the conversation fields of the newest message, unread = the peer's messages.
    const last = message(userID, peerUserID, conversationID, messagesPerConversation);
    user.requests.push({
      PutRequest: {
        Item: {
          ...keys.conversation(userID, conversationID),
          ...conversationFields(ref, last),
          unreadCount: Math.ceil(messagesPerConversation / 2),
        },
      },
    });
  }
  return user;
};
