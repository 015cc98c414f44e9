/**
 * The local API Gateway WebSocket API, on the same port as the HTTP API: devices connect at
 * ws://localhost:<port>/v1/ws?token=<JWT>&deviceID=<id>. Like the cloud it runs the `$connect` authorizer,
 * then `$connect`, then (when the socket closes) `$disconnect`, with WebSocket-shaped events, and it answers the
 * Management API (`POST|GET|DELETE /@connections/{id}`) so the push function's code is the same here and there.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { type IncomingMessage, type Server, type ServerResponse, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { APIGatewayAuthorizerResult, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { WebSocket, WebSocketServer } from 'ws';
import { WEBSOCKET_PATH, WEBSOCKET_STAGE } from '#contracts/routes.js';
import { fromLocalFunction, type Invoke, requestURL, TOO_LARGE } from './server.js';

/** API Gateway's limit for a message either way (128 KB). */
const MAX_MESSAGE_BYTES = 128 * 1024;
const API_ID = 'localws';
const STAGE = WEBSOCKET_STAGE;
const CONNECTIONS_PATH = /^\/@connections\/([^/]+)$/;

type OpenConnection = { socket: WebSocket; connectedAt: Date; lastActiveAt: Date; sourceIp: string; userAgent: string };

export type LocalWebSocketGatewayOptions = {
  invoke: Invoke;
  /** Where failures of the connection functions are reported. */
  log: (message: string, extra?: unknown) => void;
  /** The key the runner's own functions send to the Management API (see sendLocalAwsKey). */
  awsKey: string;
};

/** API Gateway's connection IDs are 16 characters of base64 (for example "L0SM9cOFvHcCIhw="). */
const newConnectionID = (): string => randomBytes(12).toString('base64');

