/**
 * The local API Gateway: serves the HTTP API by invoking the very handler functions the cloud runs, with
 * API Gateway v2 (payload 2.0) events, after checking the token as the cloud's JWT authorizer would.
 * It also answers the AWS APIs the functions call locally (EventBridge PutEvents; the WebSocket Management API
 * through `extraRoutes`, see websocket.ts) so their code is unchanged.
 */
import { randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, maxHeaderSize, type Server, type ServerResponse, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { CORS_HEADERS } from '#contracts/headers.js';
import { isUserID, USER_ID_HINT } from '#contracts/ids.js';
import { type ErrorCode, ERROR_CODES, errorBody, show } from '#contracts/errors.js';
import { HTTP_ROUTES, matchRoute, routeKey, WEBSOCKET_PATH } from '#contracts/routes.js';
import { OPENAPI_PATH, openApiJson } from '#contracts/openapi.js';
import type { FunctionName } from '#contracts/functions.js';
import type { LocalEventBus } from './event-bus.js';
import { LOCAL_AWS_KEY_HEADER } from './aws-calls.js';
import type { LocalAuth } from './local-auth.js';
import { serveConsole } from '../console/serve.js';

const MAX_REQUEST_BYTES = 1024 * 1024;

export type Invoke = (name: FunctionName, event: unknown, options?: { timeoutMs?: number; requestId?: string }) => Promise<unknown>;

/** A Lambda context good enough for Powertools and the handlers. */
export const lambdaContext = (name: string, requestId: string, timeoutMs: number): Context => {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: name,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${name}`,
    memoryLimitInMB: '1024',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${name}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
};

const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(text);
};

const sendError = (res: ServerResponse, code: ErrorCode, message: string) => send(res, ERROR_CODES[code].status, errorBody(code, message));

/** What readBody resolves for a body over the limit: a symbol, since any string (even "too large") may be a body. */
export const TOO_LARGE: unique symbol = Symbol('body over the limit');

/** The body, or TOO_LARGE once it passes the limit (the rest is read and dropped, so the client gets the 413). */
const readBody = (req: IncomingMessage): Promise<string | undefined | typeof TOO_LARGE> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_REQUEST_BYTES) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > MAX_REQUEST_BYTES ? TOO_LARGE : chunks.length ? Buffer.concat(chunks).toString('utf8') : undefined));
    req.on('error', reject);
  });

/**
 * The request's URL when its target is a path (origin form), as API Gateway only ever routes; undefined for an
 * absolute-form or malformed target, which the caller answers with 400.
 */
export const requestURL = (req: IncomingMessage): URL | undefined => {
  if (!req.url?.startsWith('/')) return undefined;
  try {
    return new URL(req.url, 'http://localhost');
  } catch {
    return undefined;
  }
};

/** API Gateway hands JWT claims to the function as strings; arrays become "[a b]". Mirror that. */
const asAuthorizerClaims = (claims: Record<string, unknown>): Record<string, string> =>
  Object.fromEntries(Object.entries(claims).map(([k, v]) => [k, Array.isArray(v) ? `[${v.join(' ')}]` : String(v)]));

export type LocalServerOptions = {
  auth: LocalAuth;
  bus: LocalEventBus;
  invoke: Invoke;
  /** The key the runner's own functions send to the emulated AWS endpoints (see sendLocalAwsKey). */
  awsKey: string;
  /** Routes served before the API's; `body` is TOO_LARGE for a body over 1 MiB, which the route answers in its own shape. */
  extraRoutes?: (req: IncomingMessage, res: ServerResponse, url: URL, body: string | undefined | typeof TOO_LARGE) => Promise<boolean>;
};

/** Whether a request to an emulated AWS endpoint comes from one of the runner's own functions. */
export const fromLocalFunction = (req: IncomingMessage, awsKey: string): boolean => {
  const sent = req.headers[LOCAL_AWS_KEY_HEADER];
  return typeof sent === 'string' && sent.length === awsKey.length && timingSafeEqual(Buffer.from(sent), Buffer.from(awsKey));
};

/** A whole error answer as bytes, for refusals written straight to the socket (before Node makes a request of them). */
const rawErrorAnswer = (code: ErrorCode, message: string): string => {
  const { status } = ERROR_CODES[code];
  const body = JSON.stringify(errorBody(code, message));
  return `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
};

/** What to answer a request Node's HTTP parser refused (its error code says why). */
const parserRefusal = (error: NodeJS.ErrnoException & { reason?: string }): [ErrorCode, string] => {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return ['HEADERS_TOO_LARGE', `the request line and headers are larger than ${maxHeaderSize} bytes: send shorter headers and a shorter URL`];
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return ['PAYLOAD_TOO_LARGE', 'the chunk extensions are too large: send the body without chunk extensions'];
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return ['INVALID_REQUEST', 'the request did not arrive in time: send the whole request at once'];
    default:
      return ['INVALID_REQUEST', `the request is not valid HTTP/1.1 (${error.reason ?? error.code ?? error.message}): check the request line, header names and values, and the body's framing`];
  }
};

