import { createGroupBody, parseOrThrow } from '#contracts/api-schemas.js';
import { createGroup } from '#domain/groups.js';
import { httpHandler } from '#middleware/http-handler.js';
import { groupsFunction } from '#wiring/groups.js';

const deps = groupsFunction.build();

export const handler = httpHandler('groups')({
  'POST /v1/groups': async (_event, context) => {
    const body = parseOrThrow(createGroupBody, context.body, 'body');
    const group = await createGroup(deps, { callerID: context.principal.userID, groupID: body.groupID, memberList: body.memberList ?? [] });
    return { statusCode: 201, data: group };
  },
});
