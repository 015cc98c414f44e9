/**
 * The local runner's own behaviour, where it stands in for API Gateway: what it answers before any function runs
 * (unknown routes, wrong methods, bad tokens) and its token endpoint. In the cloud API Gateway answers these with
 * its own bodies, so the service's integration tests assert only the statuses; these bodies are the local runner's.
 */
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ERROR_CODES } from '#contracts/errors.js';
import { keys } from '#contracts/table.js';
import { startTestStack, type TestStack, uniqueUser } from '../support/stack.js';
import { Device, eventually } from '../support/websocket.js';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack?.stop());

describe('the local API Gateway', () => {
  it('answers an unknown route 404 ROUTE_NOT_FOUND and a wrong method 405 METHOD_NOT_ALLOWED, without running a function', async () => {
    const asAlice = await stack.as(uniqueUser('alice'));
    const before = stack.awsCalls.length;
    expect((await asAlice.get('/v1/nothing-here')).body).toMatchObject({ error: 'ROUTE_NOT_FOUND', message: expect.stringContaining('docs/api.md') });
    const wrongMethod = await asAlice.request('PUT', '/v1/conversations');
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.body).toMatchObject({ error: 'METHOD_NOT_ALLOWED' });
    expect(stack.awsCalls.length).toBe(before);
  });

  it('says why it refuses a token: missing, expired, or not signed by it', async () => {
    expect((await stack.anonymous.get('/v1/conversations')).body).toMatchObject({ code: 40100, error: 'UNAUTHORIZED', message: expect.stringContaining('/local/token') });
    const expired = await stack.auth.issue('alice', false, Math.floor(Date.now() / 1000) - 60);
    const response = await stack.anonymous.request('GET', '/v1/conversations', { headers: { authorization: `Bearer ${expired}` } });
    expect(response.status).toBe(401);
    expect(response.body.message).toContain('expired');
  });

  it.each(['__proto__', 'constructor'])('hands a query parameter named %s to the function as sent, which refuses it as unknown', async (name) => {
    // API Gateway passes every parameter on as a JSON key; a plain object would drop __proto__ and see an inherited constructor.
    const asAlice = await stack.as(uniqueUser('alice'));
    const response = await asAlice.get(`/v1/conversations?${name}=1`);
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ error: 'UNKNOWN_FIELD', message: `query has unknown field(s) "${name}": remove them` });
  });

  it('issues local tokens only for valid user IDs', async () => {
    const response = await stack.anonymous.post('/local/token', { userID: 'not valid!' });
    expect(response.status).toBe(400);
    expect(response.body.error).toBe('INVALID_USER_ID');
  });

  it('refuses a deeply nested userID with 400, not a 500 from quoting it', async () => {
    const response = await stack.anonymous.request('POST', '/local/token', { rawBody: `{"userID":${'['.repeat(10_000)}${']'.repeat(10_000)}}` });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ error: 'INVALID_USER_ID', message: expect.stringContaining('userID') });
  });
});

/** A valid Sec-WebSocket-Key (RFC 6455's example). */
const WEBSOCKET_KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

/** Sends raw bytes (so the request line can be anything) and resolves the status line of the answer. */
const rawRequest = async (port: number, request: string): Promise<string> => (await rawExchange(port, request)).statusLine;

/**
 * Sends raw bytes and resolves the answer's status line and body (de-chunked) once the server closes the
 * connection; rejects on a reset, and resolves an empty status line if the server closed without answering.
 */
const rawExchange = (port: number, request: string): Promise<{ statusLine: string; body: any }> =>
  new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(request));
    let answer = '';
    socket.on('data', (chunk) => {
      answer += chunk.toString('latin1');
      // A 101 leaves the socket open.
      if (answer.startsWith('HTTP/1.1 101') && answer.includes('\r\n\r\n')) socket.destroy();
    });
    socket.on('error', reject);
    socket.on('close', () => {
      const [head = '', rest = ''] = [answer.slice(0, answer.indexOf('\r\n\r\n')), answer.slice(answer.indexOf('\r\n\r\n') + 4)];
      let text = rest;
      if (/^transfer-encoding: chunked$/im.test(head)) {
        text = '';
        for (let at = 0; ; ) {
          const size = parseInt(rest.slice(at, rest.indexOf('\r\n', at)), 16);
          if (!size) break;
          const start = rest.indexOf('\r\n', at) + 2;
          text += rest.slice(start, start + size);
          at = start + size + 2;
        }
      }
      let body: unknown = text;
      try {
        body = JSON.parse(Buffer.from(text, 'latin1').toString('utf8'));
      } catch {
        // not JSON: the text itself
      }
      resolve({ statusLine: head.split('\r\n')[0] ?? '', body });
    });
  });

