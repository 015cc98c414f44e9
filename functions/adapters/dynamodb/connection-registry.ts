import { DeleteCommand, type DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { ENV, requireEnv } from '#contracts/environment.js';
import { TTL_ATTRIBUTE, keys } from '#contracts/table.js';
import { defineAdapter } from '#wiring/define.js';
import { documentClient } from './client.js';
import type { ConnectionRegistry, DeviceConnection } from '#domain/ports/devices.js';
import { queryAll } from './query-all.js';

/**
 * Device connections: one item per connection in the user's partition (`keys.connection`), which the push
 * queries, plus a reverse item (`keys.connectionOwner`) for $disconnect, which only knows the connection ID.
 * Both carry the TTL, so entries a lost $disconnect leaves behind expire.
 */
export class DynamoConnectionRegistry implements ConnectionRegistry {
  public constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  public async register(connection: DeviceConnection): Promise<void> {
    const attributes = { ...fieldsOf(connection), [TTL_ATTRIBUTE]: connection.expiresAt };
    // Both or neither: a registry entry without its owner item could never be removed by $disconnect.
    await this.client.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: this.tableName, Item: { ...keys.connection(connection.userID, connection.connectionID), ...attributes } } },
          { Put: { TableName: this.tableName, Item: { ...keys.connectionOwner(connection.connectionID), ...attributes } } },
        ],
      }),
    );
  }

  public async remove(connectionID: string): Promise<DeviceConnection | undefined> {
    const response = await this.client.send(
      new DeleteCommand({ TableName: this.tableName, Key: keys.connectionOwner(connectionID), ReturnValues: 'ALL_OLD' }),
    );
    if (!response.Attributes) return undefined;
    const connection = toConnection(response.Attributes);
    await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: keys.connection(connection.userID, connectionID) }));
    return connection;
  }

  public async removeForUser(userID: string, connectionID: string): Promise<void> {
    await Promise.all([
      this.client.send(new DeleteCommand({ TableName: this.tableName, Key: keys.connection(userID, connectionID) })),
      this.client.send(new DeleteCommand({ TableName: this.tableName, Key: keys.connectionOwner(connectionID) })),
    ]);
  }

  public async listForUser(userID: string): Promise<DeviceConnection[]> {
    const items = await queryAll(this.client, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': keys.connectionPartition(userID) },
    });
    return items.map(toConnection);
  }
}

const fieldsOf = (c: DeviceConnection) => ({ userID: c.userID, connectionID: c.connectionID, deviceID: c.deviceID, connectedAt: c.connectedAt });

const toConnection = (item: Record<string, unknown>): DeviceConnection => ({
  userID: item.userID as string,
  connectionID: item.connectionID as string,
  deviceID: item.deviceID as string,
  connectedAt: item.connectedAt as string,
  expiresAt: item[TTL_ATTRIBUTE] as number,
});

export const connectionRegistry = defineAdapter<ConnectionRegistry>({
  env: [ENV.tableName],
  methods: {
    // One TransactWriteItems of two Puts: IAM authorizes each Put as PutItem.
    register: { table: ['dynamodb:PutItem'] },
    remove: { table: ['dynamodb:DeleteItem'] },
    removeForUser: { table: ['dynamodb:DeleteItem'] },
    listForUser: { table: ['dynamodb:Query'] },
  },
  build: () => new DynamoConnectionRegistry(documentClient(), requireEnv(ENV.tableName)),
});