export const createLocalServer = (options: LocalServerOptions): Server => {
  // requireHostHeader off: Node would answer an HTTP/1.1 request without Host with an empty 400; handle() answers it.
  const server = createServer({ requireHostHeader: false }, (req, res) => {
    handle(req, res, options).catch((error: NodeJS.ErrnoException) => {
      // The client went away before its body was complete: nobody is left to answer, and nothing here failed.
      if (error.code === 'ECONNRESET' && req.destroyed) return;
      if (!res.headersSent) sendError(res, 'INTERNAL_ERROR', 'the local runner failed to serve this request');
      console.error('local runner error', error);
    });
  });
  // What Node answers on its own, with an empty body (or by closing the connection), answered with the API's error
  // shape instead, so that every refusal carries a documented code and says how to fix the request.
  server.on('clientError', (error: NodeJS.ErrnoException & { reason?: string }, socket: Duplex) => {
    if (error.code === 'ECONNRESET') return void socket.destroy();
    // Answered already: what the client still sends is read and dropped (closing on unread data would reset the
    // connection, and the client might never see the answer).
    if (!socket.writable) return;
    // As Node itself does: a connection already carrying an answer cannot take another.
    if ((socket as Duplex & { _httpMessage?: { headersSent: boolean } })._httpMessage?.headersSent) return void socket.destroy();
    const [code, message] = parserRefusal(error);
    socket.end(rawErrorAnswer(code, message));
    // A client that never closes its side does not keep the connection for ever.
    setTimeout(() => socket.destroy(), 10_000).unref();
  });
  // CONNECT asks for a tunnel; without a listener Node closes the connection without a word.
  server.on('connect', (_req: IncomingMessage, socket: Duplex) => {
    socket.on('error', () => socket.destroy());
    socket.end(rawErrorAnswer('METHOD_NOT_ALLOWED', 'CONNECT is not supported: this is an HTTP API, not a proxy; see GET / or docs/api.md'));
  });
  // An Expect other than 100-continue; without a listener Node answers an empty 417.
  server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.once('end', () => sendError(res, 'INVALID_HEADER', `Expect: ${show(req.headers.expect)} cannot be met: send no Expect header, or "Expect: 100-continue"`));
  });
  return server;
};

/** An EventBridge answer: its JSON protocol, where an error's type is `__type`. */
const sendAwsJson = (res: ServerResponse, status: number, body: unknown) => send(res, status, body, { 'content-type': 'application/x-amz-json-1.1' });

/** EventBridge's PutEvents for the runner's functions; every refusal in EventBridge's shape, as the SDK reads it. */
const putEvents = (req: IncomingMessage, res: ServerResponse, options: LocalServerOptions, body: string | undefined | typeof TOO_LARGE) => {
  // Only the runner's functions may publish: anyone else could purge any user's history with a forged event.
  if (!fromLocalFunction(req, options.awsKey)) {
    return sendAwsJson(res, 403, { __type: 'AccessDeniedException', message: 'the local event bus takes events from the local functions only' });
  }
  const invalid = (message: string, status = 400) => sendAwsJson(res, status, { __type: 'ValidationException', message });
  if (body === TOO_LARGE) return invalid(`the request is larger than ${MAX_REQUEST_BYTES} bytes: send fewer or smaller entries`, 413);
  let request: { Entries?: unknown };
  try {
    request = JSON.parse(body ?? '{}');
  } catch {
    return invalid('the body is not JSON');
  }
  // EventBridge's own limits, so a publisher that would fail in the cloud fails here too.
  const entries = request?.Entries;
  if (!Array.isArray(entries) || entries.length < 1 || entries.length > 10 || !entries.every((e) => e !== null && typeof e === 'object' && !Array.isArray(e))) {
    return invalid(`Entries must be a list of 1 to 10 entry objects, not ${show(entries)}`);
  }
  return sendAwsJson(res, 200, options.bus.putEvents(entries));
};

