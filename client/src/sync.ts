/**
 * The sync socket's state machine:
 *
 *   stopped --start--> connecting --open--> catchingUp --caught up--> live
 *                          ^                   |   (catch-up failed: close)   |
 *                          |                   v                              v
 *                          +--- timer --- backingOff <------- close / error --+
 *
 * After every open, the whole catch-up runs before the state is `live`; pushes that arrive meanwhile are handed on at
 * once (the receiver drops repeats by deletionID). Each failed round waits longer (exponential, capped, jittered);
 * a round that reaches `live` resets the wait. `stop()` ends everything and ignores whatever the old socket still
 * reports. Timers and randomness are the platform's, so a test drives it with fake timers.
 */
import { backoff } from './http.js';

/** The part of the WebSocket interface used here: the browser's and the `ws` package's both have it. */
export interface WebSocketLike {
  readonly readyState: number;
  // The events' own types differ between the browser's class and `ws`'s; `any` keeps both assignable.
  /* eslint-disable @typescript-eslint/no-explicit-any */
  onopen: ((event: any) => void) | null;
  onmessage: ((event: any) => void) | null;
  onclose: ((event: any) => void) | null;
  onerror: ((event: any) => void) | null;
  /* eslint-enable @typescript-eslint/no-explicit-any */
  close(code?: number, reason?: string): void;
}

export type WebSocketConstructor = new (url: string) => WebSocketLike;

export type SyncState = 'stopped' | 'connecting' | 'catchingUp' | 'live' | 'backingOff';

export type SyncOptions = {
  WebSocket: WebSocketConstructor;
  /** The URL to connect to now (with a fresh token). */
  url: () => Promise<string>;
  /** Reads everything missed since the stored cursor; rejects when it could not. */
  catchUp: () => Promise<void>;
  /** Each message the server pushed, parsed. */
  onMessage: (message: unknown) => void;
  onState: (state: SyncState) => void;
  onError: (error: unknown) => void;
  /** @default 500 */
  baseDelayMs?: number;
  /** @default 30000 */
  maxDelayMs?: number;
  random?: () => number;
};

export class SyncConnection {
  private current: SyncState = 'stopped';
  /** Failed rounds since the last `live`: the next wait grows with it. */
  private failures = 0;
  private socket: WebSocketLike | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** Bumped by every new round and by stop(): callbacks of an older round see a different number and do nothing. */
  private round = 0;
  private waiters: (() => void)[] = [];

  public constructor(private readonly options: SyncOptions) {}

  public get state(): SyncState {
    return this.current;
  }

  /** The wait before the next round after `failures` failed ones. */
  public delayFor(failures: number): number {
    return backoff(failures, this.options.baseDelayMs ?? 500, this.options.maxDelayMs ?? 30_000, this.options.random ?? Math.random);
  }

  public start(): void {
    if (this.current === 'stopped') void this.connect();
  }

  /** Closes the socket and cancels any planned reconnect. */
  public stop(): void {
    this.round++;
    clearTimeout(this.timer);
    this.timer = undefined;
    const socket = this.socket;
    this.socket = undefined;
    if (socket) this.close(socket);
    this.failures = 0;
    this.set('stopped');
  }

  /** Reconnects now instead of waiting out the backoff (an app that learns the network is back). */
  public reconnectNow(): void {
    if (this.current !== 'backingOff') return;
    clearTimeout(this.timer);
    void this.connect();
  }

  /** Resolves the next time the state is `live` (at once if it is). */
  public whenLive(): Promise<void> {
    if (this.current === 'live') return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private set(state: SyncState): void {
    if (state === this.current) return;
    this.current = state;
    this.options.onState(state);
    if (state === 'live') for (const resolve of this.waiters.splice(0)) resolve();
  }

  private close(socket: WebSocketLike): void {
    socket.onopen = socket.onmessage = socket.onclose = socket.onerror = null;
    try {
      socket.close(1000, 'client closing');
    } catch {
      // Closing a socket that never opened may throw (browsers: while CONNECTING); it is dropped either way.
    }
  }

  private async connect(): Promise<void> {
    const round = ++this.round;
    this.set('connecting');
    let socket: WebSocketLike;
    try {
      const url = await this.options.url();
      if (round !== this.round) return;
      socket = new this.options.WebSocket(url);
    } catch (error) {
      if (round !== this.round) return;
      this.options.onError(error);
      return this.fail(round);
    }
    this.socket = socket;
    socket.onmessage = (event: { data: unknown }) => {
      if (round !== this.round) return;
      let message: unknown;
      try {
        message = JSON.parse(String(event.data));
      } catch {
        return;
      }
      this.options.onMessage(message);
    };
    socket.onopen = () => {
      if (round !== this.round) return;
      this.set('catchingUp');
      this.options.catchUp().then(
        () => {
          if (round !== this.round) return;
          this.failures = 0;
          this.set('live');
        },
        (error: unknown) => {
          if (round !== this.round) return;
          // Live without having caught up would miss what happened offline: start a new round instead.
          this.options.onError(error);
          this.socket = undefined;
          this.close(socket);
          this.fail(round);
        },
      );
    };
    // An error is always followed by close (browsers and `ws`); the close decides.
    socket.onerror = () => undefined;
    socket.onclose = () => {
      if (round !== this.round) return;
      this.socket = undefined;
      this.fail(round);
    };
  }

  private fail(round: number): void {
    if (round !== this.round) return;
    this.set('backingOff');
    const wait = this.delayFor(this.failures++);
    this.timer = setTimeout(() => {
      if (round === this.round) void this.connect();
    }, wait);
  }
}
