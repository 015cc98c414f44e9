import { conversationIDSchema, pageQuery, parseOrThrow, sendMessageBody } from '#contracts/api-schemas.js';
import { listMessages, sendMessage } from '#domain/messaging.js';
import { httpHandler, pathParameter, queryOf } from '#middleware/http-handler.js';
import { messagesFunction } from '#wiring/messages.js';

const deps = messagesFunction.build();

export const handler = httpHandler('messages')({
  'POST /v1/messages': async (_event, context) => {
    const { conversationID, text } = parseOrThrow(sendMessageBody, context.body, 'body');
    const message = await sendMessage(deps, { senderID: context.principal.userID, conversation: conversationID, text });
    return { statusCode: 201, data: message };
  },
  'GET /v1/conversations/{conversationID}/messages': async (event, context) => {
    const conversation = parseOrThrow(conversationIDSchema, pathParameter(event, 'conversationID'), 'path.conversationID');
    const query = parseOrThrow(pageQuery, queryOf(event), 'query', 'INVALID_QUERY');
    const page = await listMessages(deps, {
      userID: context.principal.userID,
      conversation,
      page: { limit: query.limit, ...(query.cursor ? { cursor: query.cursor } : {}) },
    });
    return { data: { messageList: page.items, nextCursor: page.nextCursor } };
  },
});
