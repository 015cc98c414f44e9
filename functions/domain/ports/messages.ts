/** Messages: each participant's own copy, and the conversation item a new message updates. */
import type { ConversationRef } from '#contracts/ids.js';
import type { Page, PageRequest } from './pages.js';

export type Message = {
  messageID: string;
  conversationID: string;
  sequence: number;
  from: string;
  text: string;
  createdAt: string;
};

export type ApplyOutcome = 'applied' | 'counted' | 'predates-deletion';

export interface MessageRepository {
  /** Atomically allocates the timeline's next sequence. */
  allocateSequence(ownerUserID: string, ref: ConversationRef): Promise<number>;
  /** Writes every copy or throws. */
  putMessageCopies(copies: { ownerUserID: string; message: Message }[]): Promise<void>;
  /** Creates or updates the owner's conversation item for a new message, unless the message predates a deletion. */
  applyToConversation(input: { ownerUserID: string; ref: ConversationRef; message: Message; unreadIncrement: 0 | 1 }): Promise<ApplyOutcome>;
  /** The owner's copies with sequence > afterSeq, newest first. */
  listMessages(ownerUserID: string, conversationID: string, afterSeq: number, page: PageRequest): Promise<Page<Message>>;
}
