import { MAX_GROUP_MEMBERS } from '#contracts/api-schemas.js';
import { GroupTooLargeError } from './errors.js';
import type { Clock } from './ports/clock.js';
import type { GroupRepository } from './ports/groups.js';

/** `POST /v1/groups`: the caller creates a group and becomes a member. */
export const createGroup = async (
  deps: { groups: Pick<GroupRepository, 'createGroup'>; clock: Clock },
  input: { callerID: string; groupID: string; memberList: string[] },
) => {
  const memberList = [...new Set([input.callerID, ...input.memberList])];
  if (memberList.length > MAX_GROUP_MEMBERS) {
    throw new GroupTooLargeError(memberList.length, MAX_GROUP_MEMBERS);
  }
  const createdAt = deps.clock.now().toISOString();
  await deps.groups.createGroup({ groupID: input.groupID, createdBy: input.callerID, memberList, createdAt });
  return { groupID: input.groupID, createdBy: input.callerID, memberList, createdAt };
};
