/**
 * Device connections: who may open a WebSocket ($connect authorizer) and the per-user registry the push
 * reads ($connect registers, $disconnect removes; a TTL removes what a lost $disconnect leaves behind).
 */
import { parseOptionalHeader } from '#contracts/headers.js';
import { principalFromClaims } from '#contracts/auth.js';
import { ValidationError } from '#contracts/errors.js';
import type { Clock } from './ports/clock.js';
import { type ConnectionRegistry, type DeviceConnection, TokenRejectedError, type TokenVerifier } from './ports/devices.js';

/**
 * How long a registry entry lives without a $disconnect. API Gateway closes a WebSocket after 2 hours at most,
 * so an entry older than this is certainly dead; the push also ignores entries past it before TTL removes them.
 */
export const CONNECTION_TTL_SECONDS = 24 * 3600;

/** The device may not connect; `reason` is logged, never sent (API Gateway answers 403 on its own). */
export class ConnectionRefusedError extends Error {
  public constructor(
    public readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`connection refused: ${reason}`, options);
    this.name = 'ConnectionRefusedError';
  }
}

/** The authorizer's answer for a connection that may proceed; handed to $connect as the authorizer context. */
export type AuthorizedDevice = { userID: string; deviceID: string };

/**
 * `$connect` authorizer: the token must verify and name a user, and the device ID must have the `X-Device-ID`
 * format, since the push compares the two to skip the device that deleted.
 */
export const authorizeDevice = async (
  deps: { verifier: TokenVerifier },
  input: { token: string | undefined; deviceID: string | undefined },
): Promise<AuthorizedDevice> => {
  if (!input.token) throw new ConnectionRefusedError('no token: connect with ?token=<JWT>&deviceID=<id>');
  if (!input.deviceID) throw new ConnectionRefusedError('no deviceID: connect with ?token=<JWT>&deviceID=<id>');
  let deviceID: string;
  try {
    deviceID = parseOptionalHeader('deviceID', input.deviceID)!;
  } catch (error) {
    if (error instanceof ValidationError) throw new ConnectionRefusedError(error.message);
    throw error;
  }
  let claims: Record<string, unknown>;
  try {
    claims = await deps.verifier.verify(input.token);
  } catch (error) {
    if (error instanceof TokenRejectedError) throw new ConnectionRefusedError(error.message, { cause: error });
    throw error;
  }
  const principal = principalFromClaims(claims);
  if (!principal) throw new ConnectionRefusedError('the token names no user');
  return { userID: principal.userID, deviceID };
};

/** `$connect`: registers the connection under its user (the authorizer already vouched for both IDs). */
export const connectDevice = async (
  deps: { connections: Pick<ConnectionRegistry, 'register'>; clock: Clock },
  input: { connectionID: string; device: Partial<AuthorizedDevice> | undefined },
): Promise<DeviceConnection> => {
  const { userID, deviceID } = input.device ?? {};
  // Only a misconfigured route (no authorizer) gets here without them; refuse rather than register nobody.
  if (!userID || !deviceID) throw new Error('$connect reached without the authorizer context {userID, deviceID}: is the route guarded by ws-authorizer?');
  const now = deps.clock.now();
  const connection: DeviceConnection = {
    userID,
    deviceID,
    connectionID: input.connectionID,
    connectedAt: now.toISOString(),
    expiresAt: Math.floor(now.getTime() / 1000) + CONNECTION_TTL_SECONDS,
  };
  await deps.connections.register(connection);
  return connection;
};

/** `$disconnect`: removes the connection's entries; a connection never registered is fine (already gone). */
export const disconnectDevice = (deps: { connections: Pick<ConnectionRegistry, 'remove'> }, input: { connectionID: string }) =>
  deps.connections.remove(input.connectionID);

/** Entries still alive at `now` (DynamoDB TTL removes expired items up to days later). */
export const liveConnections = (connections: DeviceConnection[], now: Date): DeviceConnection[] =>
  connections.filter((c) => c.expiresAt > now.getTime() / 1000);
