/**
 * What the console needs beyond the SDK: its configuration and local tokens (the runner's POST /local/token, not
 * part of the cloud API). Everything else goes through the SDK, a real instance per device (and one for the admin).
 */
import ChatClient, { type Chat, ChatError, type Deletion } from '../../client/src/index.js';
import type { CloudAuthConfig } from './cloud-auth.js';

export type ConsoleConfig = {
  /** `local`: the runner mints tokens for any user; the events view reads the local bus. */
  mode: 'local' | 'cloud';
  /** The HTTP API. */
  apiUrl: string;
  /** The WebSocket API. @default the SDK's: apiUrl as ws(s)://…/v1/ws */
  websocketUrl?: string;
  /** Cloud, Cognito: the user pool (OIDC authority), the console's app client and the hosted UI (lib/console-hosting.ts). */
  auth?: CloudAuthConfig;
};

export const loadConfig = async (): Promise<ConsoleConfig> => {
  const answer = await fetch('/console/config.json', { cache: 'no-store' });
  if (!answer.ok) throw new Error(`the console's configuration (/console/config.json) answered HTTP ${answer.status}`);
  const config = (await answer.json()) as Partial<ConsoleConfig>;
  return {
    mode: config.mode === 'cloud' ? 'cloud' : 'local',
    apiUrl: (config.apiUrl ?? location.origin).replace(/\/+$/, ''),
    ...(config.websocketUrl ? { websocketUrl: config.websocketUrl } : {}),
    ...(config.auth ? { auth: config.auth } : {}),
  };
};

/** The API's error body as the SDK's error, so that every refusal reads the same on the page. */
const errorOf = (status: number, body: { code?: number; error?: string; message?: string } | undefined): ChatError =>
  new ChatError(body?.error ?? 'BAD_RESPONSE', body?.message ?? `the server answered HTTP ${status}`, { ...(body?.code ? { code: body.code } : {}), status });

const json = async <T>(answer: Response): Promise<T> => {
  const body = (await answer.json().catch(() => undefined)) as (T & { code?: number; error?: string; message?: string }) | undefined;
  if (!answer.ok || body === undefined) throw errorOf(answer.status, body);
  return body;
};

/** A token for any user from the local runner (POST /local/token). */
export const localToken = async (config: ConsoleConfig, userID: string, admin: boolean): Promise<string> =>
  (await json<{ token: string }>(await fetch(`${config.apiUrl}/local/token`, { method: 'POST', body: JSON.stringify({ userID, admin }) }))).token;

/** An SDK instance, not logged in yet: one device, with its own device ID and (after login) sync socket. */
export const createChat = (config: ConsoleConfig, options: { deviceID?: string; sync?: boolean } = {}): Chat =>
  ChatClient.create({
    baseURL: config.apiUrl,
    ...(config.websocketUrl ? { websocketURL: config.websocketUrl } : {}),
    ...(options.deviceID ? { deviceID: options.deviceID } : {}),
    sync: options.sync ?? true,
  });

/** A logged-in SDK instance (a failed login destroys it). */
export const connect = async (config: ConsoleConfig, userID: string, token: string, options: { deviceID?: string; sync?: boolean } = {}): Promise<Chat> => {
  const chat = createChat(config, options);
  try {
    await chat.login({ userID, userSig: token });
  } catch (error) {
    await chat.destroy();
    throw error;
  }
  return chat;
};

/** Every kept record of a user (the SDK's getUserDeletions, an admin's call), oldest first; at most `pages` pages of 100. */
export const userDeletions = async (admin: Chat, userID: string, pages = 10): Promise<Deletion[]> => {
  const all: Deletion[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < pages; page++) {
    const { data }: { data: { deletionList: Deletion[]; nextCursor: string | null } } = await admin.getUserDeletions(userID, { limit: 100, ...(cursor ? { cursor } : {}) });
    all.push(...data.deletionList);
    cursor = data.nextCursor;
    if (cursor === null) break;
  }
  return all;
};

/** `CODE (number): message` for an SDK error; the text of anything else. */
export const describeError = (error: unknown): string => {
  const e = error as Partial<ChatError> | undefined;
  if (e && typeof e.error === 'string' && typeof e.code === 'number') return `${e.error} (${e.code}): ${e.message ?? ''}`;
  return error instanceof Error ? error.message : String(error);
};
