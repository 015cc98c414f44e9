/**
 * Request schemas of every route, defined once; handlers, docs and tests use them.
 * Each check carries the stable error code it fails with (`params.code`) and a message that says how to fix it.
 *
 * Written with `zod/mini`, not classic `zod`: every HTTP function bundles these schemas, and classic zod's method
 * chains keep all of its ~89 KB (minified) in each bundle, whereas zod/mini's functions tree-shake to ~19 KB and
 * import in about half the time; `npm run bench:cold` measures both (size and cold init against a reference bundle).
 * Both share zod's core, so the issues (`code`, `path`, `params`, `message`) and thus `parseOrThrow` are the same.
 * zod/mini ships no locale: every message a client sees is one of ours (or built by `parseOrThrow`), never zod's.
 */
import * as z from 'zod/mini';
import { type ErrorCode, show, ValidationError } from './errors.js';
import { DEFAULT_SETTINGS, MAX_DELETION_GRACE_PERIOD_SECONDS } from './settings.js';
import {
  type ConversationRef,
  CONVERSATION_ID_HINT,
  GROUP_ID_HINT,
  SYSTEM_CONVERSATION_ID,
  USER_ID_HINT,
  isGroupID,
  isUserID,
  parseConversationID,
} from './ids.js';

export const MAX_TEXT_LENGTH = 4000;
export const MAX_DELETE_BATCH = 100;
export const MAX_GROUP_MEMBERS = 500;
export const MAX_NOTIFICATION_RECIPIENTS = 100;
export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 20;

const coded = (code: ErrorCode, error: string | ((input: unknown) => string)) => ({
  params: { code },
  error: (issue: { input?: unknown }) => (typeof error === 'string' ? error : error(issue.input)),
});

/** `schema`, then `fn` on its output: classic zod's `schema.transform(fn)` is this same pipe; here `fn` gets the output type. */
const transformed = <S extends z.ZodMiniType, O>(schema: S, fn: (value: z.output<S>) => O) => z.pipe(schema, z.transform(fn));

/** `schema` refined by a type guard, typed as narrowed as classic zod's `.refine(guard)` types it (zod/mini's `.check` keeps the type). */
const narrowed = <S extends z.ZodMiniType, R extends z.output<S>>(schema: S, guard: (value: z.output<S>) => value is R, params: z.core.$ZodCustomParams) =>
  schema.check(z.refine<z.output<S>>(guard, params)) as S & z.ZodMiniType<R, z.input<S>>;

/** A conversation ID, parsed: the handlers and the domain get a {@link ConversationRef}, never a string to re-parse. */
export const conversationIDSchema = z.pipe(
  z.unknown(),
  z.transform((v: unknown, ctx): ConversationRef => {
    const ref = parseConversationID(v);
    if (ref) return ref;
    // zod/mini's transforms have no `ctx.addIssue`: the issue is pushed as classic zod's addIssue would push it.
    ctx.issues.push({ code: 'custom', params: { code: 'INVALID_CONVERSATION_ID' }, message: `${show(v)} is not a conversation ID: ${CONVERSATION_ID_HINT}`, input: v });
    return z.NEVER;
  }),
);

export const userIDSchema = transformed(
  z.unknown().check(z.refine(isUserID, coded('INVALID_USER_ID', (v) => `${show(v)} is not a userID: ${USER_ID_HINT}`))),
  (v) => v as string,
);

export const groupIDSchema = transformed(
  z.unknown().check(z.refine(isGroupID, coded('INVALID_GROUP_ID', (v) => `${show(v)} is not a groupID: ${GROUP_ID_HINT}`))),
  (v) => v as string,
);

const textSchema = transformed(
  z.unknown().check(
    z.refine(
      (v) => typeof v === 'string' && v.trim().length > 0 && [...v].length <= MAX_TEXT_LENGTH,
      coded('INVALID_TEXT', `text must be a string of 1-${MAX_TEXT_LENGTH} characters, not blank`),
    ),
  ),
  (v) => v as string,
);

const sizedList = <T extends z.ZodMiniType>(item: T, min: number, max: number, field: string, code: ErrorCode) =>
  z.pipe(
    z.unknown().check(
      z.refine(
        (v) => Array.isArray(v) && v.length >= min && v.length <= max,
        coded(code, (v) =>
          Array.isArray(v)
            ? `${field} holds ${v.length} entries; send ${min} to ${max}`
            : `${field} must be an array of ${min} to ${max} entries`,
        ),
      ),
    ),
    z.array(item),
  );

export const sendMessageBody = z.strictObject({
  conversationID: narrowed(
    conversationIDSchema,
    (ref): ref is Exclude<ConversationRef, { type: 'SYSTEM' }> => ref.type !== 'SYSTEM',
    coded('CANNOT_MESSAGE_SYSTEM', `${SYSTEM_CONVERSATION_ID} is written by administrators only: use POST /v1/admin/system-notifications`),
  ),
  text: textSchema,
});
export type SendMessageBody = z.infer<typeof sendMessageBody>;

