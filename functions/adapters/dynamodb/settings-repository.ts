import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ENV, requireEnv } from '#contracts/environment.js';
import { type AppSettings, DEFAULT_SETTINGS_CACHE_SECONDS, settingsFromStored } from '#contracts/settings.js';
import { keys } from '#contracts/table.js';
import { systemClock } from '#domain/ports/clock.js';
import type { SettingsReader, SettingsRepository, StoredSettings } from '#domain/ports/settings.js';
import { createCachedSettingsReader } from '#domain/settings.js';
import { defineAdapter, defineValue } from '#wiring/define.js';
import { documentClient } from './client.js';

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

export class SettingsCacheConfigError extends Error {
  public constructor(value: string) {
    super(`${ENV.settingsCacheSeconds}=${JSON.stringify(value)} is not a number of seconds (0 or more)`);
    this.name = 'SettingsCacheConfigError';
  }
}

/** How long a function may use the settings it read: SETTINGS_CACHE_SECONDS, else 10 s. */
export const settingsCacheSeconds = (env: NodeJS.ProcessEnv = process.env): number => {
  const raw = env[ENV.settingsCacheSeconds];
  if (raw === undefined || raw === '') return DEFAULT_SETTINGS_CACHE_SECONDS;
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds < 0) throw new SettingsCacheConfigError(raw);
  return seconds;
};

/** The stored settings, read and written directly (the admin routes). */
export const settingsRepository = defineAdapter<SettingsRepository>({
  env: [ENV.tableName],
  methods: { read: { table: ['dynamodb:GetItem'] }, update: { table: ['dynamodb:UpdateItem'] } },
  build: () => new DynamoSettingsRepository(documentClient(), requireEnv(ENV.tableName)),
});

/** The settings as the functions that honour them read them: at most once per cache period. */
export const cachedSettings = defineAdapter<SettingsReader>({
  env: [ENV.tableName, ENV.settingsCacheSeconds],
  methods: { current: { table: ['dynamodb:GetItem'] } },
  build: () =>
    createCachedSettingsReader(new DynamoSettingsRepository(documentClient(), requireEnv(ENV.tableName)), {
      ttlMs: settingsCacheSeconds() * 1000,
      clock: systemClock,
    }),
});

/** How long functions may keep using settings they read (the admin routes show it). */
export const settingsCachePeriod = defineValue({ env: [ENV.settingsCacheSeconds], build: () => ({ seconds: settingsCacheSeconds() }) });
