/**
 * Response shapes of every route, defined once as zod schemas: the OpenAPI document (openapi.ts) is generated from
 * them, and tests hold them to the code two ways: each schema's type must equal what the use case returns
 * (test/unit/openapi.test.ts), and the local stack's real answers must parse (test/integration/openapi.test.ts).
 * No function bundles this file; it describes, the handlers do not validate their own answers.
 *
 * Objects are strict: a field the code adds without adding it here fails the tests, so the document cannot fall
 * behind the answers.
 */
import * as z from 'zod/mini';
import { ERROR_CODES, type ErrorCode } from './errors.js';
import { SYSTEM_CONVERSATION_ID } from './ids.js';
import type { HttpRouteKey } from './routes.js';

const timestamp = z.string().check(z.meta({ format: 'date-time', description: 'ISO 8601, UTC, milliseconds' }));
const sequence = z.int().check(z.minimum(1), z.meta({ description: 'position in the timeline, from 1' }));
/** Opaque: pass it back unchanged; null at the end of the list. */
const nextCursor = z.nullable(z.string()).check(z.meta({ description: 'pass back unchanged as `cursor` for the next page; null: no more pages' }));

export const messageResponse = z.strictObject({
  messageID: z.string(),
  conversationID: z.string(),
  sequence,
  from: z.string().check(z.meta({ description: `sender's userID, or ${SYSTEM_CONVERSATION_ID} for a system notification` })),
  text: z.string(),
  createdAt: timestamp,
});

export const conversationResponse = z.strictObject({
  conversationID: z.string(),
  type: z.enum(['C2C', 'GROUP', 'SYSTEM']),
  peerUserID: z.optional(z.string().check(z.meta({ description: 'C2C conversations only' }))),
  groupID: z.optional(z.string().check(z.meta({ description: 'GROUP conversations only' }))),
  lastMessage: z.nullable(messageResponse).check(z.meta({ description: 'null once the history was cleared and no message came since' })),
  unreadCount: z.int().check(z.minimum(0)),
  updatedAt: timestamp,
});

export const conversationPageResponse = z.strictObject({ conversationList: z.array(conversationResponse), nextCursor });

export const messagePageResponse = z.strictObject({ messageList: z.array(messageResponse), nextCursor });

export const groupResponse = z.strictObject({
  groupID: z.string(),
  createdBy: z.string(),
  memberList: z.array(z.string()).check(z.meta({ description: 'every member, the creator included' })),
  createdAt: timestamp,
});

export const systemNotificationResponse = z.strictObject({
  conversationID: z.literal(SYSTEM_CONVERSATION_ID),
  notificationList: z.array(z.strictObject({ userID: z.string(), messageID: z.string(), sequence, createdAt: timestamp })),
});

export const settingsResponse = z.strictObject({
  syncConversationDeletion: z.boolean(),
  deletionGracePeriodSeconds: z.int().check(z.minimum(0), z.meta({ description: 'how long a deletion can be undone; 0: undo off' })),
  updatedAt: z.nullable(timestamp).check(z.meta({ description: 'last change; null while nothing was ever changed' })),
  updatedBy: z.nullable(z.string()).check(z.meta({ description: 'the admin who made the last change' })),
  appliesWithinSeconds: z.int().check(z.minimum(0), z.meta({ description: 'how long functions may keep using the previous value' })),
});

const conversationResult = z.union([
  z.strictObject({ conversationID: z.string(), status: z.enum(['deleted', 'absent']) }),
  z.strictObject({ conversationID: z.string(), status: z.literal('failed'), reason: z.string() }),
]);

const historyPurgeState = z.enum(['none', 'complete', 'pending', 'scheduled']).check(
  z.meta({ description: '`pending`: the purge runs now; `scheduled`: it runs once the grace period is over; `complete`: already gone' }),
);
const restorableUntil = z.nullable(timestamp).check(z.meta({ description: 'POST /v1/conversations/restore undoes it until then; null: undo is off' }));

const deletionFields = {
  results: z.array(conversationResult),
  historyPurge: historyPurgeState,
  deletedAt: timestamp,
  deletionID: z.string(),
  restorableUntil,
};

