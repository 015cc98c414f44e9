/**
 * What the client SDK's integration tests share: the SDK as built (client/dist, what an app installs), a WebSocket
 * class that records what each device's socket received and can be held offline, and waits on the SDK's events.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { WebSocket } from 'ws';
import type { Chat } from '../../client/src/chat.js';
import type * as SdkModule from '../../client/src/index.js';

type Sdk = typeof SdkModule;

/** The built package, as an app imports it (npm test builds it first: the pretest script). */
export const loadBuiltSdk = async (): Promise<Sdk> => {
  const entry = resolve('client/dist/index.js');
  if (!existsSync(entry)) throw new Error('client/dist is missing: run `npm run build:client` (npm test runs it first)');
  return (await import(pathToFileURL(entry).href)) as Sdk;
};

/** Every socket the SDK opened through {@link RecordingWebSocket}, with each message it received. */
export const sockets: { deviceID: string; received: { type: string; data: Record<string, any> }[]; socket: WebSocket }[] = [];

/** Device IDs whose connections are refused (a closed port), as a device without network. */
export const offline = new Set<string>();

/** `ws`'s WebSocket, recording per device what the server pushed; a device in {@link offline} cannot connect. */
export class RecordingWebSocket extends WebSocket {
  public constructor(url: string) {
    const deviceID = new URL(url).searchParams.get('deviceID') ?? '';
    // Port 9 (discard) is closed here: the connection fails at once, as it does without network.
    super(offline.has(deviceID) ? 'ws://127.0.0.1:9/v1/ws' : url);
    const entry = { deviceID, received: [] as { type: string; data: Record<string, any> }[], socket: this as WebSocket };
    sockets.push(entry);
    this.on('message', (raw) => entry.received.push(JSON.parse(String(raw))));
  }
}

/** The pushes the device's sockets received so far. */
export const pushesTo = (deviceID: string) => sockets.filter((s) => s.deviceID === deviceID).flatMap((s) => s.received);

/** Drops the device's open sockets from the network side (no closing handshake). */
export const cutOff = (deviceID: string) => {
  offline.add(deviceID);
  for (const s of sockets) if (s.deviceID === deviceID) s.socket.terminate();
};

export type Recorded = { name: string; data: any; at: number };

/** Records every event of `chat` from now on, with its arrival time. */
export const recordEvents = (chat: Chat, names: readonly string[]) => {
  const events: Recorded[] = [];
  const waiters: { name: string; accept: (data: any) => boolean; resolve: (e: Recorded) => void }[] = [];
  for (const name of names) {
    chat.on(name, (event) => {
      const recorded = { name, data: event.data, at: performance.now() };
      events.push(recorded);
      for (const w of waiters.filter((w) => w.name === name && w.accept(recorded.data))) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(recorded);
      }
    });
  }
  return {
    events,
    /** The next event `name` (from now on) whose data `accept`s, or an error after `timeoutMs`. */
    next: (name: string, accept: (data: any) => boolean = () => true, timeoutMs = 5000): Promise<Recorded> =>
      new Promise((resolveWait, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ${name} event within ${timeoutMs} ms`)), timeoutMs);
        waiters.push({
          name,
          accept,
          resolve: (e) => {
            clearTimeout(timer);
            resolveWait(e);
          },
        });
      }),
    clear: () => void events.splice(0),
  };
};

export const ids = (list: { conversationID: string }[]) => list.map((c) => c.conversationID).sort();

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
