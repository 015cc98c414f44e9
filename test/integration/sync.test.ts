/**
 * Multi-device sync on the real local stack: real WebSocket devices, the local bus running the push function,
 * the Management API answered by the local gateway, DynamoDB Local underneath. Tests run in order: sync is
 * off until the "turns it on" test switches it on for this file's table.
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoConnectionRegistry } from '#adapters/dynamodb/connection-registry.js';
import { keys } from '#contracts/table.js';
import { LocalAuth } from '#local/local-auth.js';
import { type ApiClient, type TestStack, startTestStack, uniqueUser } from '../support/stack.js';
import { Device, eventually, refusedStatus } from '../support/websocket.js';

let stack: TestStack;
const devices: Device[] = [];

beforeAll(async () => {
  // Functions read settings at most every SETTINGS_CACHE_SECONDS; 0 makes the switch apply at once, so these
  // tests need no wait. The cache itself is covered in test/unit/settings.test.ts.
  process.env.SETTINGS_CACHE_SECONDS = '0';
  stack = await startTestStack();
});
afterAll(async () => {
  await Promise.all(devices.map((d) => d.close()));
  await stack?.stop();
});

const connect = async (userID: string, deviceID: string) => {
  const device = await Device.connect(stack, userID, deviceID);
  devices.push(device);
  return device;
};

const deleteFrom = async (client: ApiClient, conversationIDList: string[], deviceID?: string) => {
  const response = await client.post('/v1/conversations/delete', { conversationIDList, clearHistoryMessage: false }, deviceID ? { 'X-Device-ID': deviceID } : undefined);
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  return response.body.data as { conversationIDList: string[]; deletedAt: string };
};

/** Every push the bus started has finished, and every frame it wrote has reached these devices. */
const settled = async (...of: Device[]) => {
  await stack.bus.drain();
  await Promise.all(of.map((d) => d.flush()));
};

