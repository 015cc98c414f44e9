/**
 * Client of the conversation deletion service, shaped like the reference chat SDK (`@tencentcloud/chat`):
 *
 * ```ts
 * import ChatClient from '@conversation-deletion/client';
 * const chat = ChatClient.create({ baseURL: 'http://localhost:3000' });
 * chat.on(ChatClient.EVENT.CONVERSATION_LIST_UPDATED, (event) => render(event.data));
 * await chat.login({ userID: 'alice', userSig: token });
 * await chat.deleteConversation('C2Cbob');
 * ```
 */
import { Chat, type CreateOptions } from './chat.js';
import { ChatError, ERROR_CODES } from './errors.js';
import { EVENT, TYPES } from './events.js';

/** The reference's factory: one `chat` per user session. */
export const create = (options: CreateOptions): Chat => new Chat(options);

export { Chat, ChatError, ERROR_CODES, EVENT, TYPES };
export type { CreateOptions, DeleteConversationOptions, LoginOptions, StorageLike } from './chat.js';
export type { ChatEvent, EventName, Handler } from './events.js';
export type { ImResponse, RetryOptions } from './http.js';
export type { SyncState, WebSocketConstructor, WebSocketLike } from './sync.js';
export type * from './types.js';

/** As the reference is used: `TencentCloudChat.create(...)`, `TencentCloudChat.EVENT.SDK_READY`. */
const ChatClient = { create, EVENT, TYPES, ChatError, ERROR_CODES };
export default ChatClient;
