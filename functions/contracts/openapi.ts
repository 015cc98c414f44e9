/**
 * The OpenAPI 3.1 document of the HTTP API, generated from the facts the code runs on: the route table and each
 * route's errors (routes.ts), the request schemas the handlers parse with (api-schemas.ts, through zod 4's JSON
 * Schema output, input side), the response shapes (api-responses.ts) and the error codes (errors.ts).
 * `npm start` serves it at `GET /openapi.json`; `npm run openapi` writes the committed copy docs/openapi.json.
 * Pure: no AWS SDK, no I/O. No function bundles it.
 *
 * zod cannot see inside a refinement: the request schemas check IDs, text and lists with `refine`, so their JSON
 * Schema is `{}`. {@link REQUEST_FIELD_SCHEMAS} gives each such field its JSON Schema, built from the same constants
 * (ids.ts patterns, api-schemas.ts limits); zod supplies the rest (which fields exist, which are required, that
 * no other field is accepted). test/unit/openapi.test.ts fuzzes each request part to prove the two accept the
 * same values, and fails on a field left without a schema.
 */
import * as z from 'zod/mini';
import {
  conversationIDSchema,
  createGroupBody,
  DEFAULT_PAGE_SIZE,
  deleteConversationsObject,
  deletionAuditQuery,
  deletionIDSchema,
  DELETION_ID_PATTERN,
  deleteOneQuery,
  groupIDSchema,
  MAX_DELETE_BATCH,
  MAX_GROUP_MEMBERS,
  MAX_NOTIFICATION_RECIPIENTS,
  MAX_PAGE_SIZE,
  MAX_TEXT_LENGTH,
  pageQuery,
  restoreBody,
  sendMessageBody,
  settingsUpdateBody,
  syncDeletionsQuery,
  systemNotificationBody,
  userIDSchema,
  UTC_TIME_PATTERN,
} from './api-schemas.js';
import { RESPONSE_COMPONENTS, ROUTE_RESPONSES } from './api-responses.js';
import { ERROR_CODES, type ErrorCode } from './errors.js';
import { MAX_DELETION_GRACE_PERIOD_SECONDS } from './settings.js';
import { CONVERSATION_ID_HINT, GROUP_ID_HINT, GROUP_ID_PATTERN, SYSTEM_CONVERSATION_ID, USER_ID_HINT, USER_ID_PATTERN } from './ids.js';
import { HTTP_ROUTES, type HttpRouteKey, routeErrors, routeKey } from './routes.js';

/** Where `npm start` serves the document (outside /v1, so it never shadows an API route). */
export const OPENAPI_PATH = '/openapi.json';

type JsonSchema = Record<string, unknown>;

const ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });
const unanchored = (pattern: RegExp) => pattern.source.replace(/^\^/, '').replace(/\$$/, '');
const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** `C2C<userID>`, `GROUP<groupID>` or `@TIM#SYSTEM`, as parseConversationID reads them. */
const CONVERSATION_ID_PATTERN = `^(?:C2C${unanchored(USER_ID_PATTERN)}|GROUP${unanchored(GROUP_ID_PATTERN)}|${escapeRegExp(SYSTEM_CONVERSATION_ID)})$`;

/**
 * The `Idempotency-Key` and `X-Device-ID` format. headers.ts checks it with a regex it does not export (it is kept
 * free of zod and of this file); the unit test fuzzes parseOptionalHeader against this pattern.
 */
export const HEADER_TOKEN_PATTERN = '^[A-Za-z0-9_.:@#-]{1,128}$';

/** A field's default, read from the schema itself: parse a value without the field and look. */
const defaultOf = (schema: z.ZodMiniType, withoutField: unknown, field: string): unknown => (schema.parse(withoutField) as Record<string, unknown>)[field];

const booleanField = (description: string, fallback?: unknown): JsonSchema => ({ type: 'boolean', description, ...(fallback !== undefined ? { default: fallback } : {}) });

const textField: JsonSchema = {
  type: 'string',
  minLength: 1,
  maxLength: MAX_TEXT_LENGTH,
  pattern: '\\S',
  description: `1-${MAX_TEXT_LENGTH} characters (code points), not blank`,
};

/** A cursor as the schemas bound it (`cursor` may be empty, meaning none; `since` may not). */
const cursorField = (minLength: 0 | 1, description: string): JsonSchema => ({ type: 'string', ...(minLength ? { minLength } : {}), maxLength: 2048, description });

