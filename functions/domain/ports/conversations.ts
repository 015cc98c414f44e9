/** A user's conversation list and each conversation's clear point. */
import type { ConversationType } from '#contracts/ids.js';
import type { Message } from './messages.js';
import type { Page, PageRequest } from './pages.js';

export type Conversation = {
  conversationID: string;
  type: ConversationType;
  peerUserID?: string;
  groupID?: string;
  /** null once the history was cleared and no message came since (the conversation stays in the list). */
  lastMessage: Message | null;
  unreadCount: number;
  updatedAt: string;
};

export interface ConversationRepository {
  /** Live conversations, newest activity first. */
  listConversations(userID: string, page: PageRequest): Promise<Page<Conversation>>;
  /** The conversation's clear point: the user's copies with sequence <= it are hidden (0: none). */
  getClearPoint(userID: string, conversationID: string): Promise<number>;
}
