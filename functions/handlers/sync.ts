import { parseOrThrow, syncDeletionsQuery } from '#contracts/api-schemas.js';
import { listDeletionsSince } from '#domain/deletion-catch-up.js';
import { httpHandler, queryOf } from '#middleware/http-handler.js';
import { syncFunction } from '#wiring/sync.js';

const deps = syncFunction.build();

/** Offline catch-up of deletions made on the caller's other devices. */
export const handler = httpHandler('sync')({
  'GET /v1/sync/conversation-deletions': async (event, context) => {
    const query = parseOrThrow(syncDeletionsQuery, queryOf(event), 'query', 'INVALID_QUERY');
    return {
      data: await listDeletionsSince(deps, {
        userID: context.principal.userID,
        ...(query.since !== undefined ? { since: query.since } : {}),
        limit: query.limit,
      }),
    };
  },
});