const limitField: JsonSchema = {
  type: 'integer',
  minimum: 1,
  maximum: MAX_PAGE_SIZE,
  default: DEFAULT_PAGE_SIZE,
  description: `page size, a whole number from 1 to ${MAX_PAGE_SIZE}`,
};

/** The IDs, named as components of the document: the request fields below reference them. */
const ID_COMPONENTS: Record<string, JsonSchema> = {
  ConversationID: { type: 'string', pattern: CONVERSATION_ID_PATTERN, description: CONVERSATION_ID_HINT },
  UserID: { type: 'string', pattern: USER_ID_PATTERN.source, description: USER_ID_HINT },
  GroupID: { type: 'string', pattern: GROUP_ID_PATTERN.source, description: GROUP_ID_HINT },
  DeletionID: {
    type: 'string',
    pattern: DELETION_ID_PATTERN.source,
    description: "the `deletionID` of a deletion's (or cleared history's) answer, unchanged",
  },
};

/**
 * The JSON Schema of each request field zod cannot describe (a refinement, or a query value it sees as a string),
 * keyed by the very schema object the handlers parse with. It replaces zod's output for that field, except on an
 * object, which keeps zod's properties and gains these keywords.
 */
export const REQUEST_FIELD_SCHEMAS: ReadonlyMap<z.ZodMiniType, JsonSchema> = new Map<z.ZodMiniType, JsonSchema>([
  [conversationIDSchema, ref('ConversationID')],
  [userIDSchema, ref('UserID')],
  [groupIDSchema, ref('GroupID')],
  [
    sendMessageBody.shape.conversationID,
    {
      ...ref('ConversationID'),
      not: { const: SYSTEM_CONVERSATION_ID },
      description: `not ${SYSTEM_CONVERSATION_ID} (written by admins only, through POST /v1/admin/system-notifications), nor C2C<your own userID>`,
    },
  ],
  [sendMessageBody.shape.text, textField],
  [
    createGroupBody.shape.memberList,
    { type: 'array', items: ref('UserID'), maxItems: MAX_GROUP_MEMBERS - 1, description: `the other members; the caller is added (at most ${MAX_GROUP_MEMBERS} in all)` },
  ],
  [systemNotificationBody.shape.userIDList, { type: 'array', items: ref('UserID'), minItems: 1, maxItems: MAX_NOTIFICATION_RECIPIENTS }],
  [
    deleteConversationsObject.shape.conversationIDList,
    { type: 'array', items: ref('ConversationID'), minItems: 1, maxItems: MAX_DELETE_BATCH, description: 'duplicates are removed, request order kept' },
  ],
  [
    deleteConversationsObject.shape.clearHistoryMessage,
    booleanField("also clear the caller's history of each conversation", defaultOf(deleteConversationsObject, { conversationIDList: ['C2Ca'] }, 'clearHistoryMessage')),
  ],
  [
    deleteConversationsObject.shape.dryRun,
    booleanField('answer what the deletion would do; change nothing', defaultOf(deleteConversationsObject, { conversationIDList: ['C2Ca'] }, 'dryRun')),
  ],
  [settingsUpdateBody.shape.syncConversationDeletion, booleanField("push each deletion to the user's other devices and serve the catch-up list")],
  [
    settingsUpdateBody.shape.deletionGracePeriodSeconds,
    {
      type: 'integer',
      minimum: 0,
      maximum: MAX_DELETION_GRACE_PERIOD_SECONDS,
      description: 'how long a deletion or cleared history can be undone (POST /v1/conversations/restore); its purge waits until then; 0 turns undo off',
    },
  ],
  [deletionIDSchema, ref('DeletionID')],
  [
    deletionAuditQuery.shape.since,
    { type: 'string', format: 'date-time', pattern: UTC_TIME_PATTERN.source, description: 'list from this time on (UTC, inclusive); omit for every retained record' },
  ],
  [settingsUpdateBody, { minProperties: 1, description: 'the settings to change, at least one; the others keep their value' }],
  [pageQuery.shape.limit, limitField],
  [pageQuery.shape.cursor, cursorField(0, 'a nextCursor from the previous page of the same list')],
  [syncDeletionsQuery.shape.since, cursorField(1, 'a nextCursor from an earlier answer; omit it to read every retained deletion')],
  [deleteOneQuery.shape.clearHistoryMessage, booleanField("also clear the caller's history of the conversation", defaultOf(deleteOneQuery, {}, 'clearHistoryMessage'))],
  [deleteOneQuery.shape.dryRun, booleanField('answer what the deletion would do; change nothing', defaultOf(deleteOneQuery, {}, 'dryRun'))],
]);

