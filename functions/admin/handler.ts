import { parseOrThrow, systemNotificationBody } from '#contracts/api-schemas.js';
import { settingsUpdateBody } from '#contracts/settings.js';
import { createServiceDependencies } from '#adapters/index.js';
import { createSettingsAdminDependencies } from '#adapters/sync-dependencies.js';
import { sendSystemNotification } from '#domain/messaging.js';
import { getSettings, updateSettings } from '#domain/settings.js';
import type { StoredSettings } from '#domain/sync-ports.js';
import { httpHandler } from '#http/http-handler.js';

const deps = createServiceDependencies();
const settingsDeps = createSettingsAdminDependencies();

/** Settings as the API shows them, with how long functions may keep using the previous value. */
const settingsView = (stored: StoredSettings) => ({
  ...stored.settings,
  updatedAt: stored.updatedAt,
  updatedBy: stored.updatedBy,
  appliesWithinSeconds: settingsDeps.cacheSeconds,
});

/** Admin-only routes; the admin claim is checked by the authenticate middleware from the route table. */
export const handler = httpHandler({
  'POST /v1/admin/system-notifications': async (_event, context) => {
    const body = parseOrThrow(systemNotificationBody, context.body, 'body');
    return { statusCode: 201, data: await sendSystemNotification(deps, body) };
  },
  'GET /v1/admin/settings': async () => ({ data: settingsView(await getSettings(settingsDeps)) }),
  'PUT /v1/admin/settings': async (_event, context) => {
    const changes = parseOrThrow(settingsUpdateBody, context.body, 'body');
    return { data: settingsView(await updateSettings(settingsDeps, { changes, adminUserID: context.principal.userID })) };
  },
});
