import { parseOrThrow, systemNotificationBody } from '#contracts/api-schemas.js';
import { createServiceDependencies } from '#adapters/index.js';
import { sendSystemNotification } from '#domain/messaging.js';
import { httpHandler } from '#http/http-handler.js';

const deps = createServiceDependencies();

/** Admin-only routes; the admin claim is checked by the authenticate middleware from the route table. */
export const handler = httpHandler({
  'POST /v1/admin/system-notifications': async (_event, context) => {
    const body = parseOrThrow(systemNotificationBody, context.body, 'body');
    return { statusCode: 201, data: await sendSystemNotification(deps, body) };
  },
});