/** zod's `override` hook: puts each field's schema from {@link REQUEST_FIELD_SCHEMAS} in place of what zod made of it. */
const describeFields = ({ zodSchema, jsonSchema }: { zodSchema: z.core.$ZodType; jsonSchema: JsonSchema }) => {
  const fragment = REQUEST_FIELD_SCHEMAS.get(zodSchema as z.ZodMiniType);
  if (!fragment) return;
  if (zodSchema._zod.def.type !== 'object') for (const key of Object.keys(jsonSchema)) delete jsonSchema[key];
  Object.assign(jsonSchema, fragment);
};

/** The request bodies, named as components of the document. */
const REQUEST_COMPONENTS = {
  SendMessageRequest: sendMessageBody,
  CreateGroupRequest: createGroupBody,
  SystemNotificationRequest: systemNotificationBody,
  DeleteConversationsRequest: deleteConversationsObject,
  SettingsUpdate: settingsUpdateBody,
  RestoreRequest: restoreBody,
} as const;

type RequestComponent = keyof typeof REQUEST_COMPONENTS | 'ConversationID';

/** What a route takes: path parameters, query and body as the handlers parse them, and optional headers. */
export type RouteRequest = {
  /** Named after the reference chat SDK's call where it has one. */
  operationId: string;
  summary: string;
  /** Each path parameter and the schema its value is parsed with (after percent-decoding). */
  path?: Readonly<Record<string, z.ZodMiniType>>;
  /** The strict object the query string is parsed with. */
  query?: z.ZodMiniObject;
  /** The body: one component, or several alternatives (`oneOf`). */
  body?: readonly RequestComponent[];
  headers?: readonly ('Idempotency-Key' | 'X-Device-ID')[];
};

/** What each route takes, from the handlers (functions/handlers): a new route does not type-check until it has its entry. */
export const ROUTE_REQUESTS = {
  'POST /v1/messages': { operationId: 'sendMessage', summary: 'Send a message to a one-to-one or group conversation', body: ['SendMessageRequest'] },
  'GET /v1/conversations/{conversationID}/messages': {
    operationId: 'getMessageList',
    summary: "The caller's messages of a conversation after its clear point, newest first",
    path: { conversationID: conversationIDSchema },
    query: pageQuery,
  },
  'POST /v1/groups': { operationId: 'createGroup', summary: 'Create a group; the caller becomes a member', body: ['CreateGroupRequest'] },
  'GET /v1/conversations': { operationId: 'getConversationList', summary: "The caller's conversations, newest activity first", query: pageQuery },
  'POST /v1/conversations/delete': {
    operationId: 'deleteConversation',
    summary: 'Delete one conversation (an ID string) or 1-100 (the object form), as chat.deleteConversation(options) takes them',
    body: ['ConversationID', 'DeleteConversationsRequest'],
    headers: ['Idempotency-Key', 'X-Device-ID'],
  },
  'DELETE /v1/conversations/{conversationID}': {
    operationId: 'deleteOneConversation',
    summary: 'Delete one conversation, the REST way',
    path: { conversationID: conversationIDSchema },
    query: deleteOneQuery,
    headers: ['Idempotency-Key', 'X-Device-ID'],
  },
  'POST /v1/conversations/{conversationID}/clear-history': {
    operationId: 'clearHistoryMessage',
    summary: "Clear the caller's history of a conversation and keep the conversation (undoable within the grace period)",
    path: { conversationID: conversationIDSchema },
    headers: ['Idempotency-Key', 'X-Device-ID'],
  },
  'POST /v1/conversations/restore': {
    operationId: 'restoreConversation',
    summary: 'Undo a deletion or a cleared history within its grace period: the conversations, and their history, come back',
    body: ['RestoreRequest'],
    headers: ['Idempotency-Key', 'X-Device-ID'],
  },
  'GET /v1/deletions/{deletionID}': {
    operationId: 'getDeletion',
    summary: "One of the caller's deletions: what it did, whether it can be undone, how far its history purge is",
    path: { deletionID: deletionIDSchema },
  },
  'POST /v1/admin/users/{userID}/conversations/delete': {
    operationId: 'deleteConversationForUser',
    summary: "Delete a user's conversations for them (admin): the same body and answer as the user's own call",
    path: { userID: userIDSchema },
    body: ['ConversationID', 'DeleteConversationsRequest'],
    headers: ['Idempotency-Key'],
  },
  'GET /v1/admin/users/{userID}/deletions': {
    operationId: 'getUserDeletions',
    summary: "A user's deletions, cleared histories and restores, oldest first, with who acted and the purge state (admin audit)",
    path: { userID: userIDSchema },
    query: deletionAuditQuery,
  },
  'POST /v1/admin/system-notifications': {
    operationId: 'sendSystemNotification',
    summary: `Write a message to users' ${SYSTEM_CONVERSATION_ID} conversation (admin)`,
    body: ['SystemNotificationRequest'],
  },
  'GET /v1/admin/settings': { operationId: 'getSettings', summary: "The app's settings (admin)" },
  'PUT /v1/admin/settings': { operationId: 'updateSettings', summary: "Change some of the app's settings (admin)", body: ['SettingsUpdate'] },
  'GET /v1/sync/conversation-deletions': {
    operationId: 'getConversationDeletions',
    summary: "The caller's deletions after a cursor, oldest first: the offline catch-up of multi-device sync",
    query: syncDeletionsQuery,
  },
} as const satisfies Record<HttpRouteKey, RouteRequest>;

