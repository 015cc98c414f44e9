/** Devices: who may connect, the registry of their WebSocket connections, and posting to them. */

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
