import { createGroupBody, parseOrThrow } from '#contracts/api-schemas.js';
import { createServiceDependencies } from '#adapters/index.js';
import { createGroup } from '#domain/groups.js';
import { httpHandler } from '#http/http-handler.js';

const deps = createServiceDependencies();

export const handler = httpHandler({
  'POST /v1/groups': async (_event, context) => {
    const body = parseOrThrow(createGroupBody, context.body, 'body');
    const group = await createGroup(deps, { callerID: context.principal.userID, groupID: body.groupID, memberList: body.memberList ?? [] });
    return { statusCode: 201, data: group };
  },
});