/** A deletion's answer: `conversationID` when one conversation was named (string body or DELETE), else `conversationIDList`. */
export const deletionResponse = z.union([
  z.strictObject({ conversationID: z.string(), ...deletionFields }),
  z.strictObject({
    conversationIDList: z.array(z.string()).check(z.meta({ description: 'every requested ID now gone (deleted or absent), request order' })),
    ...deletionFields,
  }),
]);

/** A dry run's answer (`"dryRun": true`): what the deletion would do, in the same two forms; nothing was changed. */
export const deletionPreviewResponse = z.union(
  (() => {
    const fields = {
      dryRun: z.literal(true),
      results: z.array(
        z.strictObject({
          conversationID: z.string(),
          status: z.enum(['deleted', 'absent']),
          messagesToPurge: z.int().check(z.minimum(0), z.meta({ description: "the caller's stored copies the purge would delete" })),
        }),
      ),
      messagesToPurge: z.int().check(z.minimum(0), z.meta({ description: 'the sum over the conversations; 0 when the history would be kept' })),
    };
    return [z.strictObject({ conversationID: z.string(), ...fields }), z.strictObject({ conversationIDList: z.array(z.string()), ...fields })] as const;
  })(),
);

/** What the two delete routes answer: the deletion, or with `dryRun` its preview. */
export const deletionAnswerResponse = z.union([deletionResponse, deletionPreviewResponse]);

export const deletionNoticeResponse = z.strictObject({
  kind: z.enum(['conversationsDeleted', 'historyCleared', 'conversationsRestored']),
  deletionID: z.string().check(z.meta({ description: "the change's ID (a restore's own); drop a repeat by it" })),
  restoresDeletionID: z.optional(z.string().check(z.meta({ description: 'a restore: the deletion it undid' }))),
  conversationIDList: z.array(z.string()),
  clearHistoryMessage: z.boolean(),
  deletedAt: timestamp,
  originDeviceID: z.nullable(z.string()),
});

export const syncDeletionsResponse = z.strictObject({
  syncConversationDeletion: z.boolean(),
  deletionList: z.array(deletionNoticeResponse),
  nextCursor: z.nullable(z.string()).check(z.meta({ description: 'pass as `since` next time' })),
  hasMore: z.boolean(),
});

/** `POST /v1/conversations/{conversationID}/clear-history`. */
export const historyClearedResponse = z.strictObject({
  conversationID: z.string(),
  deletionID: z.string().check(z.meta({ description: 'for GET /v1/deletions/{deletionID} and POST /v1/conversations/restore' })),
  clearedAt: timestamp,
  historyPurge: historyPurgeState,
  restorableUntil,
});

/** `POST /v1/conversations/restore`. */
export const restoreResponse = z.strictObject({
  deletionID: z.string(),
  restoreID: z.string().check(z.meta({ description: "the restore's own ID, as devices see it in `conversation.restored`" })),
  restoredAt: timestamp,
  conversationIDList: z.array(z.string()).check(z.meta({ description: 'the conversations put back' })),
  results: z.array(
    z.strictObject({
      conversationID: z.string(),
      status: z.enum(['restored', 'superseded']).check(z.meta({ description: '`superseded`: changed again by a later deletion or clear; left as that left it' })),
    }),
  ),
});

const purgeStatus = z.union([
  z.strictObject({ state: z.literal('none') }),
  z.strictObject({ state: z.literal('cancelled') }).check(z.meta({ description: 'restored before its purge: the history stays' })),
  z.strictObject({ state: z.literal('scheduled'), scheduledFor: timestamp }),
  z.strictObject({ state: z.literal('running'), scheduledFor: timestamp, messagesPurged: z.int().check(z.minimum(0)) }),
  z.strictObject({ state: z.literal('complete'), completedAt: timestamp, messagesPurged: z.int().check(z.minimum(0)) }),
]);

