/** Groups and their members. */

export interface GroupRepository {
  /** Creates the group and its member list; throws GROUP_EXISTS if the ID is taken. */
  createGroup(input: { groupID: string; createdBy: string; memberList: string[]; createdAt: string }): Promise<void>;
  /** Member user IDs, or undefined when there is no such group. */
  listMembers(groupID: string): Promise<string[] | undefined>;
}