const HEADERS = {
  'Idempotency-Key': 'A retry with the same key (same user) answers the first response without doing the work again, for 24 hours.',
  'X-Device-ID': 'The device asking: carried in the event and the deletion record so that sync skips that device.',
} as const;

/** JSON Schema keywords a component must not carry inside an OpenAPI document. */
const component = ({ $schema: _schema, $id: _id, ...schema }: JsonSchema): JsonSchema => schema;

/** JSON Schema of named zod schemas, as document components referencing one another. */
const components = (named: Record<string, z.ZodMiniType>, io: 'input' | 'output'): Record<string, JsonSchema> => {
  const registry = z.registry<{ id?: string }>();
  for (const [id, schema] of Object.entries(named)) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, { io, metadata: registry, uri: (id) => `#/components/schemas/${id}`, override: describeFields });
  return Object.fromEntries(Object.entries(schemas).map(([name, schema]) => [name, component(schema as JsonSchema)]));
};

/** The JSON Schema (input side) of a request part that is not a component: a path parameter, a query string. */
const inputSchema = (schema: z.ZodMiniType): JsonSchema => component(z.toJSONSchema(schema, { io: 'input', override: describeFields }) as JsonSchema);

const statusText: Record<number, string> = {
  400: 'The request is malformed; nothing was changed.',
  401: 'No token, or a bad or expired one. In the cloud, API Gateway answers `{"message":"Unauthorized"}` before the function runs.',
  403: 'Not allowed.',
  404: 'Not found.',
  409: 'Conflict.',
  413: 'The body is larger than 64 KB.',
  429: 'Too many calls: nothing was done; retry after `Retry-After` seconds.',
  500: 'A fault on our side; the request may be retried.',
  503: 'Some conversations could not be deleted after retries: repeat the same request to finish.',
};

/** The codes answered with a `Retry-After` header, and what it means with each. */
const RETRY_AFTER: Partial<Record<ErrorCode, string>> = {
  IDEMPOTENCY_IN_PROGRESS: "seconds until the running request's lock expires at the latest; retry then for its answer",
  RATE_LIMITED: 'seconds until one more call is allowed',
};

const retryAfter = (codes: readonly ErrorCode[]) => {
  const meanings = codes.filter((code) => RETRY_AFTER[code]).map((code) => `with ${code}: ${RETRY_AFTER[code]}`);
  return meanings.length ? { headers: { 'Retry-After': { description: `${meanings.join('; ')}.`, schema: { type: 'integer', minimum: 1 } } } } : {};
};

const errorResponses = (codes: readonly ErrorCode[]) => {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) byStatus.set(ERROR_CODES[code].status, [...(byStatus.get(ERROR_CODES[code].status) ?? []), code]);
  return Object.fromEntries(
    [...byStatus].map(([status, group]) => {
      const listed = group.map((code) => `\`${code}\` (${ERROR_CODES[code].code})`).join(', ');
      const schema: JsonSchema =
        group.length === 1 && group[0] === 'PARTIAL_FAILURE'
          ? ref('PartialFailure')
          : {
              allOf: [
                ref('Error'),
                { type: 'object', properties: { error: { enum: group }, code: { enum: group.map((code) => ERROR_CODES[code].code) } } },
              ],
            };
      return [
        String(status),
        {
          description: `${statusText[status] ?? ''} Error codes: ${listed}.`.trim(),
          ...retryAfter(group),
          content: { 'application/json': { schema } },
        },
      ];
    }),
  );
};

