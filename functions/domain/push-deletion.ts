/**
 * The multi-device push: each deletion goes to every connected device of the user except the one that asked.
 *
 * Primary course:
 * 1. Nothing unless an administrator switched sync on.
 * 2. The user's live connections, minus the origin device, minus those an earlier run of this push reached.
 * 3. Post the message to all of them in parallel (the gateway retries transient failures itself).
 * 4. A connection that is gone (410) leaves the registry, unless it registered moments ago: API Gateway
 *    answers 410 for a connection whose $connect is still running, and removing it would orphan a live device.
 * 5. If some posts still failed, remember who was served and throw: the invocation is retried as a whole
 *    (Lambda's async retries, then the dead-letter queue), and the retry only posts to the rest.
 */
import pLimit from 'p-limit';
import type { DeviceChangeDetail } from '#contracts/events.js';
import { conversationDeletedMessage, noticeOf } from '#contracts/push-messages.js';
import { liveConnections } from './device-connections.js';
import type { Clock } from './ports/clock.js';
import type { PushProgress } from './ports/deletion-log.js';
import type { ConnectionGateway, ConnectionRegistry, DeviceConnection } from './ports/devices.js';
import type { SettingsReader } from './ports/settings.js';

/** Posts in flight at once; a user rarely has more devices, and this bounds sockets for the odd one that has. */
const POST_CONCURRENCY = 64;

/** A 410 for a connection younger than this may be one whose $connect has not finished; it keeps its entry. */
export const GONE_GRACE_MS = 30_000;

export type PushDeps = {
  settings: SettingsReader;
  connections: Pick<ConnectionRegistry, 'listForUser' | 'removeForUser'>;
  gateway: ConnectionGateway;
  progress: PushProgress;
  clock: Clock;
};

export type PushOutcome = {
  status: 'sync-off' | 'pushed';
  /** Connections the message reached in this run. */
  sent: number;
  /** Connections that were gone; `removed` of them left the registry. */
  gone: number;
  removed: number;
  /** Connections skipped because an earlier run of this push reached them. */
  alreadyServed: number;
};

/** Some devices could not be reached after retries; the ones that were are remembered, so a retry posts to the rest. */
export class PushIncompleteError extends Error {
  public constructor(
    public readonly failures: { connectionID: string; reason: string }[],
    public readonly outcome: PushOutcome,
  ) {
    super(`${failures.length} connection(s) not reached after retries (${failures[0]?.reason ?? ''}); the push will be retried for them only`);
    this.name = 'PushIncompleteError';
  }
}

export const pushDeletion = async (deps: PushDeps, detail: DeviceChangeDetail): Promise<PushOutcome> => {
  const outcome: PushOutcome = { status: 'sync-off', sent: 0, gone: 0, removed: 0, alreadyServed: 0 };

  // 1. Off unless switched on.
  if (!(await deps.settings.current()).syncConversationDeletion) return outcome;
  outcome.status = 'pushed';

  // 2. Who gets it.
  const [registered, served] = await Promise.all([deps.connections.listForUser(detail.userID), deps.progress.served(detail)]);
  const now = deps.clock.now();
  const others = liveConnections(registered, now).filter((c) => detail.originDeviceID === null || c.deviceID !== detail.originDeviceID);
  const targets = others.filter((c) => !served.has(c.connectionID));
  outcome.alreadyServed = others.length - targets.length;
  if (targets.length === 0) return outcome;

  // 3. In parallel.
  const message = JSON.stringify(conversationDeletedMessage(noticeOf(detail)));
  const limit = pLimit(POST_CONCURRENCY);
  const results = await Promise.all(
    targets.map((connection) =>
      limit(async () => {
        try {
          return { connection, outcome: await deps.gateway.post(connection.connectionID, message) };
        } catch (error) {
          return { connection, outcome: 'failed' as const, reason: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
        }
      }),
    ),
  );

  // 4. Gone connections leave the registry.
  const gone = results.filter((r) => r.outcome === 'gone').map((r) => r.connection);
  const stale = gone.filter((c) => now.getTime() - Date.parse(c.connectedAt) >= GONE_GRACE_MS);
  await Promise.all(stale.map((c) => deps.connections.removeForUser(c.userID, c.connectionID)));
  outcome.sent = results.filter((r) => r.outcome === 'sent').length;
  outcome.gone = gone.length;
  outcome.removed = stale.length;

  // 5. Partial failure: remember who is done, then fail the invocation so only the rest is retried.
  const failures = results.flatMap((r) => (r.outcome === 'failed' ? [{ connectionID: r.connection.connectionID, reason: r.reason }] : []));
  if (failures.length > 0) {
    const done: DeviceConnection[] = results.filter((r) => r.outcome !== 'failed').map((r) => r.connection);
    if (done.length > 0) await deps.progress.recordServed(detail, done.map((c) => c.connectionID));
    throw new PushIncompleteError(failures, outcome);
  }
  return outcome;
};
