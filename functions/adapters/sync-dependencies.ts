/**
 * Composition root of multi-device sync: each function builds only what it uses, once per execution
 * environment, so its handler file shows which tables and APIs it touches.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { ENV, requireEnv } from '#contracts/environment.js';
import { DEFAULT_SETTINGS_CACHE_SECONDS } from '#contracts/settings.js';
import { systemClock } from '#domain/ports.js';
import { createCachedSettingsReader } from '#domain/settings.js';
import { metrics } from '#observability/powertools.js';
import { createTokenVerifier } from './auth/token-verifiers.js';
import { sharedDocumentClient } from './dynamodb/client.js';
import { DynamoConnectionRegistry } from './dynamodb/connection-registry.js';
import { DynamoDeletionLog, DynamoPushProgress } from './dynamodb/deletion-log.js';
import { DynamoSettingsRepository } from './dynamodb/settings-repository.js';
import { ApiGatewayConnectionGateway } from './websocket/connection-gateway.js';

/** Metric names of multi-device sync. */
export const SYNC_METRIC = {
  pushesSent: 'DeletionPushesSent',
  pushesGone: 'DeletionPushesGone',
  pushesFailed: 'DeletionPushesFailed',
  pushRetries: 'DeletionPushRetries',
} as const;

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

const table = () => ({ client: sharedDocumentClient(), tableName: requireEnv(ENV.tableName) });

/** Admin function: the stored settings, read and written directly. */
export const createSettingsAdminDependencies = () => {
  const { client, tableName } = table();
  return { clock: systemClock, settingsStore: new DynamoSettingsRepository(client, tableName), cacheSeconds: settingsCacheSeconds() };
};

const cachedSettings = (client: ReturnType<typeof sharedDocumentClient>, tableName: string) =>
  createCachedSettingsReader(new DynamoSettingsRepository(client, tableName), { ttlMs: settingsCacheSeconds() * 1000, clock: systemClock });

/** Sync function: settings (cached) and the deletion records. */
export const createCatchUpDependencies = () => {
  const { client, tableName } = table();
  return { clock: systemClock, settings: cachedSettings(client, tableName), deletionLog: new DynamoDeletionLog(client, tableName) };
};

/** $connect and $disconnect functions: the connection registry. */
export const createConnectionDependencies = () => {
  const { client, tableName } = table();
  return { clock: systemClock, connections: new DynamoConnectionRegistry(client, tableName) };
};

/** $connect authorizer: the token verifier only (no table). */
export const createAuthorizerDependencies = () => ({ verifier: createTokenVerifier() });

/** Push function: settings (cached), the registry, push progress and the WebSocket management API. */
export const createPushDependencies = () => {
  const { client, tableName } = table();
  return {
    clock: systemClock,
    settings: cachedSettings(client, tableName),
    connections: new DynamoConnectionRegistry(client, tableName),
    progress: new DynamoPushProgress(client, tableName),
    gateway: new ApiGatewayConnectionGateway({
      endpoint: requireEnv(ENV.websocketManagementEndpoint),
      onRetry: () => metrics.addMetric(SYNC_METRIC.pushRetries, MetricUnit.Count, 1),
    }),
  };
};