const registeredDevices = async (userID: string): Promise<{ deviceID: string; connectionID: string }[]> => {
  const response = await stack.db.send(
    new QueryCommand({ TableName: stack.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': keys.connectionPartition(userID) }, ConsistentRead: true }),
  );
  return (response.Items ?? []).map((i) => ({ deviceID: i.deviceID as string, connectionID: i.connectionID as string }));
};

const itemExists = async (key: { pk: string; sk: string }) => {
  const response = await stack.db.send(
    new QueryCommand({
      TableName: stack.tableName,
      KeyConditionExpression: 'pk = :pk AND sk = :sk',
      ExpressionAttributeValues: { ':pk': key.pk, ':sk': key.sk },
      ConsistentRead: true,
    }),
  );
  return (response.Items ?? []).length > 0;
};

const syncPage = async (client: ApiClient, since?: string | null, limit?: number) => {
  const query = new URLSearchParams();
  if (since) query.set('since', since);
  if (limit) query.set('limit', String(limit));
  const response = await client.get(`/v1/sync/conversation-deletions${query.size ? `?${query}` : ''}`);
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  return response.body.data as { syncConversationDeletion: boolean; deletionList: any[]; nextCursor: string | null; hasMore: boolean };
};

const alice = uniqueUser('alice');
const bob = uniqueUser('bob');

describe('WebSocket connections', () => {
  it('refuses a missing token (401), a bad token or device ID (403) and another path (404)', async () => {
    // Prepare
    const good = await stack.token(alice);
    const foreign = await LocalAuth.create().issue(alice, false);
    const url = (query: string) => `${stack.websocketUrl}?${query}`;

    // Act / Assess
    expect(await refusedStatus(url('deviceID=phone'))).toBe(401);
    expect(await refusedStatus(url('token=not-a-jwt&deviceID=phone'))).toBe(403);
    expect(await refusedStatus(url(`token=${foreign}&deviceID=phone`))).toBe(403);
    expect(await refusedStatus(url(`token=${good}`))).toBe(403);
    expect(await refusedStatus(url(`token=${good}&deviceID=${encodeURIComponent('bad device')}`))).toBe(403);
    expect(await refusedStatus(url(`token=${good}&deviceID=${'x'.repeat(129)}`))).toBe(403);
    expect(await refusedStatus(`${stack.websocketUrl.replace('/v1/ws', '/v1/other')}?token=${good}&deviceID=phone`)).toBe(404);
    expect(await registeredDevices(alice)).toEqual([]);
  });

  it('registers each connection under its user with a TTL, plus the reverse entry', async () => {
    // Act
    const device = await connect(uniqueUser('dora'), 'laptop');

    // Assess
    const [entry] = await registeredDevices(device.userID);
    expect(entry?.deviceID).toBe('laptop');
    const stored = await stack.db.send(
      new QueryCommand({ TableName: stack.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': keys.connectionPartition(device.userID) } }),
    );
    const item = stored.Items![0]!;
    const nowSeconds = Date.now() / 1000;
    expect(item.expiresAt).toBeGreaterThan(nowSeconds + 23 * 3600);
    expect(item.expiresAt).toBeLessThan(nowSeconds + 25 * 3600);
    expect(await itemExists(keys.connectionOwner(entry!.connectionID))).toBe(true);
  });
});

describe('app settings', () => {
  it('is off by default, and only admins may read or change it (403 ADMIN_REQUIRED)', async () => {
    // Prepare
    const admin = await stack.as(uniqueUser('admin'), { admin: true });
    const user = await stack.as(alice);

    // Act
    const read = await admin.get('/v1/admin/settings');
    const userRead = await user.get('/v1/admin/settings');
    const userWrite = await user.request('PUT', '/v1/admin/settings', { body: { syncConversationDeletion: true } });

    // Assess
    expect(read.status).toBe(200);
    // deletionGracePeriodSeconds: 0 is what the test stack stores before the test (test/support/stack.ts).
    expect(read.body).toEqual({ code: 0, data: { syncConversationDeletion: false, deletionGracePeriodSeconds: 0, updatedAt: null, updatedBy: null, appliesWithinSeconds: 0 } });
    expect(userRead.status).toBe(403);
    expect(userWrite.status).toBe(403);
    expect(userWrite.body).toMatchObject({ code: 40300, error: 'ADMIN_REQUIRED' });
    expect((await admin.get('/v1/admin/settings')).body.data.syncConversationDeletion).toBe(false);
  });

  it('refuses bad bodies with stable codes and changes nothing', async () => {
    // Prepare
    const admin = await stack.as(uniqueUser('admin'), { admin: true });
    const put = (options: { body?: unknown; rawBody?: string; headers?: Record<string, string> }) => admin.request('PUT', '/v1/admin/settings', options);

    // Act
    const cases = [
      { response: await put({ body: { syncConversationDeletion: true, colour: 'red' } }), status: 400, error: 'UNKNOWN_FIELD' },
      { response: await put({ body: { syncConversationDeletion: 'yes' } }), status: 400, error: 'INVALID_REQUEST' },
      { response: await put({ body: { syncConversationDeletion: 1 } }), status: 400, error: 'INVALID_REQUEST' },
      { response: await put({ body: { syncConversationDeletion: null } }), status: 400, error: 'INVALID_REQUEST' },
      { response: await put({ body: {} }), status: 400, error: 'INVALID_REQUEST' },
      { response: await put({ body: [true] }), status: 400, error: 'INVALID_REQUEST' },
      { response: await put({}), status: 400, error: 'INVALID_REQUEST' },
      { response: await put({ rawBody: '{"syncConversationDeletion":tru', headers: { 'content-type': 'application/json' } }), status: 400, error: 'INVALID_JSON' },
    ];

    // Assess
    for (const c of cases) {
      expect(c.response.status, JSON.stringify(c.response.body)).toBe(c.status);
      expect(c.response.body.error).toBe(c.error);
      expect(c.response.body.message).toEqual(expect.any(String));
    }
    expect(cases[1]!.response.body.message).toContain('syncConversationDeletion must be true or false');
    expect((await admin.get('/v1/admin/settings')).body.data).toMatchObject({ syncConversationDeletion: false, updatedAt: null });
  });
});

describe('push of deletions to the other devices', () => {
  let a: Device, b: Device, c: Device, other: Device;
  let asAlice: ApiClient;

  beforeAll(async () => {
    [a, b, c, other] = await Promise.all([connect(alice, 'phone'), connect(alice, 'laptop'), connect(alice, 'tablet'), connect(bob, 'phone')]);
    asAlice = await stack.as(alice);
  });

  it('pushes nothing while sync is off, and the catch-up says it is off', async () => {
    // Act
    await deleteFrom(asAlice, [`C2C${bob}`], 'phone');
    await settled(a, b, c, other);

    // Assess
    for (const device of [a, b, c, other]) expect(device.received).toEqual([]);
    const page = await syncPage(asAlice);
    expect(page).toEqual({ syncConversationDeletion: false, deletionList: [], nextCursor: null, hasMore: false });
    expect(stack.backgroundErrors).toEqual([]);
  });

  it('after an admin turns it on, a deletion from device A reaches B and C, not A and not another user', async () => {
    // Prepare
    const admin = await stack.as(uniqueUser('admin'), { admin: true });
    const switched = await admin.request('PUT', '/v1/admin/settings', { body: { syncConversationDeletion: true } });
    expect(switched.status, JSON.stringify(switched.body)).toBe(200);
    expect(switched.body.data).toMatchObject({ syncConversationDeletion: true, updatedBy: expect.stringMatching(/^admin/), updatedAt: expect.any(String) });

    // Act
    const deleted = await deleteFrom(asAlice, [`C2C${bob}`, 'GROUPfriends'], 'phone');

    // Assess
    const [atB, atC] = await Promise.all([b.next(), c.next()]);
    expect(atB).toEqual({
      type: 'conversation.deleted',
      data: { kind: 'conversationsDeleted', deletionID: expect.any(String), conversationIDList: [`C2C${bob}`, 'GROUPfriends'], clearHistoryMessage: false, deletedAt: deleted.deletedAt, originDeviceID: 'phone' },
    });
    expect(atC).toEqual(atB);
    await settled(a, b, c, other);
    expect(a.received).toEqual([]);
    expect(other.received).toEqual([]);
    expect(b.received).toHaveLength(1);
    expect(c.received).toHaveLength(1);
    // The push and the catch-up describe a deletion the same way.
    const page = await syncPage(asAlice);
    expect(page.deletionList.at(-1)).toEqual(atB.data);
  });

  it('reaches every device of the user when the request names no device', async () => {
    // Act
    await deleteFrom(asAlice, ['C2Ccarl']);

    // Assess
    const pushed = await Promise.all([a, b, c].map((d) => d.next((m) => m.data.conversationIDList[0] === 'C2Ccarl')));
    expect(pushed.map((m) => m.data.originDeviceID)).toEqual([null, null, null]);
    await settled(other);
    expect(other.received).toEqual([]);
  });

  it('removes a closed connection from the registry', async () => {
    // Prepare
    const closing = await connect(alice, 'old-watch');
    const entry = (await registeredDevices(alice)).find((d) => d.deviceID === 'old-watch')!;
    expect(entry).toBeDefined();

    // Act
    await closing.close();

    // Assess
    await eventually(async () => !(await registeredDevices(alice)).some((d) => d.deviceID === 'old-watch'), '$disconnect removed the registry entry');
    expect(await itemExists(keys.connectionOwner(entry.connectionID))).toBe(false);
  });

  it('answers 410 for a connection that vanished without $disconnect, and the push removes its entries', async () => {
    // Prepare: entries for connections the gateway does not know, as a lost $disconnect leaves them.
    const registry = new DynamoConnectionRegistry(stack.db, stack.tableName);
    const expiresAt = Math.floor(Date.now() / 1000) + 3600;
    const vanished = { userID: alice, connectionID: 'VanishedConn0001', deviceID: 'lost-phone', connectedAt: new Date(Date.now() - 120_000).toISOString(), expiresAt };
    // Registered a moment ago: API Gateway answers 410 while a $connect is still running, so this one stays.
    const connecting = { userID: alice, connectionID: 'ConnectingConn01', deviceID: 'new-phone', connectedAt: new Date().toISOString(), expiresAt };
    await registry.register(vanished);
    await registry.register(connecting);
    const direct = await fetch(`${stack.url}/@connections/${vanished.connectionID}`, { method: 'POST', body: '{}', headers: stack.awsEndpointHeaders });
    expect(direct.status).toBe(410);
    await direct.arrayBuffer();

    // Act
    await deleteFrom(asAlice, ['C2Cdave'], 'phone');

    // Assess
    await b.next((m) => m.data.conversationIDList[0] === 'C2Cdave');
    await stack.bus.drain();
    const left = (await registeredDevices(alice)).map((d) => d.deviceID).sort();
    expect(left).toEqual(['laptop', 'new-phone', 'phone', 'tablet']);
    expect(await itemExists(keys.connectionOwner(vanished.connectionID))).toBe(false);
    expect(stack.backgroundErrors).toEqual([]);
  });
});

describe('offline catch-up', () => {
  it('lists the deletions made while a device was offline, page by page, and converges', async () => {
    // Prepare: carol's tablet is offline; her phone deletes five times.
    const carol = uniqueUser('carol');
    const tablet = await stack.as(carol);
    const first = await syncPage(tablet);
    expect(first).toEqual({ syncConversationDeletion: true, deletionList: [], nextCursor: null, hasMore: false });
    const made: string[] = [];
    for (let i = 1; i <= 5; i++) {
      const deleted = await deleteFrom(tablet, [`C2Cpeer${i}`], 'phone');
      made.push(deleted.conversationIDList[0]!);
    }
    await deleteFrom(await stack.as(uniqueUser('erin')), ['C2Cpeer9']);

    // Act: the tablet comes back and pages with limit 2.
    const pages = [];
    let cursor = first.nextCursor;
    do {
      const page = await syncPage(tablet, cursor, 2);
      pages.push(page);
      cursor = page.nextCursor;
    } while (pages.at(-1)!.hasMore);

    // Assess
    expect(pages.map((p) => [p.deletionList.length, p.hasMore])).toEqual([
      [2, true],
      [2, true],
      [1, false],
    ]);
    const listed = pages.flatMap((p) => p.deletionList);
    expect(listed.map((d) => d.conversationIDList[0])).toEqual(made);
    expect(new Set(listed.map((d) => d.deletionID)).size).toBe(5);
    expect(listed.every((d) => d.originDeviceID === 'phone' && d.clearHistoryMessage === false)).toBe(true);

    // The final cursor steps back over the last minute (records may land late), so these come again; a client
    // drops them by deletionID. A later deletion follows them.
    await deleteFrom(tablet, ['C2Cpeer6'], 'phone');
    const again = await syncPage(tablet, cursor, 100);
    expect(again.deletionList.map((d) => d.conversationIDList[0])).toEqual([...made, 'C2Cpeer6']);
    expect(again.deletionList.slice(0, 5).map((d) => d.deletionID)).toEqual(listed.map((d) => d.deletionID));
  });

  it('refuses a cursor it did not issue (INVALID_CURSOR) and bad query parameters', async () => {
    // Prepare
    const client = await stack.as(uniqueUser('frank'));
    const get = (query: string) => client.get(`/v1/sync/conversation-deletions?${query}`);
    const forged = Buffer.from(JSON.stringify({ pk: 'DELETIONS#someone', sk: 'x' })).toString('base64url');

    // Act / Assess
    for (const since of ['not-a-cursor!', forged, Buffer.from('[1]').toString('base64url'), 'x'.repeat(3000)]) {
      const response = await get(`since=${encodeURIComponent(since)}`);
      expect(response.status, since).toBe(400);
      expect(response.body).toMatchObject({ code: 40006, error: 'INVALID_CURSOR' });
    }
    expect((await get('limit=0')).body).toMatchObject({ error: 'INVALID_QUERY' });
    expect((await get('limit=101')).body).toMatchObject({ error: 'INVALID_QUERY' });
    expect((await get('cursor=abc')).body).toMatchObject({ error: 'UNKNOWN_FIELD' });
    expect((await stack.anonymous.get('/v1/sync/conversation-deletions')).status).toBe(401);
  });
});