export const createGroupBody = z.strictObject({
  groupID: groupIDSchema,
  memberList: z.optional(sizedList(userIDSchema, 0, MAX_GROUP_MEMBERS - 1, 'memberList', 'INVALID_REQUEST')),
});
export type CreateGroupBody = z.infer<typeof createGroupBody>;

export const systemNotificationBody = z.strictObject({
  userIDList: sizedList(userIDSchema, 1, MAX_NOTIFICATION_RECIPIENTS, 'userIDList', 'INVALID_REQUEST'),
  text: textSchema,
});
export type SystemNotificationBody = z.infer<typeof systemNotificationBody>;

/** A body field that must be a JSON boolean; anything else is INVALID_REQUEST naming the value. */
export const booleanFlag = (field: string) =>
  transformed(
    z.unknown().check(z.refine((v) => typeof v === 'boolean', coded('INVALID_REQUEST', (v) => `${field} must be true or false, not ${show(v)}`))),
    (v) => v as boolean,
  );

/** As in the reference SDK, a deletion clears the caller's history unless told otherwise; the one place that says so. */
const CLEAR_HISTORY_BY_DEFAULT = true;

/** The object form of `chat.deleteConversation(options)`; duplicates are removed, request order kept. */
export const deleteConversationsObject = z.strictObject({
  conversationIDList: transformed(sizedList(conversationIDSchema, 1, MAX_DELETE_BATCH, 'conversationIDList', 'INVALID_BATCH_SIZE'), (refs) => [
    ...new Map(refs.map((r) => [r.conversationID, r])).values(),
  ]),
  clearHistoryMessage: transformed(z.optional(booleanFlag('clearHistoryMessage')), (v) => v ?? CLEAR_HISTORY_BY_DEFAULT),
  /** Answer what the deletion would do, change nothing, emit nothing. */
  dryRun: transformed(z.optional(booleanFlag('dryRun')), (v) => v ?? false),
});

/**
 * How the caller named what to delete: one ID (the string form, or `DELETE /v1/conversations/{id}`), answered with
 * `conversationID`, or a list (the object form), answered with `conversationIDList`, as the reference SDK does.
 */
export type DeletionForm = 'single' | 'list';

/** The form of a `POST /v1/conversations/delete` body: the ID string is the single form. */
export const deletionFormOfBody = (body: unknown): DeletionForm => (typeof body === 'string' ? 'single' : 'list');

/** The whole body of `POST /v1/conversations/delete`: a conversation ID string, or the object form. */
export type DeleteConversationsRequest = { form: DeletionForm; conversations: ConversationRef[]; clearHistoryMessage: boolean; dryRun: boolean };

const queryFlag = (field: string) =>
  transformed(z.enum(['true', 'false'], coded('INVALID_QUERY', (v) => `${field} must be true or false, not ${show(v)}`)), (v) => v === 'true');

const pageLimit = transformed(
  z.string().check(z.regex(/^\d{1,3}$/, coded('INVALID_QUERY', (v) => `limit must be a whole number from 1 to ${MAX_PAGE_SIZE}, not ${show(v)}`))),
  Number,
).check(z.refine((n) => n >= 1 && n <= MAX_PAGE_SIZE, coded('INVALID_QUERY', (v) => `limit must be a whole number from 1 to ${MAX_PAGE_SIZE}, not ${show(v)}`)));

export const pageQuery = z.strictObject({
  // The default is applied here, once, for every list.
  limit: transformed(z.optional(pageLimit), (n) => n ?? DEFAULT_PAGE_SIZE),
  cursor: z.optional(
    z.string().check(z.refine((v) => v.length <= 2048, coded('INVALID_CURSOR', 'cursor is not one this API returned: pass nextCursor unchanged'))),
  ),
});
export type PageQuery = z.infer<typeof pageQuery>;

export const deleteOneQuery = z.strictObject({
  clearHistoryMessage: transformed(z.optional(queryFlag('clearHistoryMessage')), (v) => v ?? CLEAR_HISTORY_BY_DEFAULT),
  dryRun: transformed(z.optional(queryFlag('dryRun')), (v) => v ?? false),
});

/**
 * Parses `input` with `schema` or throws a {@link ValidationError} with the first issue's code and message.
 * `where` names the part of the request (body, query) so the message points at the field.
 */
export const parseOrThrow = <S extends z.ZodMiniType>(schema: S, input: unknown, where: string, defaultCode: ErrorCode = 'INVALID_REQUEST'): z.output<S> => {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = issue.path.length > 0 ? `${where}.${issue.path.map(String).join('.')}` : where;
  if (issue.code === 'unrecognized_keys') {
    throw new ValidationError('UNKNOWN_FIELD', `${where} has unknown field(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}: remove them`);
  }
  if (issue.code === 'invalid_type' && issue.path.length === 0) {
    throw new ValidationError(defaultCode, `${where} must be a JSON ${issue.expected}`);
  }
  // zod 4 does not attach the input to type issues: look the value up to tell "missing" from "wrong type".
  if (issue.code === 'invalid_type') {
    const value = issue.path.reduce<unknown>((v, key) => (v && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[key] : undefined), input);
    throw new ValidationError(
      defaultCode,
      value === undefined ? `${field} is required` : `${field} must be ${issue.expected === 'string' ? 'a string' : `of type ${issue.expected}`}, not ${show(value)}`,
    );
  }
  const code = (issue as { params?: { code?: ErrorCode } }).params?.code ?? defaultCode;
  throw new ValidationError(code, `${field}: ${issue.message}`);
};

