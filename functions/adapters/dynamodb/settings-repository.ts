import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type AppSettings, settingsFromStored } from '#contracts/settings.js';
import { keys } from '#contracts/table.js';
import type { SettingsRepository, StoredSettings } from '#domain/sync-ports.js';

/** The app's settings as one item (`keys.settings()`), one attribute per setting. */
export class DynamoSettingsRepository implements SettingsRepository {
  public constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  public async read(): Promise<StoredSettings> {
    const response = await this.client.send(new GetCommand({ TableName: this.tableName, Key: keys.settings(), ConsistentRead: true }));
    return toStored(response.Item);
  }

  public async update(changes: Partial<AppSettings>, change: { updatedAt: string; updatedBy: string }): Promise<StoredSettings> {
    // SET only the named settings, so two admins changing different settings at once do not undo each other.
    const values: Record<string, unknown> = { ...changes, ...change };
    const names = Object.keys(values);
    const response = await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.settings(),
        UpdateExpression: `SET ${names.map((_, i) => `#n${i} = :v${i}`).join(', ')}`,
        ExpressionAttributeNames: Object.fromEntries(names.map((name, i) => [`#n${i}`, name])),
        ExpressionAttributeValues: Object.fromEntries(names.map((name, i) => [`:v${i}`, values[name]])),
        ReturnValues: 'ALL_NEW',
      }),
    );
    return toStored(response.Attributes);
  }
}

const toStored = (item: Record<string, unknown> | undefined): StoredSettings => ({
  settings: settingsFromStored(item),
  updatedAt: typeof item?.updatedAt === 'string' ? item.updatedAt : null,
  updatedBy: typeof item?.updatedBy === 'string' ? item.updatedBy : null,
});
