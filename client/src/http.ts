/**
 * The one request function: auth header, device and idempotency headers, timeouts, retries and error mapping.
 * Every API call is a few lines over it.
 */
import { ChatError, errorFromAnswer } from './errors.js';

/** How a call may be retried once its outcome is unknown (no answer, or a 5xx). */
export type Replay =
  /** Reading: always safe to repeat. */
  | 'safe'
  /** Changing, with an `Idempotency-Key`: a repeat with the same key returns the first answer, nothing done twice. */
  | 'keyed'
  /** Changing, without a key (sending a message): repeated only when the server said nothing was done (429). */
  | 'once';

export type RetryOptions = {
  /** Attempts in all, the first included. @default 4 */
  attempts?: number;
  /** First backoff; it doubles each time, with jitter. @default 200 */
  baseDelayMs?: number;
  /** @default 5000 */
  maxDelayMs?: number;
  /** A `Retry-After` longer than this is not waited for: the call rejects with RATE_LIMITED and `retryAfter`. @default 30000 */
  maxRetryAfterMs?: number;
  /** Each attempt's time limit. @default 15000 */
  timeoutMs?: number;
};

export type HttpOptions = {
  baseURL: string;
  fetch: typeof fetch;
  /** The bearer token to send, or undefined before login. `refresh` asks again after a 401 (getToken only). */
  token: (refresh: boolean) => Promise<string | undefined>;
  deviceID: () => string;
  retry?: RetryOptions;
  /** For tests: the jitter's randomness. @default Math.random */
  random?: () => number;
};

export type Call = {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  body?: unknown;
  replay: Replay;
};

/** `{ code: 0, data }`, the reference SDK's `imResponse`. */
export type ImResponse<T> = { code: 0; data: T };

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Seconds from a `Retry-After` header (seconds or an HTTP date); undefined when absent or unreadable. */
export const parseRetryAfter = (value: string | null, now = Date.now()): number | undefined => {
  if (value === null || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
};

/** Capped exponential backoff with equal jitter: half the step fixed, half random, so two clients spread out. */
export const backoff = (attempt: number, baseMs: number, maxMs: number, random: () => number): number => {
  const step = Math.min(maxMs, baseMs * 2 ** attempt);
  return step / 2 + random() * (step / 2);
};

/** An ID unique enough for idempotency keys and device IDs: a UUID where the platform has one. */
export const randomID = (): string => {
  const c = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  if (c?.randomUUID) return c.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}-${Math.random().toString(36).slice(2)}`;
};

export const createRequester = (options: HttpOptions) => {
  const retry = { attempts: 4, baseDelayMs: 200, maxDelayMs: 5000, maxRetryAfterMs: 30_000, timeoutMs: 15_000, ...options.retry };
  const random = options.random ?? Math.random;
  const base = options.baseURL.replace(/\/+$/, '');

  /** One attempt: the answer's status, parsed body and Retry-After, or a thrown network error. */
  const attempt = async (call: Call, headers: Record<string, string>) => {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), retry.timeoutMs);
    try {
      const response = await options.fetch(`${base}${call.path}`, {
        method: call.method,
        headers,
        ...(call.body === undefined ? {} : { body: JSON.stringify(call.body) }),
        signal: controller.signal,
      });
      const text = await response.text();
      let body: unknown;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = undefined;
      }
      return { status: response.status, body, retryAfter: parseRetryAfter(response.headers.get('retry-after')) };
    } finally {
      clearTimeout(timer);
    }
  };

  /**
   * Sends `call`, retrying what may be retried: no answer and 5xx as `call.replay` allows, 429 always (nothing was
   * done), 409 IDEMPOTENCY_IN_PROGRESS for keyed calls (the first is still running), each after `Retry-After` when
   * the server gave one, else after a jittered exponential backoff. A keyed call sends the same key every time.
   */
  return async <T>(call: Call): Promise<ImResponse<T>> => {
    const headers: Record<string, string> = {};
    const deviceID = options.deviceID();
    if (deviceID) headers['x-device-id'] = deviceID;
    if (call.body !== undefined) headers['content-type'] = 'application/json';
    if (call.replay === 'keyed') headers['idempotency-key'] = randomID();
    let refreshed = false;
    for (let n = 0; ; n++) {
      const token = await options.token(false);
      if (token === undefined) throw new ChatError('NOT_LOGGED_IN', 'log in first: chat.login({ userID, userSig })');
      headers.authorization = `Bearer ${token}`;
      const last = n + 1 >= retry.attempts;
      let answer: Awaited<ReturnType<typeof attempt>>;
      try {
        answer = await attempt(call, headers);
      } catch (cause) {
        if (last || call.replay === 'once') {
          throw new ChatError('NETWORK_ERROR', `no answer from ${call.method} ${call.path}: ${(cause as Error)?.message ?? cause}`, { cause });
        }
        await sleep(backoff(n, retry.baseDelayMs, retry.maxDelayMs, random));
        continue;
      }
      const { status, body, retryAfter } = answer;
      if (status >= 200 && status < 300) {
        const ok = body as { code?: unknown; data?: unknown } | undefined;
        if (!ok || ok.code !== 0) throw new ChatError('BAD_RESPONSE', `${call.method} ${call.path} answered ${status} without {"code":0,"data":...}`, { status });
        return ok as ImResponse<T>;
      }
      const error = errorFromAnswer(status, body, retryAfter);
      // A token that expired between calls: ask the app for a fresh one, once.
      if (status === 401 && !refreshed && (await options.token(true)) !== token) {
        refreshed = true;
        n--;
        continue;
      }
      const retryable =
        status === 429 ||
        (status >= 500 && call.replay !== 'once') ||
        (error.error === 'IDEMPOTENCY_IN_PROGRESS' && call.replay === 'keyed');
      if (!retryable || last) throw error;
      const waitMs = retryAfter !== undefined ? retryAfter * 1000 : backoff(n, retry.baseDelayMs, retry.maxDelayMs, random);
      if (waitMs > retry.maxRetryAfterMs) throw error;
      await sleep(waitMs);
    }
  };
};

export type Requester = ReturnType<typeof createRequester>;