/** `GET /v1/deletions/{deletionID}`, and each entry of the admin audit. */
export const deletionStatusResponse = z.strictObject({
  deletionID: z.string(),
  kind: z.enum(['conversationsDeleted', 'historyCleared', 'conversationsRestored']),
  userID: z.string(),
  actedBy: z.string().check(z.meta({ description: 'who made it: the user, or the admin acting for the user' })),
  actedAs: z.enum(['user', 'admin']),
  deletedAt: timestamp,
  clearHistoryMessage: z.boolean(),
  conversationIDList: z.array(z.string()),
  results: z.array(z.strictObject({ conversationID: z.string(), status: z.string() })),
  historyPurge: purgeStatus,
  restorableUntil,
  restoredAt: z.nullable(timestamp),
  restoreID: z.nullable(z.string()),
  restoresDeletionID: z.optional(z.string().check(z.meta({ description: 'a restore: the deletion it undid' }))),
});

export const deletionAuditResponse = z.strictObject({ deletionList: z.array(deletionStatusResponse), nextCursor });

/** `{"code":0,"data":...}`, the envelope of every success (functions/middleware/http-middlewares.ts). */
export const successEnvelope = <T extends z.ZodMiniType>(data: T) => z.strictObject({ code: z.literal(0), data });

const errorCodeNames = Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]];

/** The body of every error (errorBody in errors.ts). */
export const errorResponse = z.strictObject({
  code: z.int().check(z.meta({ description: 'numeric twin of `error`: status * 100 + n' })),
  error: z.enum(errorCodeNames),
  message: z.string().check(z.meta({ description: 'what was wrong and how to fix it; for people, not for matching' })),
});

/** 503 PARTIAL_FAILURE: the error body plus the same `data` as the route's success. */
export const partialFailureResponse = z.strictObject({ ...errorResponse.shape, error: z.literal('PARTIAL_FAILURE'), data: deletionResponse });

/** What each route answers on success: its status (201 when something was created) and the shape of `data`. */
export const ROUTE_RESPONSES = {
  'POST /v1/messages': { status: 201, data: messageResponse },
  'GET /v1/conversations/{conversationID}/messages': { status: 200, data: messagePageResponse },
  'POST /v1/groups': { status: 201, data: groupResponse },
  'GET /v1/conversations': { status: 200, data: conversationPageResponse },
  'POST /v1/conversations/delete': { status: 200, data: deletionAnswerResponse },
  'DELETE /v1/conversations/{conversationID}': { status: 200, data: deletionAnswerResponse },
  'POST /v1/conversations/{conversationID}/clear-history': { status: 200, data: historyClearedResponse },
  'POST /v1/conversations/restore': { status: 200, data: restoreResponse },
  'GET /v1/deletions/{deletionID}': { status: 200, data: deletionStatusResponse },
  'POST /v1/admin/users/{userID}/conversations/delete': { status: 200, data: deletionAnswerResponse },
  'GET /v1/admin/users/{userID}/deletions': { status: 200, data: deletionAuditResponse },
  'POST /v1/admin/system-notifications': { status: 201, data: systemNotificationResponse },
  'GET /v1/admin/settings': { status: 200, data: settingsResponse },
  'PUT /v1/admin/settings': { status: 200, data: settingsResponse },
  'GET /v1/sync/conversation-deletions': { status: 200, data: syncDeletionsResponse },
} as const satisfies Record<HttpRouteKey, { status: 200 | 201; data: z.ZodMiniType }>;

/** Named response schemas, as the OpenAPI document's components (`#/components/schemas/<name>`). */
export const RESPONSE_COMPONENTS = {
  Message: messageResponse,
  Conversation: conversationResponse,
  ConversationPage: conversationPageResponse,
  MessagePage: messagePageResponse,
  Group: groupResponse,
  SystemNotifications: systemNotificationResponse,
  Settings: settingsResponse,
  Deletion: deletionResponse,
  DeletionPreview: deletionPreviewResponse,
  DeletionAnswer: deletionAnswerResponse,
  DeletionNotice: deletionNoticeResponse,
  HistoryCleared: historyClearedResponse,
  Restore: restoreResponse,
  DeletionStatus: deletionStatusResponse,
  DeletionAudit: deletionAuditResponse,
  DeletionNoticePage: syncDeletionsResponse,
  Error: errorResponse,
  PartialFailure: partialFailureResponse,
} as const;