/** Refuses an upgrade as API Gateway does: a status and `{"message"}` (by default the status's own words, as it says them). */
const refuse = (socket: Duplex, status: number, message = STATUS_CODES[status] ?? 'Error') => {
  if (!socket.destroyed) {
    const body = JSON.stringify({ message });
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
};

/** A `Sec-WebSocket-Key`: 16 random bytes, base64-encoded (RFC 6455, section 4.1). */
const WEBSOCKET_KEY = /^[+/0-9A-Za-z]{22}==$/;

/**
 * Why a WebSocket handshake cannot complete, or undefined when it can: the checks `ws` makes when it completes it,
 * made before the authorizer and `$connect` run, as API Gateway does. Otherwise `$connect` would register a
 * connection that never opens (and never sees `$disconnect`), and `ws` would refuse it with a text body.
 */
const handshakeProblem = (req: IncomingMessage): [status: number, message: string] | undefined => {
  if (req.method !== 'GET') return [405, 'a WebSocket handshake is a GET request'];
  const key = req.headers['sec-websocket-key'];
  if (key === undefined || !WEBSOCKET_KEY.test(key)) return [400, 'send Sec-WebSocket-Key: 16 random bytes, base64-encoded (RFC 6455)'];
  const version = req.headers['sec-websocket-version'];
  if (version !== '13' && version !== '8') return [400, 'send Sec-WebSocket-Version: 13'];
  return undefined;
};

const isAllowed = (result: APIGatewayAuthorizerResult | undefined): boolean => {
  const statements = (result?.policyDocument?.Statement ?? []) as { Effect?: string }[];
  return statements.some((s) => s.Effect === 'Allow') && !statements.some((s) => s.Effect === 'Deny');
};

const sendJson = (res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(body === undefined ? '' : JSON.stringify(body));
};

/** What the Management API answers for an unknown connection; the SDK reads the error type from the header. */
const gone = (res: ServerResponse, connectionID: string) =>
  sendJson(res, 410, { message: `connection ${connectionID} is gone` }, { 'x-amzn-errortype': 'GoneException' });

export class LocalWebSocketGateway {
  private readonly server = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  private readonly open = new Map<string, OpenConnection>();
  /** Connection function invocations under way, awaited by close() so nothing touches the table after it stops. */
  private readonly inFlight = new Set<Promise<unknown>>();
  /** For each handshake under way after $connect: runs $disconnect should `ws` refuse it after all. */
  private readonly abandoned = new WeakMap<IncomingMessage, () => void>();
  private closing = false;

  /** What API Gateway would call this API and its stage (the authorizer's method ARN and IAM checks use them). */
  public readonly apiId = API_ID;
  public readonly stage = STAGE;

  public constructor(private readonly options: LocalWebSocketGatewayOptions) {}

  /** Serves WebSocket upgrades on the HTTP server's port. */
  public attach(httpServer: Server): void {
    // A handshake `ws` still refuses after the checks of handshakeProblem: refused in API Gateway's shape, and the
    // connection $connect registered for it is removed again.
    this.server.on('wsClientError', (error: Error, socket: Duplex, req: IncomingMessage) => {
      refuse(socket, 400, `the WebSocket handshake is not valid: ${error.message}`);
      this.abandoned.get(req)?.();
    });
    httpServer.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      socket.on('error', () => socket.destroy());
      this.track(
        this.upgrade(req, socket, head).catch((error) => {
          this.options.log('local WebSocket gateway: upgrade failed', error);
          refuse(socket, 500);
        }),
      );
    });
  }

  /** Connection IDs of open sockets (for tools and tests). */
  public connectionIDs(): string[] {
    return [...this.open.keys()];
  }

  /** Closes every socket (running `$disconnect` for each) and waits for the connection functions to finish. */
  public async close(): Promise<void> {
    this.closing = true;
    for (const connection of this.open.values()) connection.socket.close(1001, 'going away');
    // Each socket's close event starts its $disconnect; wait for the handshakes, then for the invocations.
    const settle = async (deadline: number) => {
      while ((this.open.size > 0 || this.inFlight.size > 0) && Date.now() < deadline) {
        // A timer in every round: with nothing in flight yet, allSettled([]) alone would spin without letting I/O in.
        const tick = new Promise((r) => setTimeout(r, 20));
        await (this.inFlight.size > 0 ? Promise.race([Promise.allSettled([...this.inFlight]), tick]) : tick);
      }
    };
    await settle(Date.now() + 3000);
    for (const connection of this.open.values()) connection.socket.terminate();
    await settle(Date.now() + 2000);
    this.server.close();
  }

  /**
   * The Management API at `/@connections/{id}`: POST sends the body as one message, GET describes the
   * connection, DELETE closes it; a connection that is not open is 410 Gone. Returns false for other paths.
   */
  public async handleManagementRequest(req: IncomingMessage, res: ServerResponse, url: URL, body: string | undefined | typeof TOO_LARGE): Promise<boolean> {
    const match = CONNECTIONS_PATH.exec(url.pathname);
    if (!match) return false;
    // Only the runner's functions may post to or close a device's socket, as only the push function's role may in the cloud.
    if (!fromLocalFunction(req, this.options.awsKey)) {
      sendJson(res, 403, { message: 'the Management API answers the local functions only' }, { 'x-amzn-errortype': 'AccessDeniedException' });
      return true;
    }
    let connectionID: string;
    try {
      connectionID = decodeURIComponent(match[1]!);
    } catch {
      sendJson(res, 400, { message: 'Invalid connectionId: not a percent-encoded connection ID' }, { 'x-amzn-errortype': 'BadRequestException' });
      return true;
    }
    // The size before the connection: a message too large for any connection is refused as such.
    if (req.method === 'POST' && (body === TOO_LARGE || Buffer.byteLength(body ?? '') > MAX_MESSAGE_BYTES)) {
      sendJson(res, 413, { message: `a message may be ${MAX_MESSAGE_BYTES} bytes at most` }, { 'x-amzn-errortype': 'PayloadTooLargeException' });
      return true;
    }
    const connection = this.open.get(connectionID);
    if (!connection || connection.socket.readyState !== WebSocket.OPEN) {
      gone(res, connectionID);
      return true;
    }
    switch (req.method) {
      case 'POST': {
        // Answer once the frame is handed to the socket, as API Gateway answers once it has sent it.
        const message = typeof body === 'string' ? body : '';
        await new Promise<void>((resolve) => connection.socket.send(message, () => resolve()));
        connection.lastActiveAt = new Date();
        sendJson(res, 200);
        return true;
      }
      case 'GET':
        sendJson(res, 200, {
          ConnectedAt: connection.connectedAt.toISOString(),
          LastActiveAt: connection.lastActiveAt.toISOString(),
          Identity: { SourceIp: connection.sourceIp, UserAgent: connection.userAgent },
        });
        return true;
      case 'DELETE':
        connection.socket.close(1000, 'closed by the server');
        sendJson(res, 204);
        return true;
      default:
        sendJson(res, 405, { message: 'use POST, GET or DELETE on /@connections/{connectionId}' }, { 'x-amzn-errortype': 'MethodNotAllowedException' });
        return true;
    }
  }

  private track(work: Promise<unknown>): void {
    const run = work.finally(() => this.inFlight.delete(run));
    this.inFlight.add(run);
  }

  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = requestURL(req);
    if (!url) return refuse(socket, 400, 'the request target must be a path such as /v1/ws?token=<JWT>&deviceID=<id>');
    // Node hands every request with "Connection: Upgrade" here, whatever it asks to upgrade to (curl --http2 asks for h2c).
    if (req.headers.upgrade?.toLowerCase() !== 'websocket') {
      return refuse(socket, 400, `this server upgrades to WebSocket only, at ${WEBSOCKET_PATH}: send "Upgrade: websocket", or send HTTP API requests without "Connection: Upgrade"`);
    }
    if (url.pathname !== WEBSOCKET_PATH) return refuse(socket, 404);
    const problem = handshakeProblem(req);
    if (problem) return refuse(socket, ...problem);
    if (this.closing) return refuse(socket, 503);
    const query = Object.fromEntries(url.searchParams);
    // The route's identity source is the token: without one API Gateway answers 401 and skips the authorizer.
    if (!query.token) return refuse(socket, 401);

    const connectionID = newConnectionID();
    const now = new Date();
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(',') : v;
    const sourceIp = req.socket.remoteAddress ?? '127.0.0.1';
    const userAgent = req.headers['user-agent'] ?? '';
    const requestContext = (routeKey: string, eventType: 'CONNECT' | 'DISCONNECT') => ({
      routeKey,
      eventType,
      messageId: undefined,
      extendedRequestId: randomUUID(),
      requestTime: new Date().toUTCString(),
      messageDirection: 'IN' as const,
      stage: STAGE,
      connectedAt: now.getTime(),
      requestTimeEpoch: Date.now(),
      identity: { sourceIp, userAgent },
      requestId: randomUUID(),
      domainName: req.headers.host ?? 'localhost',
      connectionId: connectionID,
      apiId: API_ID,
    });

    const authorization = (await this.options.invoke('ws-authorizer', {
      type: 'REQUEST',
      methodArn: `arn:aws:execute-api:${process.env.AWS_REGION ?? 'us-east-1'}:000000000000:${API_ID}/${STAGE}/$connect`,
      headers,
      multiValueHeaders: null,
      queryStringParameters: query,
      multiValueQueryStringParameters: null,
      stageVariables: null,
      requestContext: requestContext('$connect', 'CONNECT'),
    })) as APIGatewayAuthorizerResult;
    if (!isAllowed(authorization)) return refuse(socket, 403);

    const connected = (await this.options.invoke('ws-connect', {
      requestContext: { ...requestContext('$connect', 'CONNECT'), authorizer: { ...authorization.context, principalId: authorization.principalId } },
      headers,
      queryStringParameters: query,
      isBase64Encoded: false,
    })) as APIGatewayProxyStructuredResultV2 | undefined;
    const status = connected?.statusCode ?? 200;
    if (status < 200 || status > 299) return refuse(socket, status, 'Forbidden');

    const disconnect = (statusCode: number, reason: string) =>
      this.track(
        this.options
          .invoke('ws-disconnect', {
            requestContext: { ...requestContext('$disconnect', 'DISCONNECT'), disconnectStatusCode: statusCode, disconnectReason: reason },
            headers,
            isBase64Encoded: false,
          })
          .catch((error) => this.options.log('local WebSocket gateway: $disconnect failed', error)),
      );
    // The client may have gone while $connect ran; API Gateway then still runs $disconnect.
    if (socket.destroyed || !socket.readable || !socket.writable) return disconnect(1006, 'client went away during $connect');

    this.abandoned.set(req, () => disconnect(1006, 'the WebSocket handshake failed'));
    this.server.handleUpgrade(req, socket, head, (ws) => {
      this.abandoned.delete(req);
      const connection: OpenConnection = { socket: ws, connectedAt: now, lastActiveAt: new Date(), sourceIp, userAgent };
      this.open.set(connectionID, connection);
      ws.on('message', () => {
        connection.lastActiveAt = new Date();
        // This API routes no client messages (no $default route); API Gateway answers such a message like this.
        ws.send(JSON.stringify({ message: 'Forbidden', connectionId: connectionID, requestId: randomUUID() }));
      });
      ws.on('error', () => ws.terminate());
      ws.once('close', (code, reason) => {
        this.open.delete(connectionID);
        disconnect(code, reason.toString());
      });
    });
  }
}