/**
 * CORS, as the cloud stack's `corsAllowedOrigins` configures API Gateway, so that a web app served from another local
 * port can call the runner: origins from CORS_ALLOWED_ORIGINS (comma-separated; `:*` matches any port, another `*` any text within the host),
 * by default any `http://localhost:*` and `http://127.0.0.1:*`. An allowed origin gets its own name back on every
 * answer (and Retry-After exposed, so the client SDK can honour it); a preflight is answered here, before any route.
 */
const corsOrigins = (): RegExp[] =>
  (process.env.CORS_ALLOWED_ORIGINS ?? 'http://localhost:*,http://127.0.0.1:*')
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean)
    .map((o) => new RegExp(`^${o.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replaceAll(':*', ':\\d+').replaceAll('*', '[^/:]*')}$`));

/** Adds the CORS headers for an allowed origin; answers a preflight and returns true. */
const cors = (req: IncomingMessage, res: ServerResponse): boolean => {
  const origin = req.headers.origin;
  const allowed = typeof origin === 'string' && corsOrigins().some((o) => o.test(origin));
  if (allowed) {
    res.setHeader('access-control-allow-origin', origin);
    res.setHeader('access-control-expose-headers', CORS_HEADERS.expose.join(', '));
    res.setHeader('vary', 'origin');
  }
  if (req.method !== 'OPTIONS' || req.headers['access-control-request-method'] === undefined) return false;
  // A refused origin gets the same 204 without the headers: the browser then refuses the request itself.
  if (allowed) {
    res.setHeader('access-control-allow-methods', [...new Set(HTTP_ROUTES.map((r) => r.method))].join(', '));
    res.setHeader('access-control-allow-headers', CORS_HEADERS.allow.join(', '));
    res.setHeader('access-control-max-age', '3600');
  }
  res.writeHead(204);
  res.end();
  return true;
};

