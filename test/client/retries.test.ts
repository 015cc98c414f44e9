/**
 * The SDK meets the server's per-user rate limit (here 3 deletion calls per 2 s instead of 20 per 10 s, so the test
 * waits little): a 429 is retried after its Retry-After with the same Idempotency-Key and succeeds; with a shorter
 * patience than the Retry-After, the call rejects with RATE_LIMITED and the wait.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENV } from '#contracts/environment.js';
import { create } from '../../client/src/index.js';
import { send } from '../support/chat.js';
import { type TestStack, startTestStack, uniqueUser } from '../support/stack.js';

const WINDOW_SECONDS = 2;
/** The start of the next window, so that a burst of calls falls in one window whatever the test's pace. */
const nextWindowStart = () => new Promise((r) => setTimeout(r, WINDOW_SECONDS * 1000 - (Date.now() % (WINDOW_SECONDS * 1000)) + 20));

let stack: TestStack;
beforeAll(async () => {
  process.env[ENV.deletionRateLimit] = '3';
  process.env[ENV.deletionRateWindowSeconds] = String(WINDOW_SECONDS);
  stack = await startTestStack();
});
afterAll(async () => {
  delete process.env[ENV.deletionRateLimit];
  delete process.env[ENV.deletionRateWindowSeconds];
  await stack?.stop();
});

/** A user with a conversation with each of `count` peers, and a `chat` that records each deletion request's answer. */
const setUp = async (count: number, retry?: { maxRetryAfterMs: number }) => {
  const userID = uniqueUser('a');
  const peers = Array.from({ length: count }, () => uniqueUser('p'));
  for (const peer of peers) await send(await stack.as(userID), `C2C${peer}`, 'hi');
  const answers: { status: number; key: string | undefined; retryAfter: string | null }[] = [];
  const recording: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    if (String(input).endsWith('/v1/conversations/delete')) {
      answers.push({ status: response.status, key: (init?.headers as Record<string, string>)['idempotency-key'], retryAfter: response.headers.get('retry-after') });
    }
    return response;
  };
  const chat = create({ baseURL: stack.url, sync: false, fetch: recording, ...(retry ? { retry } : {}) });
  await chat.login({ userID, userSig: await stack.token(userID) });
  return { chat, peers, answers };
};

describe('rate limit', () => {
  it('a deletion refused with 429 is retried after Retry-After with the same key, and done', async () => {
    const { chat, peers, answers } = await setUp(4);
    await nextWindowStart();
    for (const peer of peers) await chat.deleteConversation(`C2C${peer}`);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 429, 200]);
    const [refused, retried] = answers.slice(3);
    expect(Number(refused!.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(retried!.key).toBe(refused!.key);
    expect((await chat.getConversationList()).data.conversationList).toEqual([]);
    await chat.destroy();
  });

  it('rejects with RATE_LIMITED and retryAfter when told to wait longer than it may', async () => {
    const { chat, peers } = await setUp(4, { maxRetryAfterMs: 0 });
    await nextWindowStart();
    for (const peer of peers.slice(0, 3)) await chat.deleteConversation(`C2C${peer}`);
    const imError = await chat.deleteConversation(`C2C${peers[3]}`).catch((e: unknown) => e);
    expect(imError).toMatchObject({ code: 42900, error: 'RATE_LIMITED', status: 429, retryAfter: expect.any(Number) });
    await chat.destroy();
  });
});
