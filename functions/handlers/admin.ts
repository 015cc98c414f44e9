import { deletionAuditQuery, parseOrThrow, settingsUpdateBody, systemNotificationBody, userIDSchema } from '#contracts/api-schemas.js';
import { listUserDeletions } from '#domain/deletion-status.js';
import { sendSystemNotification } from '#domain/messaging.js';
import type { StoredSettings } from '#domain/ports/settings.js';
import { getSettings, updateSettings } from '#domain/settings.js';
import { httpHandler, pathParameter, queryOf } from '#middleware/http-handler.js';
import { adminFunction } from '#wiring/admin.js';

const deps = adminFunction.build();

/** Settings as the API shows them, with how long functions may keep using the previous value. */
const settingsView = (stored: StoredSettings) => ({
  ...stored.settings,
  updatedAt: stored.updatedAt,
  updatedBy: stored.updatedBy,
  appliesWithinSeconds: deps.settingsCache.seconds,
});

/** Admin-only routes; the admin claim is checked by the authenticate middleware from the route table. */
export const handler = httpHandler('admin')({
  'POST /v1/admin/system-notifications': async (_event, context) => {
    const body = parseOrThrow(systemNotificationBody, context.body, 'body');
    return { statusCode: 201, data: await sendSystemNotification(deps, body) };
  },
  'GET /v1/admin/users/{userID}/deletions': async (event) => {
    const userID = parseOrThrow(userIDSchema, pathParameter(event, 'userID'), 'path.userID');
    const query = parseOrThrow(deletionAuditQuery, queryOf(event), 'query', 'INVALID_QUERY');
    return { data: await listUserDeletions(deps, { userID, since: query.since ?? null, cursor: query.cursor ?? null, limit: query.limit }) };
  },
  'GET /v1/admin/settings': async () => ({ data: settingsView(await getSettings(deps)) }),
  'PUT /v1/admin/settings': async (_event, context) => {
    const changes = parseOrThrow(settingsUpdateBody, context.body, 'body');
    return { data: settingsView(await updateSettings(deps, { changes, adminUserID: context.principal.userID })) };
  },
});