describe('malformed requests get a 4xx from the local runner, never a 500 or a reset', () => {
  it('refuses an absolute-form request target with 400, for HTTP and for a WebSocket upgrade', async () => {
    expect(await rawRequest(stack.port, 'GET http://example.com/v1/conversations HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).toMatch(/^HTTP\/1\.1 400/);
    const upgrade = 'GET http://example.com/v1/ws?token=x HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n';
    expect(await rawRequest(stack.port, upgrade)).toMatch(/^HTTP\/1\.1 400/);
  });

  // Node's HTTP server answers these itself, with an empty body (or, for CONNECT, by closing the connection).
  it.each([
    ['a CONNECT request', 'CONNECT 127.0.0.1:443 HTTP/1.1\r\nHost: x\r\n\r\n', 405, 'METHOD_NOT_ALLOWED'],
    ['a CONNECT to a path', 'CONNECT /v1/conversations HTTP/1.1\r\nHost: x\r\n\r\n', 405, 'METHOD_NOT_ALLOWED'],
    ['a control character in a header', 'GET /v1/conversations HTTP/1.1\r\nHost: x\r\nX-Bad: a\x01b\r\nConnection: close\r\n\r\n', 400, 'INVALID_REQUEST'],
    ['an unknown method', 'FOO /v1/conversations HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 400, 'INVALID_REQUEST'],
    ['a raw non-ASCII path', 'GET /v1/conversations/C2C\xc3\xa9/messages HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 400, 'INVALID_REQUEST'],
    ['Transfer-Encoding and Content-Length together', 'POST /v1/messages HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\nConnection: close\r\n\r\n0\r\n\r\n', 400, 'INVALID_REQUEST'],
    ['headers over 16 KB', `GET /v1/conversations HTTP/1.1\r\nHost: x\r\nX-Huge: ${'a'.repeat(20_000)}\r\nConnection: close\r\n\r\n`, 431, 'HEADERS_TOO_LARGE'],
    ['an HTTP/1.1 request without Host', 'GET /v1/conversations HTTP/1.1\r\nConnection: close\r\n\r\n', 400, 'INVALID_HEADER'],
    ['an Expect other than 100-continue', 'POST /v1/messages HTTP/1.1\r\nHost: x\r\nExpect: garbage\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}', 400, 'INVALID_HEADER'],
  ] as const)('answers %s with the API\'s error shape', async (_name, request, status, error) => {
    const answer = await rawExchange(stack.port, request);
    expect(answer.statusLine).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
    expect(answer.body).toMatchObject({ code: ERROR_CODES[error].code, error, message: expect.stringMatching(/.{20}/) });
  });

  it.each([
    ['no Sec-WebSocket-Key', ['Upgrade: websocket', 'Sec-WebSocket-Version: 13'], 'GET', 400],
    ['a malformed Sec-WebSocket-Key', ['Upgrade: websocket', 'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Key: short'], 'GET', 400],
    ['an unknown Sec-WebSocket-Version', ['Upgrade: websocket', 'Sec-WebSocket-Version: 99', `Sec-WebSocket-Key: ${WEBSOCKET_KEY}`], 'GET', 400],
    ['an upgrade to another protocol', ['Upgrade: h2c', 'Sec-WebSocket-Version: 13', `Sec-WebSocket-Key: ${WEBSOCKET_KEY}`], 'GET', 400],
    ['a POST', ['Upgrade: websocket', 'Sec-WebSocket-Version: 13', `Sec-WebSocket-Key: ${WEBSOCKET_KEY}`], 'POST', 405],
  ] as const)('refuses a WebSocket handshake with %s before any function runs, with {"message"} and no connection left registered', async (_name, headers, method, status) => {
    // Prepare: a good token and device ID, so only the handshake is wrong.
    const userID = uniqueUser('alice');
    const token = await stack.token(userID);
    const before = stack.awsCalls.length;
    // Act
    const answer = await rawExchange(stack.port, [`${method} /v1/ws?token=${token}&deviceID=phone HTTP/1.1`, 'Host: x', 'Connection: Upgrade', ...headers, '', ''].join('\r\n'));
    // Assess: refused as API Gateway refuses, and $connect never registered a socket that cannot open.
    expect(answer.statusLine).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
    expect(answer.body).toEqual({ message: expect.stringMatching(/.{10}/) });
    expect(stack.awsCalls.slice(before).map((c) => `${c.functionName} ${c.commandName}`)).toEqual([]);
    const registered = await stack.db.send(new QueryCommand({ TableName: stack.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': keys.connectionPartition(userID) } }));
    expect(registered.Items).toEqual([]);
  });

  it('removes the connection $connect registered when ws still refuses the handshake (a malformed Sec-WebSocket-Protocol)', async () => {
    // Prepare
    const userID = uniqueUser('alice');
    const token = await stack.token(userID);
    const registered = async () =>
      (await stack.db.send(new QueryCommand({ TableName: stack.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': keys.connectionPartition(userID) } }))).Items ?? [];
    // Act: every check before the authorizer passes; only ws's own parsing of the subprotocol list fails.
    const request = [`GET /v1/ws?token=${token}&deviceID=phone HTTP/1.1`, 'Host: x', 'Connection: Upgrade', 'Upgrade: websocket', 'Sec-WebSocket-Version: 13', `Sec-WebSocket-Key: ${WEBSOCKET_KEY}`, 'Sec-WebSocket-Protocol: chat, chat', '', ''];
    const answer = await rawExchange(stack.port, request.join('\r\n'));
    // Assess
    expect(answer.statusLine).toMatch(/^HTTP\/1\.1 400 /);
    expect(answer.body).toEqual({ message: expect.stringContaining('Sec-WebSocket-Protocol') });
    await eventually(async () => (await registered()).length === 0, 'the registration is removed');
  });

  it('answers a malformed percent-escape under /@connections with 400', async () => {
    const response = await fetch(`${stack.url}/@connections/%zz`, { method: 'POST', body: 'x', headers: stack.awsEndpointHeaders });
    expect(response.status).toBe(400);
    expect(response.headers.get('x-amzn-errortype')).toBe('BadRequestException');
  });

  it('answers PutEvents without a list of entries with 400 ValidationException', async () => {
    const response = await fetch(stack.url, { method: 'POST', headers: { ...stack.awsEndpointHeaders, 'x-amz-target': 'AWSEvents.PutEvents', 'content-type': 'application/x-amz-json-1.1' }, body: '{"Entries":5}' });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { __type: string }).__type).toBe('ValidationException');
  });

  it('does not report a client that went away mid-body as a runner error', async () => {
    // Prepare
    const errors = vi.spyOn(console, 'error');
    try {
      // Act: 10 of the 100 bytes the request announces, then the connection closes.
      await new Promise<void>((resolve) => {
        const socket = connect(stack.port, '127.0.0.1', () => {
          socket.write('POST /v1/messages HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789', () => setTimeout(() => socket.destroy(), 50));
        });
        socket.on('close', () => resolve());
      });
      await new Promise((r) => setTimeout(r, 100));
      // Assess
      expect(errors.mock.calls.filter(([message]) => message === 'local runner error')).toEqual([]);
    } finally {
      errors.mockRestore();
    }
  });

  it('reads a body that says "too large" as a body, not as the marker of one over 1 MiB', async () => {
    const asAlice = await stack.as(uniqueUser('alice'));
    const response = await asAlice.request('POST', '/v1/messages', { rawBody: 'too large' });
    expect(response.status).toBe(400);
    expect(response.body.error).toBe('INVALID_JSON');
  });

  it('answers a body over 1 MiB with 413, not a connection reset', async () => {
    const asAlice = await stack.as(uniqueUser('alice'));
    const response = await asAlice.request('POST', '/v1/messages', { rawBody: 'x'.repeat(1024 * 1024 + 10) });
    expect(response.status).toBe(413);
    expect(response.body.error).toBe('PAYLOAD_TOO_LARGE');
  });
});

describe('the emulated AWS endpoints refuse in AWS\'s shape, as the SDK reads it', () => {
  it.each([
    ['no entries', []],
    ['11 entries', Array.from({ length: 11 }, () => ({ Source: 'fuzz', DetailType: 'Nothing', Detail: '{}' }))],
    ['an entry that is no object', [null]],
  ])('refuses PutEvents with %s as EventBridge does (1 to 10 entry objects), delivering nothing', async (_name, entries) => {
    // Prepare
    const before = stack.bus.history.length;
    // Act
    const response = await fetch(stack.url, {
      method: 'POST',
      headers: { ...stack.awsEndpointHeaders, 'x-amz-target': 'AWSEvents.PutEvents', 'content-type': 'application/x-amz-json-1.1' },
      body: JSON.stringify({ Entries: entries }),
    });
    // Assess: a publisher that forgot to send 10 at a time fails here as it would in the cloud.
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ __type: 'ValidationException', message: expect.stringContaining('1 to 10') });
    expect(stack.bus.history.length).toBe(before);
  });

  it('answers PutEvents over 1 MiB with 413 in EventBridge\'s JSON shape', async () => {
    const response = await fetch(stack.url, {
      method: 'POST',
      headers: { ...stack.awsEndpointHeaders, 'x-amz-target': 'AWSEvents.PutEvents', 'content-type': 'application/x-amz-json-1.1' },
      body: 'x'.repeat(1024 * 1024 + 1),
    });
    expect(response.status).toBe(413);
    expect(response.headers.get('content-type')).toMatch(/^application\/x-amz-json-1\.1/);
    expect(await response.json()).toEqual({ __type: expect.any(String), message: expect.stringContaining('1048576') });
  });

  it('answers the Management API over 1 MiB with 413 and x-amzn-errortype', async () => {
    const response = await fetch(`${stack.url}/@connections/L0SM9cOFvHcCIhw%3D`, { method: 'POST', headers: stack.awsEndpointHeaders, body: 'x'.repeat(1024 * 1024 + 1) });
    expect(response.status).toBe(413);
    expect(response.headers.get('x-amzn-errortype')).toBe('PayloadTooLargeException');
    expect(await response.json()).toEqual({ message: expect.any(String) });
  });

  it('answers another method on an open connection with 405 and x-amzn-errortype', async () => {
    const device = await Device.connect(stack, uniqueUser('alice'), 'phone');
    const connectionID = stack.websocket.connectionIDs().at(-1)!;
    const response = await fetch(`${stack.url}/@connections/${encodeURIComponent(connectionID)}`, { method: 'PATCH', headers: stack.awsEndpointHeaders });
    expect(response.status).toBe(405);
    expect(response.headers.get('x-amzn-errortype')).toBeTruthy();
    expect(await response.json()).toEqual({ message: expect.stringContaining('POST, GET or DELETE') });
    await device.close();
  });
});

describe('closed to everyone but its own functions', () => {
  it('listens on the loopback interface only: from any other address of this machine, nothing answers', async () => {
    expect(stack.url).toMatch(/^http:\/\/localhost:/);
    expect(stack.listenAddress).toBe('127.0.0.1');
    const others = Object.values(networkInterfaces())
      .flat()
      .filter((i): i is NonNullable<typeof i> => i !== undefined && !i.internal && i.family === 'IPv4')
      .map((i) => i.address);
    for (const address of others) {
      const refused = await new Promise<string>((resolve) => {
        const socket = connect(stack.port, address);
        socket.once('connect', () => (socket.destroy(), resolve('connected')));
        socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
      });
      expect(refused, address).toBe('ECONNREFUSED');
    }
  });

  it('delivers only to its own bus: an entry for another bus fails as in the cloud, where it would be lost', async () => {
    const before = stack.bus.history.length;
    const entry = { Source: 'conversation-deletion-service', DetailType: 'ConversationsDeleted', Detail: '{}' };
    const response = await fetch(stack.url, {
      method: 'POST',
      headers: { ...stack.awsEndpointHeaders, 'x-amz-target': 'AWSEvents.PutEvents', 'content-type': 'application/x-amz-json-1.1' },
      body: JSON.stringify({ Entries: [{ ...entry, EventBusName: 'someone-elses-bus' }, entry] }),
    });
    expect(await response.json()).toEqual({
      FailedEntryCount: 2,
      Entries: [expect.objectContaining({ ErrorCode: 'ResourceNotFoundException' }), expect.objectContaining({ ErrorCode: 'ResourceNotFoundException' })],
    });
    expect(stack.bus.history.length).toBe(before);
  });

  it('refuses PutEvents without the runner\'s key: a forged purge event never reaches the bus', async () => {
    const before = stack.bus.history.length;
    const forged = JSON.stringify({ Entries: [{ Source: 'conversation-deletion-service', DetailType: 'ConversationHistoryPurgeRequested', Detail: '{}', EventBusName: stack.eventBusName }] });
    const response = await fetch(stack.url, { method: 'POST', headers: { 'x-amz-target': 'AWSEvents.PutEvents', 'content-type': 'application/x-amz-json-1.1' }, body: forged });
    expect(response.status).toBe(403);
    expect(((await response.json()) as { __type: string }).__type).toBe('AccessDeniedException');
    expect(stack.bus.history.length).toBe(before);
  });

  it('refuses the Management API without the runner\'s key: nobody else can post to or close a socket', async () => {
    const device = await Device.connect(stack, uniqueUser('alice'), 'phone');
    const [connectionID] = stack.websocket.connectionIDs();
    for (const method of ['POST', 'GET', 'DELETE']) {
      const response = await fetch(`${stack.url}/@connections/${encodeURIComponent(connectionID!)}`, { method, ...(method === 'POST' ? { body: '{"fake":true}' } : {}) });
      expect(response.status, method).toBe(403);
    }
    expect(device.received).toEqual([]);
    expect(stack.websocket.connectionIDs()).toContain(connectionID);
    await device.close();
  });
});
