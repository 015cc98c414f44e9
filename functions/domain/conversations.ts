import type { ConversationRepository } from './ports/conversations.js';

/** `GET /v1/conversations`: the caller's live conversations, newest activity first. */
export const listConversations = async (
  deps: { conversations: Pick<ConversationRepository, 'listConversations'> },
  input: { userID: string; limit: number; cursor?: string },
) => {
  const page = await deps.conversations.listConversations(input.userID, { limit: input.limit, ...(input.cursor ? { cursor: input.cursor } : {}) });
  return { conversationList: page.items, nextCursor: page.nextCursor };
};
