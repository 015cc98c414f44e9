/**
 * A dry run of `deleteConversations`: what the deletion would do, from the same consistent read, changing nothing and
 * emitting nothing. Each conversation would be `deleted` (the user has it) or `absent`; with history clearing, the
 * copies the purge would delete are counted exactly (those above what is already purged, up to the timeline now).
 */
import type { ConversationRef } from '#contracts/ids.js';
import pLimit from 'p-limit';
import type { DeletionRepository } from './ports/deletions.js';

/** Conversations counted at once (each is one or more keys-only Query pages). */
const COUNT_CONCURRENCY = 8;

export type DeletionPreview = {
  conversationIDList: string[];
  results: { conversationID: string; status: 'deleted' | 'absent'; messagesToPurge: number }[];
  /** Sum over the conversations; 0 when the history would be kept. */
  messagesToPurge: number;
};

export const previewDeletion = async (
  deps: { deletions: Pick<DeletionRepository, 'readStates' | 'countCopies'> },
  input: { userID: string; conversations: ConversationRef[]; clearHistoryMessage: boolean },
): Promise<DeletionPreview> => {
  const states = await deps.deletions.readStates(input.userID, input.conversations);
  const limit = pLimit(COUNT_CONCURRENCY);
  const results = await Promise.all(
    input.conversations.map((ref) =>
      limit(async () => {
        const state = states.get(ref.conversationID)!;
        // The clear point the deletion would write, and what is already known purged below it.
        const clearSeq = Math.max(state.clearSeq, state.timelineSeq);
        const messagesToPurge = input.clearHistoryMessage ? await deps.deletions.countCopies(input.userID, ref.conversationID, state.purgedSeq, clearSeq) : 0;
        return { conversationID: ref.conversationID, status: state.live ? ('deleted' as const) : ('absent' as const), messagesToPurge };
      }),
    ),
  );
  return {
    conversationIDList: input.conversations.map((r) => r.conversationID),
    results,
    messagesToPurge: results.reduce((sum, r) => sum + r.messagesToPurge, 0),
  };
};
