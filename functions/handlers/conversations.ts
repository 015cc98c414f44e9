import { deletionIDSchema, pageQuery, parseOrThrow } from '#contracts/api-schemas.js';
import { listConversations } from '#domain/conversations.js';
import { getDeletionStatus } from '#domain/deletion-status.js';
import { httpHandler, pathParameter, queryOf } from '#middleware/http-handler.js';
import { conversationsFunction } from '#wiring/conversations.js';

const deps = conversationsFunction.build();

export const handler = httpHandler('conversations')({
  'GET /v1/conversations': async (event, context) => {
    const query = parseOrThrow(pageQuery, queryOf(event), 'query', 'INVALID_QUERY');
    return { data: await listConversations(deps, { userID: context.principal.userID, ...query }) };
  },
  'GET /v1/deletions/{deletionID}': async (event, context) => {
    const deletionID = parseOrThrow(deletionIDSchema, pathParameter(event, 'deletionID'), 'path.deletionID');
    return { data: await getDeletionStatus(deps, { userID: context.principal.userID, deletionID }) };
  },
});
