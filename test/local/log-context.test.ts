/**
 * The local runner runs every function in one process, many invocations at once, as Lambda's multi-concurrency
 * runtime does: each invocation's log lines must carry its own function, request ID and keys, never another's.
 * Deletions (delete-conversations), their purges (purge-history, which appends deletionID/userID/attempt) and their
 * pushes (push-deletion, which appends deletionID/userID) run side by side here, and every line is checked.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { send } from '../support/chat.js';
import { startTestStack, type TestStack, uniqueUser } from '../support/stack.js';
import { Device } from '../support/websocket.js';

type LogLine = Record<string, unknown> & { message: string; function_name?: string; function_request_id?: string };

let stack: TestStack;
const lines: LogLine[] = [];
const write = process.stdout.write.bind(process.stdout);

beforeAll(async () => {
  // The functions' loggers read the level when they are first loaded, in this process.
  process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
  process.env.SETTINGS_CACHE_SECONDS = '0';
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    for (const text of String(chunk).split('\n')) {
      if (text.startsWith('{') && text.includes('"function_name"')) lines.push(JSON.parse(text) as LogLine);
    }
    return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stdout.write;
  stack = await startTestStack();
});

afterAll(async () => {
  process.stdout.write = write;
  await stack?.stop();
  delete process.env.POWERTOOLS_LOG_LEVEL;
});

describe('log lines of concurrent invocations', () => {
  it('name their own function and request and carry only their own keys', async () => {
    // Prepare: sync on (so each deletion is pushed), users each with a connected device and a chat to clear.
    const admin = await stack.as(uniqueUser('admin'), { admin: true });
    expect((await admin.request('PUT', '/v1/admin/settings', { body: { syncConversationDeletion: true } })).status).toBe(200);
    // Five chats each: a deletion of more than four conversations leaves its purge to purge-history.
    const users = Array.from({ length: 8 }, () => ({ userID: uniqueUser('u'), peers: Array.from({ length: 5 }, () => uniqueUser('p')) }));
    const devices: Device[] = [];
    for (const { userID, peers } of users) {
      for (const peer of peers) await send(await stack.as(peer), `C2C${userID}`, 'hello');
      devices.push(await Device.connect(stack, userID, `phone-${userID}`));
    }
    lines.length = 0;

    // Act: every user deletes at once, clearing the history; the purges and pushes run while the others answer.
    const answers = await Promise.all(
      users.map(async ({ userID, peers }) => (await stack.as(userID)).post('/v1/conversations/delete', { conversationIDList: peers.map((p) => `C2C${p}`) })),
    );
    await stack.bus.drain();
    await Promise.all(devices.map((device) => device.close()));

    // Assess
    expect(answers.map((a) => a.status)).toEqual(users.map(() => 200));
    const deleted = lines.filter((l) => l.message === 'conversations deleted');
    const purged = lines.filter((l) => l.message === 'purge run finished');
    expect(deleted).toHaveLength(users.length);
    expect(purged.length).toBeGreaterThanOrEqual(users.length);
    const ownFunction: Record<string, string> = {
      'conversations deleted': 'delete-conversations',
      'purge run finished': 'purge-history',
      'device connected': 'ws-connect',
      'device disconnected': 'ws-disconnect',
    };
    for (const line of lines) if (ownFunction[line.message]) expect(line.function_name, line.message).toBe(ownFunction[line.message]);
    // Keys appended by the purge (attempt) never show on a deletion's line, and each deletion logs its own user.
    for (const line of deleted) expect(Object.keys(line)).not.toContain('attempt');
    expect(new Set(deleted.map((l) => l.userID))).toEqual(new Set(users.map((u) => u.userID)));
    expect(new Set(deleted.map((l) => l.function_request_id)).size).toBe(users.length);
    // A purge's line names the deletion whose purge it ran.
    const deletionIDs = new Set(answers.map((a) => a.body.data.deletionID as string));
    for (const line of purged) expect(deletionIDs).toContain(line.deletionID);
  });
});
