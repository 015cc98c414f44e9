/**
 * The built SDK, unchanged, in a real browser (Debian's Chromium, headless, driven by playwright-core): a page served
 * from another local port than the API imports client/dist as ES modules and uses the browser's own fetch, WebSocket
 * and localStorage. Its calls cross origins, so the local runner's CORS answers are part of what is proven. A device
 * in Node deletes a conversation and the page's list drops it (push); the page deletes one and the Node device
 * drops it. Skipped, with the reason, where no Chromium is installed (`apt-get install -y chromium`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize, resolve } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Chat } from '../../client/src/chat.js';
import { create, EVENT } from '../../client/src/index.js';
import { send } from '../support/chat.js';
import { type TestStack, startTestStack, uniqueUser } from '../support/stack.js';
import { ids, recordEvents, RecordingWebSocket } from './support.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const DIST = resolve('client/dist');

let stack: TestStack;
let site: Server;
let siteURL: string;
let browser: Browser;
let page: Page;
const chats: Chat[] = [];

/** The page's server: an empty page at / and the built SDK under /sdk/. */
const serveSite = async (): Promise<Server> => {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path === '/') {
      res.writeHead(200, { 'content-type': 'text/html' });
      // As an app loads it: an ES module import of the package's entry.
      return res.end(
        "<!doctype html><title>SDK in a browser</title><script type=\"module\">import ChatClient from '/sdk/index.js'; window.ChatClient = ChatClient;</script>",
      );
    }
    const file = normalize(join(DIST, path.replace(/^\/sdk\//, '')));
    if (!path.startsWith('/sdk/') || !file.startsWith(DIST) || !existsSync(file)) {
      res.writeHead(404);
      return res.end();
    }
    res.writeHead(200, { 'content-type': 'text/javascript' });
    res.end(readFileSync(file));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return server;
};

describe.skipIf(!existsSync(CHROMIUM))(`the SDK in a browser (skipped without Chromium at ${CHROMIUM}: apt-get install -y chromium)`, () => {
  beforeAll(async () => {
    if (!existsSync(join(DIST, 'index.js'))) throw new Error('client/dist is missing: run `npm run build:client` (npm test runs it first)');
    process.env.SETTINGS_CACHE_SECONDS = '0';
    stack = await startTestStack();
    const admin = create({ baseURL: stack.url, sync: false });
    await admin.login({ userID: 'root', userSig: await stack.token('root', true) });
    await admin.setAppSettings({ syncConversationDeletion: true });
    await admin.destroy();
    site = await serveSite();
    siteURL = `http://localhost:${(site.address() as AddressInfo).port}`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage();
    await page.goto(siteURL);
    await page.waitForFunction(() => 'ChatClient' in globalThis);
  }, 60_000);

  afterAll(async () => {
    await Promise.all(chats.map((c) => c.destroy()));
    await browser?.close();
    await new Promise((r) => site?.close(r));
    await stack?.stop();
  });

  it('logs in, follows a deletion made on another device, and deletes across origins', async () => {
    const [bob, carol] = [uniqueUser('b'), uniqueUser('c')];
    const alice = uniqueUser('a');
    for (const peer of [bob, carol]) await send(await stack.as(peer), `C2C${alice}`, `hi from ${peer}`);
    const token = await stack.token(alice);
    expect(new URL(siteURL).port).not.toBe(new URL(stack.url).port);

    // In the page: the built SDK as an ES module, the browser's WebSocket, fetch and localStorage.
    const loggedIn = await page.evaluate(
      async ({ baseURL, userID, token }) => {
        // globalThis is the page's window (the project's tsconfig has no DOM types).
        const w = globalThis as unknown as { ChatClient: any; chat: any; lists: string[][]; deleted: unknown[]; localStorage: object };
        const { ChatClient } = w;
        w.lists = [];
        w.deleted = [];
        w.chat = ChatClient.create({ baseURL, storage: w.localStorage });
        w.chat.on(ChatClient.EVENT.CONVERSATION_LIST_UPDATED, (event: { data: { conversationID: string }[] }) =>
          w.lists.push(event.data.map((c) => c.conversationID).sort()),
        );
        w.chat.on(ChatClient.EVENT.CONVERSATION_DELETED, (event: { data: unknown }) => w.deleted.push(event.data));
        await w.chat.login({ userID, userSig: token });
        await w.chat.whenSynced();
        return { deviceID: w.chat.deviceID, stored: Object.keys(w.localStorage), nativeWebSocket: typeof WebSocket === 'function' };
      },
      { baseURL: stack.url, userID: alice, token },
    );
    expect(loggedIn.nativeWebSocket).toBe(true);
    expect(loggedIn.stored).toContain('conversation-deletion:deviceID');

    // A device in Node deletes: the page's list drops the conversation.
    const phone = create({ baseURL: stack.url, deviceID: `phone-${alice}`, WebSocket: RecordingWebSocket });
    chats.push(phone);
    await phone.login({ userID: alice, userSig: token });
    await phone.whenSynced();
    const answer = await phone.deleteConversation(`C2C${bob}`);
    await page.waitForFunction((want) => (globalThis as unknown as { lists: string[][] }).lists.some((l) => l.length === 1 && l[0] === want), `C2C${carol}`);
    const deleted = await page.evaluate(() => (globalThis as unknown as { deleted: { deletionID: string; source: string }[] }).deleted);
    expect(deleted).toMatchObject([{ deletionID: answer.data.deletionID, source: 'push' }]);

    // The page deletes (a cross-origin POST with a preflight): the Node device's list drops it.
    const phoneEvents = recordEvents(phone, [EVENT.CONVERSATION_LIST_UPDATED]);
    const dropped = phoneEvents.next(EVENT.CONVERSATION_LIST_UPDATED, (list) => !ids(list).includes(`C2C${carol}`));
    const fromPage = await page.evaluate(async (conversationID) => {
      const w = globalThis as unknown as { chat: any };
      return w.chat.deleteConversation(conversationID);
    }, `C2C${carol}`);
    expect(fromPage).toMatchObject({ code: 0, data: { conversationID: `C2C${carol}`, results: [{ status: 'deleted' }] } });
    expect(ids((await dropped).data)).toEqual([]);

    // A bad ID rejects in the page as imError, an Error with the numeric code.
    const imError = await page.evaluate(async () => {
      const w = globalThis as unknown as { chat: any };
      try {
        await w.chat.deleteConversation('nobody');
        return undefined;
      } catch (error) {
        const e = error as { code: number; error: string; message: string };
        return { isError: error instanceof Error, code: e.code, error: e.error };
      }
    });
    expect(imError).toEqual({ isError: true, code: 40003, error: 'INVALID_CONVERSATION_ID' });
    await page.evaluate(() => (globalThis as unknown as { chat: any }).chat.destroy());
  });
});
