/**
 * Every HTTP route and the function that serves it. The CDK stack creates one integration per entry,
 * the local runner dispatches with the same table, and docs/api.md documents each one.
 */

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