const responseName = new Map<z.ZodMiniType, string>(Object.entries(RESPONSE_COMPONENTS).map(([name, schema]) => [schema, name]));

export type OpenApiOptions = {
  /**
   * The server the document names first, e.g. the local runner's own URL or a deployed stack's `HttpApiUrl`.
   * @default none: the document lists the local runner and the API Gateway URL template
   */
  serverUrl?: string;
};

/** The OpenAPI 3.1 document of the HTTP API. */
export const openApiDocument = (options: OpenApiOptions = {}) => {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of HTTP_ROUTES) {
    const key = routeKey(route) as HttpRouteKey;
    const request: RouteRequest = ROUTE_REQUESTS[key];
    const success = ROUTE_RESPONSES[key];
    const dataName = responseName.get(success.data);
    const query = request.query ? inputSchema(request.query) : undefined;
    const required = new Set((query?.required as string[] | undefined) ?? []);
    const parameters = [
      ...Object.entries(request.path ?? {}).map(([name, schema]) => ({
        name,
        in: 'path',
        required: true,
        description: 'percent-encoded (`@TIM#SYSTEM` is `%40TIM%23SYSTEM`)',
        schema: inputSchema(schema),
      })),
      ...Object.entries((query?.properties as Record<string, JsonSchema> | undefined) ?? {}).map(([name, schema]) => ({
        name,
        in: 'query',
        required: required.has(name),
        schema,
      })),
      ...(request.headers ?? []).map((name) => ({
        name,
        in: 'header',
        required: false,
        description: HEADERS[name],
        schema: { type: 'string', pattern: HEADER_TOKEN_PATTERN },
      })),
    ];
    const body = request.body?.map((name) => ref(name));
    paths[route.path] = {
      ...paths[route.path],
      [route.method.toLowerCase()]: {
        operationId: request.operationId,
        summary: request.summary,
        tags: [route.function],
        ...('admin' in route && route.admin ? { description: 'For administrators only: the token must carry the admin claim (group `admins`).' } : {}),
        ...(parameters.length ? { parameters } : {}),
        ...(body ? { requestBody: { required: true, content: { 'application/json': { schema: body.length === 1 ? body[0] : { oneOf: body } } } } } : {}),
        responses: {
          [String(success.status)]: {
            description: success.status === 201 ? 'Created.' : 'OK.',
            content: {
              'application/json': {
                schema: { type: 'object', properties: { code: { const: 0 }, data: dataName ? ref(dataName) : {} }, required: ['code', 'data'], additionalProperties: false },
              },
            },
          },
          ...errorResponses(routeErrors(route)),
        },
      },
    };
  }

  return {
    openapi: '3.1.1',
    info: {
      title: 'Conversation deletion service',
      version: '1',
      description:
        'Chat users delete conversations (one-to-one, group, system) one at a time or up to 100 at once, with or without their history. ' +
        'Success answers `{"code":0,"data":...}`; errors `{"code":<int>,"error":"<STABLE_CODE>","message":"..."}`. See docs/api.md.',
    },
    servers: [
      ...(options.serverUrl ? [{ url: options.serverUrl }] : []),
      { url: 'http://localhost:3000', description: 'npm start' },
      {
        url: 'https://{apiId}.execute-api.{region}.amazonaws.com',
        description: 'a deployed stack (its HttpApiUrl output)',
        variables: { apiId: { default: 'apiId' }, region: { default: 'us-east-1' } },
      },
    ],
    security: [{ bearerAuth: [] }],
    tags: [...new Set(HTTP_ROUTES.map((r) => r.function))].map((name) => ({ name, description: `served by the \`${name}\` function` })),
    paths,
    components: {
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'The caller is the token\'s user-ID claim; admins are in the `admins` group. Locally, get a token from `POST /local/token`.',
        },
      },
      schemas: { ...ID_COMPONENTS, ...components(REQUEST_COMPONENTS, 'input'), ...components(RESPONSE_COMPONENTS, 'output') },
    },
  };
};

/** The document as `npm run openapi` writes it to docs/openapi.json. */
export const openApiJson = (options: OpenApiOptions = {}): string => `${JSON.stringify(openApiDocument(options), null, 2)}\n`;
