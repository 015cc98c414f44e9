/**
 * Every HTTP route and the function that serves it. The CDK stack creates one integration per entry,
 * the local runner dispatches with the same table, and docs/api.md documents each one.
 */
import { ERROR_CODES, type ErrorCode } from './errors.js';

export const HTTP_FUNCTIONS = ['messages', 'groups', 'conversations', 'delete-conversations', 'admin', 'sync'] as const;
export type HttpFunctionName = (typeof HTTP_FUNCTIONS)[number];

export type HttpRoute = {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  function: HttpFunctionName;
  /** Needs the admin claim (checked by the handler; the authorizer only checks the token). */
  admin?: boolean;
};

export const HTTP_ROUTES = [
  { method: 'POST', path: '/v1/messages', function: 'messages' },
  { method: 'GET', path: '/v1/conversations/{conversationID}/messages', function: 'messages' },
  { method: 'POST', path: '/v1/groups', function: 'groups' },
  { method: 'GET', path: '/v1/conversations', function: 'conversations' },
  { method: 'POST', path: '/v1/conversations/delete', function: 'delete-conversations' },
  { method: 'DELETE', path: '/v1/conversations/{conversationID}', function: 'delete-conversations' },
  { method: 'POST', path: '/v1/conversations/{conversationID}/clear-history', function: 'delete-conversations' },
  { method: 'POST', path: '/v1/conversations/restore', function: 'delete-conversations' },
  { method: 'GET', path: '/v1/deletions/{deletionID}', function: 'conversations' },
  { method: 'POST', path: '/v1/admin/users/{userID}/conversations/delete', function: 'delete-conversations', admin: true },
  { method: 'GET', path: '/v1/admin/users/{userID}/deletions', function: 'admin', admin: true },
  { method: 'POST', path: '/v1/admin/system-notifications', function: 'admin', admin: true },
  { method: 'GET', path: '/v1/admin/settings', function: 'admin', admin: true },
  { method: 'PUT', path: '/v1/admin/settings', function: 'admin', admin: true },
  { method: 'GET', path: '/v1/sync/conversation-deletions', function: 'sync' },
] as const satisfies readonly HttpRoute[];

type DeclaredRoute = (typeof HTTP_ROUTES)[number];

/** The route keys (`"POST /v1/messages"`) a function serves, as declared above: its handler must serve exactly these. */
export type HttpRouteKey<F extends HttpFunctionName = HttpFunctionName> =
  Extract<DeclaredRoute, { function: F }> extends infer R ? (R extends { method: infer M extends string; path: infer P extends string } ? `${M} ${P}` : never) : never;

/** The WebSocket API: devices connect at this path locally (API Gateway WebSocket stage URL in the cloud). */
export const WEBSOCKET_PATH = '/v1/ws';

/** The WebSocket API's stage: `wss://{api}.execute-api.{region}.amazonaws.com/v1` (the local runner uses the same name). */
export const WEBSOCKET_STAGE = 'v1';

/** WebSocket routes and their functions; `$connect` is guarded by the Lambda authorizer `ws-authorizer`. */
export const WEBSOCKET_FUNCTIONS = ['ws-authorizer', 'ws-connect', 'ws-disconnect'] as const;
export type WebSocketFunctionName = (typeof WEBSOCKET_FUNCTIONS)[number];
export const WEBSOCKET_ROUTES = [
  { routeKey: '$connect', function: 'ws-connect', authorizer: 'ws-authorizer' },
  { routeKey: '$disconnect', function: 'ws-disconnect' },
] as const;

export const routeKey = <R extends Pick<HttpRoute, 'method' | 'path'>>(route: R): `${R['method']} ${R['path']}` => `${route.method} ${route.path}`;

/** Matches a concrete path against a route template; returns the raw path parameters. */
export const matchRoute = (
  method: string,
  path: string,
): { route: DeclaredRoute; pathParameters: Record<string, string> } | { methodMismatch: true } | undefined => {
  let methodMismatch = false;
  for (const route of HTTP_ROUTES) {
    const params = matchPath(route.path, path);
    if (!params) continue;
    if (route.method === method) return { route, pathParameters: params };
    methodMismatch = true;
  }
  return methodMismatch ? { methodMismatch: true } : undefined;
};

const matchPath = (template: string, path: string): Record<string, string> | undefined => {
  const want = template.split('/');
  const got = path.split('/');
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    const g = got[i]!;
    if (w.startsWith('{') && w.endsWith('}')) {
      if (g.length === 0) return undefined;
      // Passed on as sent (percent-encoded), as API Gateway does; the handler decodes.
      params[w.slice(1, -1)] = g;
    } else if (w !== g) {
      return undefined;
    }
  }
  return params;
};

/** The errors of a deletion's body form, the user's own and an admin's acting for a user. */
const DELETE_BODY_ERRORS = [
  'INVALID_REQUEST',
  'INVALID_CONVERSATION_ID',
  'INVALID_BATCH_SIZE',
  'UNKNOWN_FIELD',
  'INVALID_HEADER',
  'IDEMPOTENCY_KEY_REUSED',
  'IDEMPOTENCY_IN_PROGRESS',
  'ALREADY_RESTORED',
  'RATE_LIMITED',
  'PARTIAL_FAILURE',
] as const satisfies readonly ErrorCode[];


