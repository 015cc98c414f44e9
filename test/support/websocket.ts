/**
 * Real WebSocket devices against the local stack (the `ws` package), with the waits the sync tests need:
 * the next message with a timeout, and a ping/pong barrier that proves no earlier message is still on its way.
 */
import { WebSocket } from 'ws';
import type { LocalStack } from '#local/stack.js';

export type Received = { type: string; data: Record<string, any> };

export class Device {
  /** Every message received, in order. */
  public readonly received: Received[] = [];
  private waiters: { accept: (m: Received) => boolean; resolve: (m: Received) => void }[] = [];

  private constructor(
    public readonly userID: string,
    public readonly deviceID: string,
    private readonly socket: WebSocket,
  ) {
    socket.on('message', (raw) => {
      const message = JSON.parse(raw.toString()) as Received;
      this.received.push(message);
      const waiter = this.waiters.find((w) => w.accept(message));
      if (waiter) {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        waiter.resolve(message);
      }
    });
  }

  /** Connects as `userID` from `deviceID`; resolves once open, i.e. after `$connect` registered it. */
  public static async connect(stack: Pick<LocalStack, 'websocketUrl' | 'token'>, userID: string, deviceID: string): Promise<Device> {
    const token = await stack.token(userID);
    const socket = new WebSocket(`${stack.websocketUrl}?token=${encodeURIComponent(token)}&deviceID=${encodeURIComponent(deviceID)}`);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
      socket.once('unexpected-response', (_req, res) => reject(new Error(`connection refused with ${res.statusCode}`)));
    });
    return new Device(userID, deviceID, socket);
  }

  /** The next message that matches (one already received counts), or an error after `timeoutMs`. */
  public next(accept: (m: Received) => boolean = () => true, timeoutMs = 5000): Promise<Received> {
    const already = this.received.find(accept);
    if (already) return Promise.resolve(already);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.resolve !== done);
        reject(new Error(`device ${this.deviceID} of ${this.userID} received no matching message within ${timeoutMs} ms`));
      }, timeoutMs);
      const done = (m: Received) => {
        clearTimeout(timer);
        resolve(m);
      };
      this.waiters.push({ accept, resolve: done });
    });
  }

  /** The push of one deletion. */
  public deletion(deletionID: string, timeoutMs?: number): Promise<Received> {
    return this.next((m) => m.type === 'conversation.deleted' && m.data.deletionID === deletionID, timeoutMs);
  }

  /** Resolves once everything the server wrote to this socket before now has arrived (frames keep their order). */
  public flush(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.socket.once('pong', () => resolve());
      this.socket.ping((error?: Error) => error && reject(error));
    });
  }

  /** Closes from the client side and waits for the closing handshake. */
  public close(): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.socket.once('close', () => resolve());
      this.socket.close(1000, 'bye');
    });
  }
}

/** The HTTP status of a refused WebSocket upgrade (fails if the connection opens). */
export const refusedStatus = (url: string): Promise<number> =>
  new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    socket.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
      socket.terminate();
    });
    socket.once('open', () => {
      socket.terminate();
      reject(new Error(`${url} was accepted`));
    });
    // on, not once: terminating a socket that never opened reports one more error.
    socket.on('error', (error) => reject(error));
  });

/** Polls `check` until it returns true, for effects with no event to wait on (an item removed by `$disconnect`). */
export const eventually = async (check: () => Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
};
