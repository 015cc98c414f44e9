/**
 * The interfaces multi-device sync works through: app settings, the device connection registry, the WebSocket
 * gateway, push progress, the deletion log and token verification. Adapters implement them in
 * functions/adapters; nothing here imports an AWS SDK.
 */
import type { DeletionNotice } from '#contracts/push-messages.js';
import type { AppSettings } from '#contracts/settings.js';

export type StoredSettings = {
  settings: AppSettings;
  /** When an administrator last changed a setting; null while every setting has its default. */
  updatedAt: string | null;
  updatedBy: string | null;
};

export interface SettingsRepository {
  /** The settings as stored now (strongly consistent). */
  read(): Promise<StoredSettings>;
  /** Changes the named settings only, atomically; returns the result. */
  update(changes: Partial<AppSettings>, change: { updatedAt: string; updatedBy: string }): Promise<StoredSettings>;
}

/** Settings as the functions that honour them see them: possibly a few seconds old (see createCachedSettingsReader). */
export interface SettingsReader {
  current(): Promise<AppSettings>;
}

/** One device's WebSocket connection. */
export type DeviceConnection = {
  userID: string;
  connectionID: string;
  deviceID: string;
  connectedAt: string;
  /** Epoch seconds after which the entry is dead and DynamoDB TTL removes it. */
  expiresAt: number;
};

export interface ConnectionRegistry {
  /** Registers the connection under its user, with the reverse entry that $disconnect needs. */
  register(connection: DeviceConnection): Promise<void>;
  /** Removes both entries of a connection known only by its ID; returns what was registered, if anything. */
  remove(connectionID: string): Promise<DeviceConnection | undefined>;
  /** Removes both entries of a user's connection (the push already knows the user). */
  removeForUser(userID: string, connectionID: string): Promise<void>;
  /** Every registered connection of the user, expired ones included (TTL removal lags; the caller filters). */
  listForUser(userID: string): Promise<DeviceConnection[]>;
}

export type PostOutcome = 'sent' | 'gone';

/** The WebSocket API's management side (API Gateway's PostToConnection in the cloud, the local gateway locally). */
export interface ConnectionGateway {
  /** Sends one message: 'gone' when the connection no longer exists; throws when it still fails after retries. */
  post(connectionID: string, message: string): Promise<PostOutcome>;
}

export type DeletionKey = { userID: string; deletedAt: string; deletionID: string };

/** Which connections a deletion's push already reached, so a retried push only sends to the rest. */
export interface PushProgress {
  served(deletion: DeletionKey): Promise<Set<string>>;
  /** Adds to what served() returns; a no-op when the deletion record no longer exists. */
  recordServed(deletion: DeletionKey, connectionIDs: string[]): Promise<void>;
}

/**
 * The durable deletion records of one user in time order. A position is an opaque string; positions of
 * records compare as strings in deletion time order.
 */
export type DeletionLogEntry = { position: string; notice: DeletionNotice };

export interface DeletionLog {
  /** Records with position > after (every retained one when after is null), oldest first, at most `limit`. */
  listAfter(userID: string, after: string | null, limit: number): Promise<{ entries: DeletionLogEntry[]; hasMore: boolean }>;
  /** The position that precedes every deletion made at or after `time` and follows every earlier one. */
  positionAt(time: Date): string;
}

/** The token is not acceptable (bad signature, expired, wrong issuer or audience, malformed). */
export class TokenRejectedError extends Error {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TokenRejectedError';
  }
}

export interface TokenVerifier {
  /** The verified claims; throws TokenRejectedError for a bad token and anything else when it cannot tell (JWKS unreachable). */
  verify(token: string): Promise<Record<string, unknown>>;
}