/**
 * The errors each route can answer, by stable code (functions/contracts/errors.ts), beyond those every route can
 * ({@link EVERY_ROUTE_ERRORS}) and ADMIN_REQUIRED on admin routes: the codes of its input checks (body, query,
 * path, headers) and of its use case. Defined here, once, next to the routes; {@link routeErrors} joins the three,
 * and the OpenAPI document, docs/api.md and the tests read it (test/unit/openapi.test.ts checks the input checks
 * raise no other code). A new route does not type-check until it has its entry.
 */
export const ROUTE_ERRORS = {
  'POST /v1/messages': [
    'INVALID_REQUEST',
    'INVALID_CONVERSATION_ID',
    'INVALID_TEXT',
    'UNKNOWN_FIELD',
    'CANNOT_MESSAGE_SELF',
    'CANNOT_MESSAGE_SYSTEM',
    'NOT_GROUP_MEMBER',
    'GROUP_NOT_FOUND',
  ],
  'GET /v1/conversations/{conversationID}/messages': ['INVALID_CONVERSATION_ID', 'INVALID_CURSOR', 'INVALID_QUERY', 'UNKNOWN_FIELD'],
  'POST /v1/groups': ['INVALID_REQUEST', 'INVALID_USER_ID', 'INVALID_GROUP_ID', 'UNKNOWN_FIELD', 'GROUP_EXISTS'],
  'GET /v1/conversations': ['INVALID_CURSOR', 'INVALID_QUERY', 'UNKNOWN_FIELD'],
  'POST /v1/conversations/delete': DELETE_BODY_ERRORS,
  'DELETE /v1/conversations/{conversationID}': [
    'INVALID_CONVERSATION_ID',
    'INVALID_QUERY',
    'UNKNOWN_FIELD',
    'INVALID_HEADER',
    'IDEMPOTENCY_KEY_REUSED',
    'IDEMPOTENCY_IN_PROGRESS',
    'ALREADY_RESTORED',
    'RATE_LIMITED',
    'PARTIAL_FAILURE',
  ],
  'POST /v1/conversations/{conversationID}/clear-history': [
    'INVALID_CONVERSATION_ID',
    'INVALID_HEADER',
    'IDEMPOTENCY_KEY_REUSED',
    'IDEMPOTENCY_IN_PROGRESS',
    'CONVERSATION_NOT_FOUND',
    'ALREADY_RESTORED',
    'RATE_LIMITED',
  ],
  'POST /v1/conversations/restore': [
    'INVALID_REQUEST',
    'INVALID_DELETION_ID',
    'UNKNOWN_FIELD',
    'INVALID_HEADER',
    'DELETION_NOT_FOUND',
    'IDEMPOTENCY_KEY_REUSED',
    'IDEMPOTENCY_IN_PROGRESS',
    'ALREADY_RESTORED',
    'RESTORE_EXPIRED',
    'RATE_LIMITED',
  ],
  'GET /v1/deletions/{deletionID}': ['INVALID_DELETION_ID', 'DELETION_NOT_FOUND'],
  'POST /v1/admin/users/{userID}/conversations/delete': ['INVALID_USER_ID', ...DELETE_BODY_ERRORS],
  'GET /v1/admin/users/{userID}/deletions': ['INVALID_USER_ID', 'INVALID_QUERY', 'INVALID_CURSOR', 'UNKNOWN_FIELD'],
  'POST /v1/admin/system-notifications': ['INVALID_REQUEST', 'INVALID_USER_ID', 'INVALID_TEXT', 'UNKNOWN_FIELD'],
  'GET /v1/admin/settings': [],
  'PUT /v1/admin/settings': ['INVALID_REQUEST', 'UNKNOWN_FIELD'],
  'GET /v1/sync/conversation-deletions': ['INVALID_CURSOR', 'INVALID_QUERY', 'UNKNOWN_FIELD', 'CURSOR_EXPIRED'],
} as const satisfies Record<HttpRouteKey, readonly ErrorCode[]>;

/**
 * What every route can answer, whatever it takes: the shared middlewares (functions/middleware/http-middlewares.ts)
 * check the token and read any body sent, even on a GET, before the route runs; and anything may fail on our side.
 */
export const EVERY_ROUTE_ERRORS = ['INVALID_JSON', 'UNAUTHORIZED', 'PAYLOAD_TOO_LARGE', 'INTERNAL_ERROR'] as const satisfies readonly ErrorCode[];

/** Every error code a route can answer, in the order of ERROR_CODES (so by status). */
export const routeErrors = (route: Pick<HttpRoute, 'method' | 'path' | 'admin'>): ErrorCode[] => {
  const own: readonly ErrorCode[] = ROUTE_ERRORS[routeKey(route) as HttpRouteKey] ?? [];
  const codes = new Set<ErrorCode>([...own, ...EVERY_ROUTE_ERRORS, ...(route.admin ? (['ADMIN_REQUIRED'] as const) : [])]);
  return (Object.keys(ERROR_CODES) as ErrorCode[]).filter((code) => codes.has(code));
};
