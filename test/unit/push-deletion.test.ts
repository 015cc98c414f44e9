import { describe, expect, it } from 'vitest';
import type { ConversationsDeletedDetail } from '#contracts/events.js';
import { GONE_GRACE_MS, PushIncompleteError, type PushDeps, pushDeletion } from '#domain/push-deletion.js';
import type { DeletionKey, PushProgress } from '#domain/ports/deletion-log.js';
import type { ConnectionRegistry, DeviceConnection, PostOutcome } from '#domain/ports/devices.js';

const NOW = Date.parse('2025-03-01T12:00:00Z');
const clock = { now: () => new Date(NOW) };

class MemoryRegistry implements ConnectionRegistry {
  public readonly items = new Map<string, DeviceConnection>();
  public async register(c: DeviceConnection) {
    this.items.set(c.connectionID, c);
  }
  public async remove(id: string) {
    const c = this.items.get(id);
    this.items.delete(id);
    return c;
  }
  public async removeForUser(_userID: string, id: string) {
    this.items.delete(id);
  }
  public async listForUser(userID: string) {
    return [...this.items.values()].filter((c) => c.userID === userID);
  }
}

class MemoryProgress implements PushProgress {
  public readonly served_ = new Map<string, Set<string>>();
  public async served(d: DeletionKey) {
    return new Set(this.served_.get(d.deletionID) ?? []);
  }
  public async recordServed(d: DeletionKey, ids: string[]) {
    this.served_.set(d.deletionID, new Set([...(this.served_.get(d.deletionID) ?? []), ...ids]));
  }
}

/** Records every post; `behaviour` says how each connection answers. */
const gatewayOf = (behaviour: Record<string, PostOutcome | 'fail'> = {}) => {
  const posts: { connectionID: string; message: any }[] = [];
  return {
    posts,
    post: async (connectionID: string, message: string): Promise<PostOutcome> => {
      posts.push({ connectionID, message: JSON.parse(message) });
      const outcome = behaviour[connectionID] ?? 'sent';
      if (outcome === 'fail') throw new Error('ServiceUnavailable after retries');
      return outcome;
    },
  };
};

const connection = (connectionID: string, deviceID: string, overrides: Partial<DeviceConnection> = {}): DeviceConnection => ({
  userID: 'alice',
  connectionID,
  deviceID,
  connectedAt: new Date(NOW - 3600_000).toISOString(),
  expiresAt: NOW / 1000 + 3600,
  ...overrides,
});

const detail: ConversationsDeletedDetail = {
  deletionID: 'del-1',
  userID: 'alice',
  conversationIDList: ['C2Cbob'],
  clearHistoryMessage: true,
  deletedAt: '2025-03-01T11:59:59.000Z',
  originDeviceID: 'phone',
  historyPurge: 'complete',
};

const setup = async (connections: DeviceConnection[], behaviour?: Record<string, PostOutcome | 'fail'>, syncOn = true) => {
  const connectionsStore = new MemoryRegistry();
  for (const c of connections) await connectionsStore.register(c);
  const gateway = gatewayOf(behaviour);
  const progress = new MemoryProgress();
  const deps: PushDeps = { settings: { current: async () => ({ syncConversationDeletion: syncOn, deletionGracePeriodSeconds: 600 }) }, connections: connectionsStore, gateway, progress, clock };
  return { deps, gateway, progress, registry: connectionsStore };
};

describe('pushDeletion', () => {
  it('sends nothing while sync is off', async () => {
    const { deps, gateway } = await setup([connection('c1', 'laptop')], {}, false);
    expect(await pushDeletion(deps, detail)).toMatchObject({ status: 'sync-off', sent: 0 });
    expect(gateway.posts).toEqual([]);
  });

  it('sends the message to every live connection except the origin device and other users', async () => {
    // Prepare
    const { deps, gateway } = await setup([
      connection('c1', 'phone'),
      connection('c2', 'laptop'),
      connection('c3', 'tablet'),
      connection('c4', 'tablet-old', { expiresAt: NOW / 1000 - 1 }),
      connection('c5', 'laptop', { userID: 'bob' }),
    ]);

    // Act
    const outcome = await pushDeletion(deps, detail);

    // Assess
    expect(gateway.posts.map((p) => p.connectionID).sort()).toEqual(['c2', 'c3']);
    expect(gateway.posts[0]!.message).toEqual({
      type: 'conversation.deleted',
      data: { kind: 'conversationsDeleted', deletionID: 'del-1', conversationIDList: ['C2Cbob'], clearHistoryMessage: true, deletedAt: detail.deletedAt, originDeviceID: 'phone' },
    });
    expect(outcome).toEqual({ status: 'pushed', sent: 2, gone: 0, removed: 0, alreadyServed: 0 });
  });

  it('sends to every device, the origin included, when the deletion named no device', async () => {
    const { deps, gateway } = await setup([connection('c1', 'phone'), connection('c2', 'laptop')]);
    await pushDeletion(deps, { ...detail, originDeviceID: null });
    expect(gateway.posts.map((p) => p.connectionID).sort()).toEqual(['c1', 'c2']);
  });

  it('removes gone connections, except one registered within the grace period', async () => {
    // Prepare
    const fresh = new Date(NOW - GONE_GRACE_MS + 1000).toISOString();
    const { deps, registry } = await setup([connection('c1', 'laptop'), connection('c2', 'tablet'), connection('c3', 'watch', { connectedAt: fresh })], {
      c2: 'gone',
      c3: 'gone',
    });

    // Act
    const outcome = await pushDeletion(deps, detail);

    // Assess
    expect(outcome).toMatchObject({ sent: 1, gone: 2, removed: 1 });
    expect([...registry.items.keys()].sort()).toEqual(['c1', 'c3']);
  });

  it('on partial failure remembers who was served and throws; the retry posts to the rest only', async () => {
    // Prepare
    const behaviour: Record<string, PostOutcome | 'fail'> = { c3: 'fail', c4: 'gone' };
    const { deps, gateway, progress } = await setup([connection('c2', 'laptop'), connection('c3', 'tablet'), connection('c4', 'watch')], behaviour);

    // Act
    const error = await pushDeletion(deps, detail).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(PushIncompleteError);
    expect((error as PushIncompleteError).failures).toEqual([{ connectionID: 'c3', reason: 'Error: ServiceUnavailable after retries' }]);
    expect([...(await progress.served(detail))].sort()).toEqual(['c2', 'c4']);

    // Act: the retry, once the connection recovers.
    behaviour.c3 = 'sent';
    gateway.posts.length = 0;
    const retried = await pushDeletion(deps, detail);

    // Assess
    expect(gateway.posts.map((p) => p.connectionID)).toEqual(['c3']);
    expect(retried).toMatchObject({ sent: 1, alreadyServed: 1 });
  });
});