const handle = async (req: IncomingMessage, res: ServerResponse, options: LocalServerOptions) => {
  const body = await readBody(req);
  if (cors(req, res)) return;
  // AWS APIs the functions call, answered locally: the SDK posts PutEvents to the endpoint root with X-Amz-Target.
  if (req.headers['x-amz-target'] === 'AWSEvents.PutEvents') return putEvents(req, res, options, body);
  const url = requestURL(req);
  if (!url) return sendError(res, 'INVALID_REQUEST', 'the request target must be a path such as /v1/conversations');
  // The Management API (websocket.ts) answers its own requests, in its own shape, a body over the limit included.
  if (options.extraRoutes && (await options.extraRoutes(req, res, url, body))) return;
  if (body === TOO_LARGE) return sendError(res, 'PAYLOAD_TOO_LARGE', `the body is larger than ${MAX_REQUEST_BYTES} bytes`);
  if (req.httpVersion === '1.1' && req.headers.host === undefined) return sendError(res, 'INVALID_HEADER', 'an HTTP/1.1 request needs a Host header, such as "Host: localhost:3000"');
  const method = req.method ?? 'GET';
  // The web console (console/): the page at / for a browser, its files, and the local bus's events it shows.
  if (method === 'GET' && (await serveConsole(req, res, url, options.bus))) return;

  if (method === 'GET' && url.pathname === '/') {
    return send(res, 200, {
      service: 'conversation-deletion (local)',
      token: 'POST /local/token {"userID":"alice","admin":false}',
      routes: HTTP_ROUTES.map((r) => routeKey(r)),
      websocket: `ws://${req.headers.host ?? 'localhost'}${WEBSOCKET_PATH}?token=<token>&deviceID=<device>`,
      docs: 'docs/api.md',
      openapi: OPENAPI_PATH,
    });
  }
  // The API's OpenAPI document, naming this server as the one to call; public, like the docs it mirrors.
  if (url.pathname === OPENAPI_PATH) {
    if (method !== 'GET') return sendError(res, 'METHOD_NOT_ALLOWED', `use GET ${OPENAPI_PATH}`);
    const host = req.headers.host ?? '';
    return send(res, 200, openApiJson(/^[A-Za-z0-9.:[\]-]+$/.test(host) ? { serverUrl: `http://${host}` } : {}));
  }
  if (url.pathname === '/local/token') {
    if (method !== 'POST') return sendError(res, 'METHOD_NOT_ALLOWED', 'use POST /local/token');
    let request: { userID?: unknown; admin?: unknown };
    try {
      request = JSON.parse(body ?? '');
    } catch {
      return sendError(res, 'INVALID_JSON', 'send {"userID":"alice","admin":false}');
    }
    if (!request || typeof request !== 'object' || !isUserID(request.userID)) {
      return sendError(res, 'INVALID_USER_ID', `userID ${show(request?.userID)} is not valid: ${USER_ID_HINT}`);
    }
    if (request.admin !== undefined && typeof request.admin !== 'boolean') return sendError(res, 'INVALID_REQUEST', 'admin must be true or false');
    return send(res, 200, { token: await options.auth.issue(request.userID, request.admin === true) });
  }

  const match = matchRoute(method, url.pathname);
  if (!match) return sendError(res, 'ROUTE_NOT_FOUND', `no route ${method} ${url.pathname}: see GET / or docs/api.md`);
  if ('methodMismatch' in match) return sendError(res, 'METHOD_NOT_ALLOWED', `${method} is not allowed on ${url.pathname}: see docs/api.md`);

  // The JWT authorizer's job, done locally.
  const authorization = req.headers.authorization ?? '';
  const token = /^Bearer\s+(\S+)$/i.exec(authorization)?.[1];
  if (!token) return sendError(res, 'UNAUTHORIZED', 'send "Authorization: Bearer <token>"; get a token from POST /local/token');
  const verified = await options.auth.verify(token);
  if ('refused' in verified) return sendError(res, 'UNAUTHORIZED', verified.refused);

  const requestId = randomUUID();
  const now = new Date();
  // API Gateway joins repeated keys with commas. A Map, then own properties: on a plain object a key named __proto__
  // would be dropped (so never refused as unknown) and one named constructor would find Object's.
  const joined = new Map<string, string>();
  for (const [k, v] of url.searchParams) joined.set(k, joined.has(k) ? `${joined.get(k)},${v}` : v);
  const query: Record<string, string> = Object.fromEntries(joined);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(',') : v;
  const event: APIGatewayProxyEventV2WithJWTAuthorizer = {
    version: '2.0',
    routeKey: routeKey(match.route),
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    ...(Object.keys(query).length ? { queryStringParameters: query } : {}),
    ...(Object.keys(match.pathParameters).length ? { pathParameters: match.pathParameters } : {}),
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: req.headers.host ?? 'localhost',
      domainPrefix: 'localhost',
      http: { method, path: url.pathname, protocol: `HTTP/${req.httpVersion}`, sourceIp: req.socket.remoteAddress ?? '127.0.0.1', userAgent: req.headers['user-agent'] ?? '' },
      requestId,
      routeKey: routeKey(match.route),
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
      authorizer: { principalId: '', integrationLatency: 0, jwt: { claims: asAuthorizerClaims(verified.claims), scopes: [] } },
    },
    ...(body !== undefined ? { body } : {}),
    isBase64Encoded: false,
  };
  const result = (await options.invoke(match.route.function, event, { timeoutMs: 29_000, requestId })) as APIGatewayProxyStructuredResultV2;
  res.writeHead(result.statusCode ?? 200, (result.headers ?? {}) as Record<string, string>);
  res.end(result.body ?? '');
};
