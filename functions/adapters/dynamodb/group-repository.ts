import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { ENV, requireEnv } from '#contracts/environment.js';
import { keys } from '#contracts/table.js';
import { defineAdapter } from '#wiring/define.js';
import { documentClient } from './client.js';
import { GroupExistsError } from '#domain/errors.js';
import type { GroupRepository } from '#domain/ports/groups.js';
import { batchWrite } from './batch-writer.js';
import { queryAll } from './query-all.js';

export class DynamoGroupRepository implements GroupRepository {
  public constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  public async createGroup(input: { groupID: string; createdBy: string; memberList: string[]; createdAt: string }): Promise<void> {
    // The conditional metadata write claims the ID; only the winner of a race writes members.
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...keys.group(input.groupID), groupID: input.groupID, createdBy: input.createdBy, createdAt: input.createdAt },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new GroupExistsError(input.groupID, { cause: error });
      throw error;
    }
    const result = await batchWrite(
      this.client,
      input.memberList.map((userID) => ({
        PutRequest: { Item: { ...keys.groupMember(input.groupID, userID), userID, joinedAt: input.createdAt } },
      })),
      { tableName: this.tableName, deadline: Date.now() + 10_000 },
    );
    if (result.failed.length > 0) throw new Error(`${result.failed.length} group members not written: ${result.failed[0]!.reason}`);
  }

  public async listMembers(groupID: string): Promise<string[] | undefined> {
    const items = await queryAll(this.client, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': keys.group(groupID).pk },
      ConsistentRead: true,
    });
    const members: string[] = [];
    let exists = false;
    for (const item of items) {
      if (item.sk === keys.group(groupID).sk) exists = true;
      else if ((item.sk as string).startsWith(keys.groupMemberPrefix)) members.push(item.userID as string);
    }
    return exists ? members : undefined;
  }
}

export const groupRepository = defineAdapter<GroupRepository>({
  env: [ENV.tableName],
  methods: {
    // The conditional metadata Put claims the ID; members by BatchWrite.
    createGroup: { table: ['dynamodb:PutItem', 'dynamodb:BatchWriteItem'] },
    listMembers: { table: ['dynamodb:Query'] },
  },
  build: () => new DynamoGroupRepository(documentClient(), requireEnv(ENV.tableName)),
});
