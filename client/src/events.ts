/**
 * Event names and values: the reference SDK's where it has them (checked against `@tencentcloud/chat` 3.6's
 * index.d.ts), plus our own, named in the same style.
 */
export const EVENT = {
  /** Logged in and the conversation list loaded: calls may be made. */
  SDK_READY: 'sdkStateReady',
  /** Logged out or destroyed. */
  SDK_NOT_READY: 'sdkStateNotReady',
  /** `event.data`: the whole current conversation list. */
  CONVERSATION_LIST_UPDATED: 'onConversationListUpdated',
  /** `event.data.state`: `TYPES.NET_STATE_CONNECTED`, `_CONNECTING` or `_DISCONNECTED` (the sync socket's). */
  NET_STATE_CHANGE: 'netStateChange',
  /** Ours: conversations of this user were deleted; `event.data` is the deletion's notice and where it came from. */
  CONVERSATION_DELETED: 'onConversationDeleted',
  /** Ours: a deletion was undone; `event.data` is the restore's notice, `restoresDeletionID` the deletion undone. */
  CONVERSATION_RESTORED: 'onConversationRestored',
  /** Ours: a conversation's history was cleared (the conversation stays). */
  CONVERSATION_HISTORY_CLEARED: 'onConversationHistoryCleared',
  /** The reference's: an error the app did not call for (a failed catch-up); `event.data` is the ChatError. */
  ERROR: 'error',
} as const;

export type EventName = (typeof EVENT)[keyof typeof EVENT];

/** The reference SDK's constants this client uses (same names, same values). */
export const TYPES = {
  CONV_C2C: 'C2C',
  CONV_GROUP: 'GROUP',
  CONV_SYSTEM: '@TIM#SYSTEM',
  MSG_TEXT: 'TIMTextElem',
  NET_STATE_CONNECTED: 'connected',
  NET_STATE_CONNECTING: 'connecting',
  NET_STATE_DISCONNECTED: 'disconnected',
} as const;

export type ChatEvent<T = unknown> = { name: string; data: T };
// The reference types handlers as Function; any argument list keeps apps' existing handlers assignable.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Handler = (event: ChatEvent<any>) => void;

/** on/off/emit with the reference's `context` argument (the handler's `this`). */
export class Emitter {
  private handlers = new Map<string, { handler: Handler; context: unknown }[]>();

  public on(name: string, handler: Handler, context?: unknown): void {
    const list = this.handlers.get(name) ?? [];
    list.push({ handler, context });
    this.handlers.set(name, list);
  }

  public off(name: string, handler: Handler, context?: unknown): void {
    const list = this.handlers.get(name);
    if (!list) return;
    this.handlers.set(
      name,
      list.filter((h) => h.handler !== handler || (context !== undefined && h.context !== context)),
    );
  }

  public emit(name: string, data: unknown): void {
    // A copy: a handler may call off() while we iterate; a throwing handler must not starve the others.
    for (const { handler, context } of [...(this.handlers.get(name) ?? [])]) {
      try {
        handler.call(context, { name, data });
      } catch (error) {
        // Reported, not rethrown: in Node an exception escaping a timer would end the app's process.
        console.error(`a handler of ${name} threw`, error);
      }
    }
  }

  public clear(): void {
    this.handlers.clear();
  }
}