/** Parses the body of `POST /v1/conversations/delete` (an ID string or the object form). */
export const parseDeleteConversationsBody = (body: unknown): DeleteConversationsRequest => {
  if (typeof body === 'string') {
    // The string form is the object form with one ID and every option at its default.
    const ref = parseOrThrow(conversationIDSchema, body, 'body');
    const { conversationIDList, clearHistoryMessage, dryRun } = parseOrThrow(deleteConversationsObject, { conversationIDList: [ref.conversationID] }, 'body');
    return { form: deletionFormOfBody(body), conversations: conversationIDList, clearHistoryMessage, dryRun };
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new ValidationError(
      'INVALID_REQUEST',
      'body must be a conversation ID string such as "C2Cbob", or an object {"conversationIDList":[...],"clearHistoryMessage":true}',
    );
  }
  const parsed = parseOrThrow(deleteConversationsObject, body, 'body');
  return { form: deletionFormOfBody(body), conversations: parsed.conversationIDList, clearHistoryMessage: parsed.clearHistoryMessage, dryRun: parsed.dryRun };
};

/**
 * Body of `PUT /v1/admin/settings`: the settings to change, each optional (the others keep their value);
 * an unknown key is refused (UNKNOWN_FIELD), a wrong type too (INVALID_REQUEST), and so is a body with no setting.
 */
export const settingsUpdateBody = z
  .strictObject({
    syncConversationDeletion: z.optional(booleanFlag('syncConversationDeletion')),
    deletionGracePeriodSeconds: z.optional(
      transformed(
        z.unknown().check(
          z.refine(
            (v) => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= MAX_DELETION_GRACE_PERIOD_SECONDS,
            coded('INVALID_REQUEST', (v) => `deletionGracePeriodSeconds must be a whole number of seconds from 0 (undo off) to ${MAX_DELETION_GRACE_PERIOD_SECONDS}, not ${show(v)}`),
          ),
        ),
        (v) => v as number,
      ),
    ),
  })
  .check(
    z.refine((body) => Object.keys(body).length > 0, {
      params: { code: 'INVALID_REQUEST' },
      error: `name at least one setting to change, such as {"syncConversationDeletion":true}; settings: ${Object.keys(DEFAULT_SETTINGS).join(', ')}`,
    }),
  );
export type SettingsUpdate = z.infer<typeof settingsUpdateBody>;

/** Query of `GET /v1/sync/conversation-deletions`: `since` is a `nextCursor` from an earlier answer (omit it to read all retained deletions). */
export const syncDeletionsQuery = z.strictObject({
  // A refinement, not z.maxLength(): zod 4 keeps `params` (the stable code) on custom issues only.
  since: z.optional(
    z.string().check(
      z.refine((v) => v.length > 0 && v.length <= 2048, {
        params: { code: 'INVALID_CURSOR' },
        error: 'since is not a cursor this endpoint returned: pass nextCursor back unchanged, or omit since',
      }),
    ),
  ),
  limit: pageQuery.shape.limit,
});
export type SyncDeletionsQuery = z.infer<typeof syncDeletionsQuery>;

/** A deletion's ID as every deletion answer gives it (`deletionID`): a UUID, lower case. */
export const DELETION_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const deletionIDSchema = transformed(
  z.unknown().check(
    z.refine(
      (v) => typeof v === 'string' && DELETION_ID_PATTERN.test(v),
      coded('INVALID_DELETION_ID', (v) => `${show(v)} is not a deletionID: pass the deletionID of a deletion's answer unchanged (a lower-case UUID)`),
    ),
  ),
  (v) => v as string,
);

/** Body of `POST /v1/conversations/restore`. */
export const restoreBody = z.strictObject({ deletionID: deletionIDSchema });

/** An ISO 8601 UTC time as `since` takes it: seconds, optional milliseconds, `Z`. */
export const UTC_TIME_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;

/** Query of `GET /v1/admin/users/{userID}/deletions`: from `since` (ISO time, inclusive), or on from `cursor`. */
export const deletionAuditQuery = z.strictObject({
  since: z.optional(
    z.string().check(
      z.refine(
        (v) => UTC_TIME_PATTERN.test(v) && !Number.isNaN(Date.parse(v)),
        coded('INVALID_QUERY', (v) => `since must be an ISO 8601 UTC time such as 2026-11-26T00:00:00Z, not ${show(v)}`),
      ),
    ),
  ),
  cursor: pageQuery.shape.cursor,
  limit: pageQuery.shape.limit,
});
export type DeletionAuditQuery = z.infer<typeof deletionAuditQuery>;
