/**
 * Hostile input (issue 9): property-based fuzzing, with fast-check, of everything the local stack answers on its
 * port — every HTTP route and unknown paths with every method, path parameters, query strings, headers and bodies;
 * the runner's own `/local/token`; its emulated AWS endpoints (`PutEvents`, `/@connections/{id}`) with and without
 * the runner's key; WebSocket upgrades; and requests that are not even valid HTTP/1.1.
 *
 * For every generated request: never a 5xx, never a reset, never a hang (each request has a deadline), and every
 * refusal carries the documented shape of the endpoint that answered it — the API's
 * `{"code","error","message"}` with `error` in ERROR_CODES (and its status), AWS's `{"__type","message"}` for
 * PutEvents, `x-amzn-errortype` for the Management API, API Gateway's `{"message"}` for a refused upgrade.
 *
 * After the run: every socket the fuzz opened and closed, or whose handshake was refused, left no registration
 * behind, and the background work the requests started (pushes, purges) reported no error.
 *
 * Requests go over a raw socket, so that anything can be sent (malformed escapes, bytes Node's own client refuses
 * to write, broken framing) and a reset is seen as a reset; six at a time, so some race each other (two uses of
 * one Idempotency-Key, a post to a socket another request closes). About 1,500 requests by default (~10-20 s);
 * `LONG_PROOFS=1` sends 10,000. Knobs: `FUZZ_SEED=<n>` replays a run's requests (the seed is printed first, and
 * fast-check prints seed and path with a counterexample, shrunk to the smallest failing batch; the answers can differ
 * where requests race), `FUZZ_REQUESTS=<n>`, `FUZZ_SHRINK=0` (report the first failing batch as it is), and
 * `FUZZ_REPORT_ALL=1` (list every problem and go on, to see them all at once).
 */
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { ERROR_CODES } from '#contracts/errors.js';
import { DETAIL_TYPES, EVENT_SOURCE } from '#contracts/events.js';
import { SYSTEM_CONVERSATION_ID } from '#contracts/ids.js';
import { HTTP_ROUTES, WEBSOCKET_PATH } from '#contracts/routes.js';
import { keys } from '#contracts/table.js';
import { MAX_DELETE_BATCH, MAX_GROUP_MEMBERS, MAX_TEXT_LENGTH } from '#contracts/api-schemas.js';
import { createGroup, send } from '../support/chat.js';
import { startTestStack, type TestStack } from '../support/stack.js';
import { eventually } from '../support/websocket.js';

const LONG = process.env.LONG_PROOFS === '1';
const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? (LONG ? 10_000 : 1_500));
/** Requests sent at once in one property run: a little concurrency keeps the default run well under 40 s. */
const BATCH = 6;
const SEED = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : randomBytes(4).readInt32LE();
/** FUZZ_REPORT_ALL=1 lists every problem and goes on, instead of stopping (and shrinking) at the first. */
const REPORT_ALL = process.env.FUZZ_REPORT_ALL === '1';
/** A request with no answer by then is a hang. */
const REQUEST_TIMEOUT_MS = 10_000;

// ---------------------------------------------------------------------------------------------------------------
// Requests and how they are sent
// ---------------------------------------------------------------------------------------------------------------

/** Which part of the runner a request is aimed at; it decides the refusal shape the answer must have. */
type Endpoint = 'api' | 'token' | 'events' | 'connections' | 'upgrade' | 'raw';

type FuzzRequest = {
  endpoint: Endpoint;
  method: string;
  /** The request target exactly as written on the request line (placeholders resolved at send time). */
  target: string;
  headers: [string, string][];
  body?: string | Uint8Array;
  /** The whole request, for requests that are not valid HTTP/1.1 at all (`{{host}}` is replaced). */
  raw?: string;
  /** Invalid at the HTTP level (Node's parser refuses it before any route): the API's shape whatever the endpoint. */
  malformedHttp?: boolean;
  /** For upgrades: whether the handshake, token and device ID are all good, so the socket must open. */
  acceptable?: boolean;
  /** For upgrades: bytes the device sends once the socket is open (frames, good or broken). */
  afterOpen?: Uint8Array;
};

/** Placeholder for a connection ID that is open when the request is sent. */
const OPEN_CONNECTION = '{{open-connection}}';
/** Placeholder for the runner's key to its emulated AWS endpoints. */
const AWS_KEY = '{{aws-key}}';

type Answer = { status: number; headers: Record<string, string>; body: string };
type Outcome = { kind: 'answer'; answer: Answer } | { kind: 'reset'; detail: string } | { kind: 'hang' };

const parseHead = (head: string): { status: number; headers: Record<string, string> } | undefined => {
  const [statusLine, ...lines] = head.split('\r\n');
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? '')?.[1];
  if (!status) return undefined;
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(status), headers };
};

/** Undefined while the body is incomplete. */
const decodeChunked = (data: Buffer): Buffer | undefined => {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = data.indexOf('\r\n', at);
    if (lineEnd < 0) return undefined;
    const size = parseInt(data.subarray(at, lineEnd).toString('latin1'), 16);
    if (Number.isNaN(size)) return undefined;
    if (size === 0) return Buffer.concat(parts);
    if (data.length < lineEnd + 2 + size) return undefined;
    parts.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
};

/** The final answer in what the server sent (1xx interim answers skipped; a 101 is final), or undefined if incomplete. */
const parseAnswer = (data: Buffer, closed: boolean): Answer | undefined => {
  let at = 0;
  for (;;) {
    const headEnd = data.indexOf('\r\n\r\n', at);
    if (headEnd < 0) return undefined;
    const head = parseHead(data.subarray(at, headEnd).toString('latin1'));
    if (!head) return undefined;
    const rest = data.subarray(headEnd + 4);
    if (head.status === 101) return { ...head, body: '' };
    if (head.status < 200) {
      at = headEnd + 4;
      continue;
    }
    let body: Buffer | undefined;
    if (head.headers['transfer-encoding']?.toLowerCase() === 'chunked') body = decodeChunked(rest);
    else if (head.headers['content-length'] !== undefined) {
      const length = Number(head.headers['content-length']);
      body = rest.length >= length ? rest.subarray(0, length) : undefined;
    } else body = closed ? rest : undefined;
    return body === undefined ? undefined : { ...head, body: body.toString('utf8') };
  }
};

const serialize = (request: FuzzRequest, host: string): Buffer => {
  if (request.raw !== undefined) return Buffer.from(request.raw.replaceAll('{{host}}', host).replaceAll('{{token}}', tokens.alice!), 'latin1');
  const body = request.body === undefined ? undefined : typeof request.body === 'string' ? Buffer.from(request.body, 'utf8') : Buffer.from(request.body);
  const hasHeader = (name: string) => request.headers.some(([n]) => n.toLowerCase() === name);
  const lines = [
    `${request.method} ${request.target} HTTP/1.1`,
    ...(hasHeader('host') ? [] : [`Host: ${host}`]),
    ...request.headers.map(([name, value]) => `${name}: ${value}`),
    ...(body !== undefined ? [`Content-Length: ${body.length}`] : []),
    ...(hasHeader('connection') ? [] : ['Connection: close']),
  ];
  // Header values are written as UTF-8 bytes: Node's server takes bytes 0x80-0xff in a value (obs-text).
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'utf8'), ...(body ? [body] : [])]);
};

/** Sends the bytes on a fresh connection and waits for the whole answer, a reset, or the deadline. */
const exchange = (port: number, bytes: Buffer, afterOpen?: Uint8Array): Promise<Outcome> =>
  new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let settled = false;
    const settle = (outcome: Outcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(() => settle({ kind: 'hang' }), REQUEST_TIMEOUT_MS);
    const socket = connect(port, '127.0.0.1', () => socket.write(bytes));
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      // An open WebSocket stays open: its 101 is the whole answer (closing it runs $disconnect), after the frames
      // the request sends once open, if any, have had a moment to arrive.
      const answer = parseAnswer(Buffer.concat(chunks), false);
      if (answer?.status !== 101 || opened) return;
      opened = true;
      if (!afterOpen) return settle({ kind: 'answer', answer });
      socket.write(afterOpen);
      setTimeout(() => settle({ kind: 'answer', answer }), 100);
    });
    let opened = false;
    socket.on('error', (error: NodeJS.ErrnoException) => settle({ kind: 'reset', detail: `${error.code ?? error.message} after ${Buffer.concat(chunks).length} bytes` }));
    socket.on('close', () => {
      const answer = parseAnswer(Buffer.concat(chunks), true);
      // The server may close a socket it opened (a bad frame): the answer was its 101.
      if (answer?.status === 101) return settle({ kind: 'answer', answer });
      settle(answer ? { kind: 'answer', answer } : { kind: 'reset', detail: `closed after ${Buffer.concat(chunks).length} bytes without a complete answer` });
    });
  });

// ---------------------------------------------------------------------------------------------------------------
// What every answer must look like
// ---------------------------------------------------------------------------------------------------------------

const parseJson = (text: string): any => {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

/** `{"code","error","message"}` with a documented code whose status is the answer's. */
const apiErrorProblem = (answer: Answer): string | undefined => {
  const body = parseJson(answer.body);
  const documented = body && typeof body.error === 'string' ? ERROR_CODES[body.error as keyof typeof ERROR_CODES] : undefined;
  if (!documented) return `not an error of ERROR_CODES: ${answer.body.slice(0, 300)}`;
  if (body.code !== documented.code || answer.status !== documented.status) return `${body.error} must be ${documented.status}/${documented.code}, got ${answer.status}/${body.code}`;
  if (typeof body.message !== 'string' || body.message.length < 10) return `no message saying how to fix it: ${answer.body.slice(0, 300)}`;
  if (/\n\s+at /.test(body.message)) return `a stack trace in the message: ${body.message.slice(0, 300)}`;
  return undefined;
};

const shapeProblem = (request: FuzzRequest, answer: Answer): string | undefined => {
  const { status } = answer;
  if (status >= 500) return `a ${status}`;
  if (status === 101) {
    if (request.endpoint !== 'upgrade') return 'a 101 to a request that asked for no upgrade';
    return request.acceptable ? undefined : 'a WebSocket opened for a bad handshake, token or device ID';
  }
  if (request.endpoint === 'upgrade' && request.acceptable) return `a good WebSocket upgrade refused with ${status}: ${answer.body.slice(0, 300)}`;
  if (status < 200 || status >= 600 || (status >= 300 && status < 400)) return `an unexpected status ${status}`;
  // A HEAD answer has no body to check.
  if (request.method === 'HEAD' && !request.raw) return undefined;
  const body = parseJson(answer.body);
  if (status < 300) {
    switch (request.endpoint) {
      case 'events':
        return typeof body?.FailedEntryCount === 'number' && Array.isArray(body.Entries) ? undefined : `PutEvents answered ${answer.body.slice(0, 300)}`;
      case 'connections':
        return status === 204 || answer.body === '' || typeof body?.ConnectedAt === 'string' ? undefined : `the Management API answered ${answer.body.slice(0, 300)}`;
      case 'token':
        return typeof body?.token === 'string' ? undefined : `/local/token answered ${answer.body.slice(0, 300)}`;
      default:
        return body?.code === 0 || typeof body?.service === 'string' ? undefined : `a success without {"code":0}: ${answer.body.slice(0, 300)}`;
    }
  }
  // Requests Node's HTTP parser refuses are answered before any endpoint: with the API's shape.
  if (request.malformedHttp && apiErrorProblem(answer) === undefined) return undefined;
  switch (request.endpoint) {
    case 'events':
      // EventBridge's JSON protocol: the error type in `__type`.
      if (!answer.headers['content-type']?.startsWith('application/x-amz-json-1.1')) return `PutEvents refused without the AWS JSON content type: ${JSON.stringify(answer.headers)}`;
      return typeof body?.__type === 'string' && typeof body.message === 'string' ? undefined : `PutEvents refused without {"__type","message"}: ${answer.body.slice(0, 300)}`;
    case 'connections':
      // The Management API's REST protocol: the error type in `x-amzn-errortype`.
      if (!answer.headers['x-amzn-errortype']) return `the Management API refused without x-amzn-errortype: ${status} ${answer.body.slice(0, 300)}`;
      return typeof body?.message === 'string' ? undefined : `the Management API refused without {"message"}: ${answer.body.slice(0, 300)}`;
    case 'upgrade':
      // API Gateway's WebSocket refusals: `{"message":"Forbidden"}` and the like.
      return typeof body?.message === 'string' ? undefined : `a refused upgrade without {"message"}: ${answer.body.slice(0, 300)}`;
    default:
      return apiErrorProblem(answer);
  }
};

// ---------------------------------------------------------------------------------------------------------------
// The test
// ---------------------------------------------------------------------------------------------------------------

let stack: TestStack;
const users = { alice: 'alice', bob: 'bob', carol: 'carol', root: 'root' };
const tokens: Record<string, string> = {};
const cursors: Record<string, string> = {};
const devices: WebSocket[] = [];

const openDevice = async (deviceID: string): Promise<void> => {
  const socket = new WebSocket(`${stack.websocketUrl}?token=${encodeURIComponent(tokens.alice!)}&deviceID=${deviceID}`);
  // Pushes and whatever the fuzz posts to the socket are ignored.
  socket.on('message', () => undefined);
  socket.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('unexpected-response', (_req, res) => reject(new Error(`device refused with ${res.statusCode}`)));
  });
  devices.push(socket);
};

/** The connection IDs registered for alice, the one user whose token the fuzz's upgrades carry. */
const registeredConnections = async (): Promise<string[]> => {
  const { Items = [] } = await stack.db.send(
    new QueryCommand({ TableName: stack.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': keys.connectionPartition(users.alice) } }),
  );
  return Items.map((item) => String(item.sk).slice('CONN#'.length));
};

beforeAll(async () => {
  // Prepare: a stack of its own (its table is new, so fixed user names replay), users with history, a group,
  // cursors the API really issued, and devices whose connection IDs the Management API requests can name.
  stack = await startTestStack();
  tokens.alice = await stack.token(users.alice);
  tokens.bob = await stack.token(users.bob);
  tokens.root = await stack.token(users.root, true);
  tokens.expired = await stack.auth.issue(users.alice, false, Math.floor(Date.now() / 1000) - 60);
  tokens.invalidUser = await stack.auth.issue('not a user!', false);
  tokens.tooLongUser = await stack.auth.issue('x'.repeat(33), true);
  tokens.forged = `${tokens.alice.slice(0, -4)}AAAA`;
  const asAlice = await stack.as(users.alice);
  const asBob = await stack.as(users.bob);
  for (let i = 0; i < 3; i++) await send(asAlice, `C2C${users.bob}`, `hello ${i}`);
  await send(asBob, `C2C${users.alice}`, 'hi alice');
  await send(asAlice, `C2C${users.carol}`, 'hi carol');
  await createGroup(asAlice, 'fuzz-club', [users.bob]);
  await send(asAlice, 'GROUPfuzz-club', 'hi club');
  cursors.conversations = (await asAlice.get('/v1/conversations?limit=1')).body.data.nextCursor;
  cursors.messages = (await asAlice.get(`/v1/conversations/C2C${users.bob}/messages?limit=1`)).body.data.nextCursor;
  const admin = await stack.as(users.root, { admin: true });
  await admin.request('PUT', '/v1/admin/settings', { body: { syncConversationDeletion: true } });
  await asAlice.post('/v1/conversations/delete', `C2C${users.carol}`, { 'x-device-id': 'laptop' });
  await asAlice.post('/v1/conversations/delete', { conversationIDList: ['GROUPnone'], clearHistoryMessage: false });
  cursors.since = (await asAlice.get('/v1/sync/conversation-deletions?limit=1')).body.data.nextCursor;
  for (const [name, cursor] of Object.entries(cursors)) expect(cursor, name).toEqual(expect.any(String));
  await openDevice('fuzz-phone-0');
  await openDevice('fuzz-phone-1');
});

afterAll(async () => {
  for (const socket of devices) socket.terminate();
  await stack?.stop();
});

// ---------------------------------------------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------------------------------------------

const weighted = <T>(...entries: [number, fc.Arbitrary<T>][]): fc.Arbitrary<T> => fc.oneof(...entries.map(([weight, arbitrary]) => ({ weight, arbitrary })));

const VALID_USER = fc.stringMatching(/^[A-Za-z0-9_-]{1,32}$/);
const VALID_GROUP = fc.stringMatching(/^[A-Za-z0-9_@#-]{1,48}$/);
/** Groups the fuzz may create (one of them with 500 members), so that later messages and deletions reach them. */
const FUZZ_GROUPS = ['fuzz-a', 'fuzz-b', 'fuzz-big'];
const HEADER_TOKEN = fc.stringMatching(/^[A-Za-z0-9_.:@#-]{1,128}$/);
const anyText = fc.string({ unit: 'grapheme', maxLength: 40 });
const binaryText = fc.string({ unit: 'binary', maxLength: 40 });
const longText = fc.constantFrom(300, 2049, 5_000, 20_000).map((n) => 'é'.repeat(n));
const deepArray = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
const deepObject = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
const deepJson = fc.constantFrom(50, 3_000, 12_000).chain((depth) => fc.constantFrom(deepArray(depth), deepObject(Math.floor(depth / 2))));

/** Percent-escapes clients get wrong: malformed, incomplete, invalid UTF-8, NUL, an encoded slash, double-encoded. */
const BAD_ESCAPES = ['%zz', '%', '%4', '%e9', '%C3%28', '%ED%A0%80', '%00', '%2F', '%252F', '%u0041', '%%', '%FF%FE'];

const conversationIDs = () => [
  `C2C${users.bob}`,
  `C2C${users.carol}`,
  `C2C${users.alice}`,
  'GROUPfuzz-club',
  ...FUZZ_GROUPS.map((g) => `GROUP${g}`),
  'GROUPno-such-group',
  SYSTEM_CONVERSATION_ID,
];

const conversationID = () =>
  weighted<string>(
    [6, fc.constantFrom(...conversationIDs())],
    [2, VALID_USER.map((u) => `C2C${u}`)],
    [1, VALID_GROUP.map((g) => `GROUP${g}`)],
    [2, fc.constantFrom('C2C', 'GROUP', 'bob', 'c2cbob', 'C2C bob', 'DM-bob', '@TIM#SYSTEMX', `C2C${'x'.repeat(33)}`, `GROUP${'g'.repeat(49)}`, '')],
    [1, anyText],
  );

/** A path segment for `{conversationID}`: mostly well encoded, else every way a segment can go wrong. */
const pathSegment = () =>
  weighted<string>(
    [6, conversationID().map(encodeURIComponent)],
    [1, fc.constantFrom(`C2C${users.bob}`, '@TIM%23SYSTEM', '%40TIM#SYSTEM')],
    [3, fc.tuple(fc.constantFrom(...BAD_ESCAPES), fc.constantFrom('', 'C2Cbob', 'GROUP')).map(([escape, around]) => `${around}${escape}${around}`)],
    [1, fc.constantFrom('.', '..', '%2E%2E', '')],
    [1, longText.map(encodeURIComponent)],
    [1, anyText.map(encodeURIComponent)],
    [1, fc.constantFrom('C2C%F0%9F%98%80', 'GROUP%E4%B8%AD', '%EF%BB%BFC2Cbob')],
  );

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Cursors: real ones, damaged ones, forged ones (other lists, other users, wrong types, oversized keys) and garbage. */
const cursorValue = () =>
  weighted<string>(
    [4, fc.constantFrom(cursors.conversations!, cursors.messages!, cursors.since!)],
    [2, fc.tuple(fc.constantFrom(cursors.conversations!, cursors.messages!, cursors.since!), fc.nat(), fc.constantFrom('truncate', 'flip', 'append')).map(([cursor, at, how]) => {
      const i = at % cursor.length;
      if (how === 'truncate') return cursor.slice(0, i);
      if (how === 'append') return `${cursor}A`;
      return `${cursor.slice(0, i)}${cursor[i] === 'A' ? 'B' : 'A'}${cursor.slice(i + 1)}`;
    })],
    [3, fc.constantFrom<unknown>(
      { ...keys.conversation(users.bob, `C2C${users.alice}`), lsi1sk: 'x' },
      { ...keys.conversation(users.alice, `C2C${users.bob}`), lsi1sk: 5 },
      { ...keys.conversation(users.alice, `C2C${users.bob}`), lsi1sk: '' },
      { ...keys.conversation(users.alice, `C2C${users.bob}`), lsi1sk: 'é'.repeat(600) },
      { pk: `USER#${users.alice}`, sk: `CONV#${'中'.repeat(500)}`, lsi1sk: 'x' },
      { pk: `MSG#${users.alice}#C2C${users.bob}`, sk: `SEQ#${'é'.repeat(600)}` },
      { pk: `MSG#${users.alice}#C2C${users.bob}`, sk: 'SEQ#' },
      { pk: `MSG#${users.bob}#C2C${users.alice}`, sk: 'SEQ#0000000001' },
      { pk: `MSG#${users.alice}#C2C${users.bob}`, sk: 'SEQ#1', extra: 'x' },
      { a: null },
      { a: '中'.repeat(256) },
      { a: 'x'.repeat(257) },
      { a: 5 },
      { a: '2000-01-01T00:00:00.000Z', f: '' },
      { a: '\ud800', f: '\udfff' },
      [],
      'x',
      null,
    ).map(base64url)],
    [1, fc.constantFrom('', '%%%', 'null', 'e30', 'W10', '=', 'x'.repeat(2049), 'eyJ'.repeat(900))],
    [1, binaryText],
  );

const limitValue = fc.oneof(
  fc.integer({ min: 1, max: 100 }).map(String),
  fc.constantFrom('0', '101', '-1', '1.5', '1e2', ' 5', '5 ', '', 'ten', '0x10', '007', '99999999999999999999', 'NaN', 'Infinity', '１'),
);

const queryPair = () =>
  fc.tuple(
    weighted<string>(
      [8, fc.constantFrom('limit', 'cursor', 'since', 'clearHistoryMessage')],
      [2, fc.constantFrom('force', 'LIMIT', '__proto__', 'constructor', 'toString', '', 'limit[]', 'cursor.x')],
      [1, anyText],
    ),
    weighted<string>([3, limitValue], [3, cursorValue()], [2, fc.constantFrom('true', 'false', 'TRUE', 'yes', '1', '')], [1, anyText]),
    fc.boolean(),
  );

/** A query string: well-encoded pairs (duplicates happen), raw pairs, or garbage. */
const queryString = () =>
  weighted<string>(
    [4, fc.constant('')],
    [8, fc.array(queryPair(), { minLength: 1, maxLength: 4 }).map((pairs) =>
      `?${pairs.map(([k, v, encode]) => (encode || !/^[\x21-\x7e]*$/.test(`${k}${v}`) ? `${encodeURIComponent(k)}=${encodeURIComponent(v)}` : `${k}=${v}`)).join('&')}`,
    )],
    [2, fc.constantFrom('?', '?&&', '?=', '?limit', '?limit=', '?%zz=1', '?limit=%zz', '?cursor=%', '?limit=1&limit=2', '?limit=5#frag', '??limit=5', '?a=1;b=2', '?limit=1%00')],
  );

const tokenHeader = () =>
  weighted<[string, string][]>(
    [10, fc.constantFrom('alice', 'bob', 'root').map((who) => [['Authorization', `Bearer ${tokens[who]}`]])],
    [3, fc.constantFrom<[string, string][]>(
      [],
      [['Authorization', '']],
      [['Authorization', 'Bearer']],
      [['Authorization', 'Bearer ']],
      [['Authorization', `bearer ${tokens.alice}`]],
      [['Authorization', `Bearer  ${tokens.alice}`]],
      [['Authorization', `Bearer ${tokens.alice} extra`]],
      [['Authorization', `Basic ${Buffer.from('alice:pw').toString('base64')}`]],
      [['Authorization', tokens.alice!]],
      [['Authorization', `Bearer ${tokens.expired}`]],
      [['Authorization', `Bearer ${tokens.forged}`]],
      [['Authorization', `Bearer ${tokens.invalidUser}`]],
      [['Authorization', `Bearer ${tokens.tooLongUser}`]],
      [['Authorization', 'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSJ9.']],
      [['Authorization', `Bearer ${tokens.bob}`], ['Authorization', `Bearer ${tokens.root}`]],
    )],
    [1, anyText.map((t) => [['Authorization', `Bearer ${t}`]])],
  );

const clientTokenHeader = (name: string) =>
  weighted<[string, string][]>(
    [6, fc.constant([])],
    [3, fc.constantFrom('retry-1', 'retry-2', 'phone', 'laptop').map((v) => [[name, v]])],
    [2, HEADER_TOKEN.map((v) => [[name, v]])],
    [2, fc.constantFrom('', ' ', 'a b', 'x'.repeat(129), 'é', 'a,b', '"quoted"', 'a/b').map((v) => [[name, v]])],
    [1, anyText.map((v) => [[name, v]])],
  );

const contentType = weighted<[string, string][]>(
  [5, fc.constant([['Content-Type', 'application/json']])],
  [3, fc.constant([])],
  [2, fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=latin1', 'garbage', '').map((v) => [['Content-Type', v]])],
);

/** Headers no route reads, and some that change how HTTP itself behaves. */
const otherHeaders = weighted<[string, string][]>(
  [8, fc.constant([])],
  [2, fc.constantFrom<[string, string][]>(
    [['Accept', '*/*']],
    [['Expect', '100-continue']],
    [['X-Amz-Target', 'AWSEvents.PutRule']],
    [['X-Local-Aws-Key', 'guess']],
    [['Origin', 'http://evil.example']],
    [['Cookie', 'a=b']],
    [['X-Forwarded-For', '10.0.0.1']],
    [['Host', 'evil.example']],
    [['Accept-Encoding', 'gzip']],
    [['Transfer-Encoding', 'identity']],
  )],
  [1, fc.tuple(fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,20}$/), anyText).map(([n, v]) => [[n, v]])],
);

/** JSON bodies of a route, valid or mutated, and bodies that are no JSON at all. */
type Body = { body?: string | Uint8Array; malformedHttp?: boolean };

const json = (value: unknown): Body => ({ body: JSON.stringify(value) });

/** A valid body with one thing changed: a field of the wrong type, removed, added, nested deep, or the whole body replaced. */
const mutated = (valid: fc.Arbitrary<Record<string, unknown>>): fc.Arbitrary<Body> =>
  fc.tuple(valid, fc.nat(), fc.constantFrom('wrong type', 'remove', 'extra field', 'deep', 'huge array', 'not an object', 'proto'), fc.jsonValue({ maxDepth: 3 })).map(
    ([object, at, how, value]) => {
      const fields = Object.keys(object);
      const field = fields[at % fields.length]!;
      switch (how) {
        case 'wrong type':
          return json({ ...object, [field]: value });
        case 'remove': {
          const { [field]: _removed, ...rest } = object;
          return json(rest);
        }
        case 'extra field':
          return json({ ...object, [`x${at % 7}`]: value });
        case 'deep':
          return { body: JSON.stringify({ ...object, [field]: '<deep>' }).replace('"<deep>"', deepArray(5_000 + (at % 10_000))) };
        case 'huge array':
          return json({ ...object, [field]: Array.from({ length: [101, 501, 2_000][at % 3]! }, (_, i) => `C2Cu${i}`) });
        case 'not an object':
          return json(value);
        default:
          return { body: JSON.stringify(object).replace(/^{/, '{"__proto__":{"admin":true},') };
      }
    },
  );

const garbageBody = weighted<Body>(
  [3, fc.constant({})],
  [2, fc.constantFrom<Body>({ body: '' }, { body: 'null' }, { body: '{' }, { body: '{}x' }, { body: '\ufeff{}' }, { body: '1e400' }, { body: '"\\ud800"' }, { body: '{"a":1,"a":2}' })],
  [2, fc.jsonValue({ maxDepth: 4 }).map((v) => json(v))],
  [1, anyText.map((body) => ({ body }))],
  [1, fc.uint8Array({ maxLength: 64 }).map((body) => ({ body }))],
  [1, deepJson.map((body) => ({ body }))],
  [1, fc.constantFrom(70_000, 300_000).map((n) => json({ text: 'x'.repeat(n) }))],
  // Over the runner's 1 MiB limit: the 413 must arrive, not a reset.
  [1, fc.constant(0).chain(() => fc.constantFrom<Body>({ body: 'x'.repeat(1024 * 1024 + 1) }, { body: 'x'.repeat(3 * 1024 * 1024) }))],
);

const messageText = weighted<string>([6, fc.string({ minLength: 1, maxLength: 40 }).filter((t) => t.trim().length > 0)], [1, fc.constantFrom('x'.repeat(MAX_TEXT_LENGTH), '😀'.repeat(MAX_TEXT_LENGTH / 2), '\u0000\ud800')]);

const userList = (max: number) =>
  weighted<string[]>([6, fc.array(fc.constantFrom(...Object.values(users)), { minLength: 1, maxLength: 4 })], [2, fc.array(VALID_USER, { minLength: 1, maxLength: 5 })], [1, fc.constant(Array.from({ length: max }, (_, i) => `m${i}`))]);

const validBodies: Record<string, fc.Arbitrary<Record<string, unknown>> | undefined> = {
  'POST /v1/messages': fc.record({ conversationID: conversationID(), text: messageText }),
  'POST /v1/groups': fc.record({ groupID: weighted<string>([3, VALID_GROUP], [3, fc.constantFrom(...FUZZ_GROUPS)], [1, fc.constant('fuzz-club')]), memberList: userList(MAX_GROUP_MEMBERS - 1) }),
  'POST /v1/conversations/delete': fc.record(
    { conversationIDList: weighted<string[]>([6, fc.array(conversationID(), { minLength: 1, maxLength: 5 })], [1, fc.constant(Array.from({ length: MAX_DELETE_BATCH }, (_, i) => `C2Cu${i}`))]), clearHistoryMessage: fc.boolean() },
    { requiredKeys: ['conversationIDList'] },
  ),
  'POST /v1/admin/system-notifications': fc.record({ userIDList: userList(100), text: messageText }),
  'PUT /v1/admin/settings': fc.record({ syncConversationDeletion: fc.boolean(), deletionGracePeriodSeconds: fc.constantFrom(0, 1, 600, 604_800) }, { requiredKeys: [] }),
  'POST /v1/conversations/restore': fc.record({ deletionID: fc.oneof(fc.uuid(), fc.constant('00000000-0000-4000-8000-000000000000')) }),
  'POST /v1/admin/users/{userID}/conversations/delete': fc.record({ conversationIDList: fc.array(conversationID(), { minLength: 1, maxLength: 5 }), clearHistoryMessage: fc.boolean() }),
};

const bodyFor = (method: string, path: string): fc.Arbitrary<Body> => {
  const valid = validBodies[`${method} ${path}`];
  const singleForm: fc.Arbitrary<Body>[] = path === '/v1/conversations/delete' ? [conversationID().map((id) => json(id))] : [];
  if (!valid) return weighted<Body>([6, fc.constant({})], [1, garbageBody]);
  return weighted<Body>([8, valid.map(json)], ...singleForm.map((a): [number, fc.Arbitrary<Body>] => [4, a]), [5, mutated(valid)], [3, garbageBody]);
};

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'] as const;

const UNKNOWN_PATHS = [
  '/',
  '/v1',
  '/v1/',
  '/v1/conversations/',
  '/v1//conversations',
  '/V1/messages',
  '/v1/messages/',
  '/v1/messages/extra',
  '/v2/messages',
  '/v1/conversations/delete/extra',
  '/v1/conversations/C2Cbob/messages/extra',
  `${WEBSOCKET_PATH}`,
  '/local/token/x',
  '/local',
  '//',
  '/%zz',
  '/v1/%2E%2E/admin/settings',
  '/v1/admin/../admin/settings',
  '/@connections',
  '/@connections/',
  '/@connections/a/b',
  '/favicon.ico',
];

/** Requests to the HTTP API: every route with its method and others, and unknown paths. */
const apiRequest = (): fc.Arbitrary<FuzzRequest> =>
  fc
    .tuple(
      weighted<{ method: string; path: string; template: string }>(
        [10, fc.constantFrom(...HTTP_ROUTES).chain((route) =>
          fc.tuple(weighted<string>([8, fc.constant(route.method)], [2, fc.constantFrom(...METHODS)]), route.path.includes('{') ? pathSegment() : fc.constant('')).map(([method, segment]) => ({
            method,
            path: route.path.replace(/\{[^}]+\}/, segment),
            template: route.path,
          })),
        )],
        [2, fc.tuple(fc.constantFrom(...METHODS), fc.constantFrom(...UNKNOWN_PATHS)).map(([method, path]) => ({ method, path, template: path }))],
      ),
      queryString(),
      tokenHeader(),
      clientTokenHeader('Idempotency-Key'),
      clientTokenHeader('X-Device-ID'),
      contentType,
      otherHeaders,
    )
    .chain(([target, query, auth, idempotency, device, type, other]) =>
      bodyFor(target.method, target.template).map(({ body, malformedHttp }): FuzzRequest => ({
        endpoint: 'api',
        method: target.method,
        target: `${target.path}${query}`,
        headers: [...auth, ...idempotency, ...device, ...type, ...other],
        ...(body !== undefined ? { body } : {}),
        ...(malformedHttp ? { malformedHttp } : {}),
      })),
    );

const awsKeyHeader = weighted<[string, string][]>(
  [6, fc.constant([['x-local-aws-key', AWS_KEY]])],
  [3, fc.constantFrom<[string, string][]>([], [['x-local-aws-key', '']], [['x-local-aws-key', 'guess']], [['X-LOCAL-AWS-KEY', 'A'.repeat(32)]], [['x-local-aws-key', `${AWS_KEY} `]])],
);

const putEventsEntry = fc.record(
  {
    // Never a rule's source and detail type together: a forged event would run the purge or push for real.
    Source: fc.constantFrom('fuzz', EVENT_SOURCE, ''),
    DetailType: fc.constantFrom('FuzzHappened', '', `${DETAIL_TYPES.historyPurgeRequested}X`),
    Detail: weighted<unknown>([4, fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v))], [1, fc.jsonValue({ maxDepth: 2 })], [1, fc.constantFrom('{', '', '{"a":1}')]),
    EventBusName: fc.constantFrom('default', 'conversation-deletion-local'),
  },
  { requiredKeys: [] },
);

/** EventBridge PutEvents as the SDK sends it (on any path: the runner routes it by X-Amz-Target). */
const putEventsRequest = (): fc.Arbitrary<FuzzRequest> =>
  fc
    .tuple(
      weighted<string>([6, fc.constant('/')], [1, fc.constantFrom('/v1/conversations', '/@connections/x', '/%zz', `/${'a'.repeat(3000)}`)]),
      awsKeyHeader,
      fc.constantFrom<[string, string][]>([['Content-Type', 'application/x-amz-json-1.1']], []),
      weighted<Body>(
        [6, fc.array(putEventsEntry, { minLength: 1, maxLength: 10 }).map((Entries) => json({ Entries }))],
        [2, fc.constantFrom<unknown>({ Entries: [] }, { Entries: 5 }, { Entries: null }, { Entries: 'x' }, { Entries: [null, 1, 'x', []] }, {}, [], null, { Entries: Array.from({ length: 11 }, () => ({ Source: 'fuzz', DetailType: 'FuzzHappened', Detail: '{}' })) }).map(json)],
        [2, garbageBody],
      ),
    )
    .map(([path, key, type, { body, malformedHttp }]) => ({
      endpoint: 'events',
      method: 'POST',
      target: path,
      headers: [['X-Amz-Target', 'AWSEvents.PutEvents'], ...key, ...type],
      ...(body !== undefined ? { body } : {}),
      ...(malformedHttp ? { malformedHttp } : {}),
    }));

/** The WebSocket Management API, `/@connections/{id}`, for open connections, unknown ones and broken IDs. */
const connectionsRequest = (): fc.Arbitrary<FuzzRequest> =>
  fc
    .tuple(
      weighted<string>([6, fc.constantFrom('POST', 'GET', 'DELETE')], [1, fc.constantFrom('PUT', 'PATCH', 'HEAD', 'OPTIONS')]),
      weighted<string>(
        [6, fc.constant(OPEN_CONNECTION)],
        [2, fc.constantFrom('L0SM9cOFvHcCIhw=', 'L0SM9cOFvHcCIhw%3D', 'x', 'é', `${'A'.repeat(3000)}`)],
        [2, fc.constantFrom(...BAD_ESCAPES)],
        [1, anyText.filter((t) => t.length > 0).map(encodeURIComponent)],
      ),
      queryString(),
      awsKeyHeader,
      weighted<Body>([5, fc.constant({})], [4, fc.jsonValue({ maxDepth: 2 }).map(json)], [1, fc.constant({ body: 'x'.repeat(128 * 1024 + 1) })], [1, garbageBody]),
    )
    .map(([method, id, query, key, { body, malformedHttp }]) => ({
      endpoint: 'connections',
      method,
      target: `/@connections/${id}${query}`,
      headers: key,
      ...(body !== undefined ? { body } : {}),
      ...(malformedHttp ? { malformedHttp } : {}),
    }));

const WEBSOCKET_KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

/** WebSocket upgrades: the route's query (token, deviceID), the handshake headers, and paths that are not the API. */
const upgradeRequest = (): fc.Arbitrary<FuzzRequest> =>
  fc
    .tuple(
      weighted<{ path: string; good: boolean }>(
        [8, fc.constant({ path: WEBSOCKET_PATH, good: true })],
        [2, fc.constantFrom('/', `${WEBSOCKET_PATH}/`, '/V1/ws', `${WEBSOCKET_PATH}%zz`, '/v1/conversations', '/@connections/x', '/%zz', `${WEBSOCKET_PATH}/..`).map((path) => ({ path, good: false }))],
      ),
      weighted<{ query: string[]; good: boolean }>(
        [6, fc.constant({ query: [`token=${'{{token}}'}`], good: true })],
        [3, fc.constantFrom('', 'token=', `token=${tokens.expired}`, `token=${tokens.forged}`, `token=${tokens.invalidUser}`, 'token=garbage', 'token=%zz', `token=${'x'.repeat(5000)}`).map((q) => ({ query: q ? [q] : [], good: false }))],
      ),
      weighted<{ query: string[]; good: boolean }>(
        [6, fc.constantFrom('phone', 'tablet-2', 'a:b@c#d').map((d) => ({ query: [`deviceID=${encodeURIComponent(d)}`], good: true }))],
        [3, fc.constantFrom('', 'deviceID=', 'deviceID=a%20b', `deviceID=${'d'.repeat(129)}`, 'deviceID=%zz', 'deviceID=%C3%A9', 'deviceID=x&deviceID=').map((q) => ({ query: q ? [q] : [], good: false }))],
      ),
      weighted<{ headers: [string, string][]; method: string; good: boolean }>(
        [7, fc.constant({ headers: [['Upgrade', 'websocket'], ['Sec-WebSocket-Version', '13'], ['Sec-WebSocket-Key', WEBSOCKET_KEY]] as [string, string][], method: 'GET', good: true })],
        [3, fc.constantFrom<{ headers: [string, string][]; method: string; good: boolean }>(
          { headers: [['Upgrade', 'websocket'], ['Sec-WebSocket-Version', '13']], method: 'GET', good: false },
          { headers: [['Upgrade', 'websocket'], ['Sec-WebSocket-Version', '13'], ['Sec-WebSocket-Key', 'short']], method: 'GET', good: false },
          { headers: [['Upgrade', 'websocket'], ['Sec-WebSocket-Version', '99'], ['Sec-WebSocket-Key', WEBSOCKET_KEY]], method: 'GET', good: false },
          { headers: [['Upgrade', 'websocket'], ['Sec-WebSocket-Key', WEBSOCKET_KEY]], method: 'GET', good: false },
          { headers: [['Upgrade', 'h2c'], ['Sec-WebSocket-Version', '13'], ['Sec-WebSocket-Key', WEBSOCKET_KEY]], method: 'GET', good: false },
          { headers: [['Upgrade', 'garbage'], ['Sec-WebSocket-Version', '13'], ['Sec-WebSocket-Key', WEBSOCKET_KEY]], method: 'GET', good: false },
          { headers: [['Upgrade', 'websocket'], ['Sec-WebSocket-Version', '13'], ['Sec-WebSocket-Key', WEBSOCKET_KEY]], method: 'POST', good: false },
        )],
      ),
      fc.boolean(),
      framesAfterOpen,
    )
    .map(([path, token, device, handshake, withBody, frames]) => {
      const query = [...token.query, ...device.query].join('&');
      return {
        endpoint: 'upgrade',
        method: handshake.method,
        target: `${path.path}${query ? `?${query}` : ''}`,
        headers: [['Connection', 'Upgrade'], ...handshake.headers],
        ...(withBody && handshake.method === 'POST' ? { body: 'x'.repeat(10_000) } : {}),
        ...(frames ? { afterOpen: frames } : {}),
        acceptable: path.good && token.good && device.good && handshake.good,
      };
    });

/** A client frame (RFC 6455, section 5.2), masked as a client's must be unless `masked` is false. */
const frame = (opcode: number, payload: Uint8Array, { masked = true, announced = payload.length } = {}): Uint8Array => {
  const length = announced < 126 ? [announced] : announced < 65_536 ? [126, announced >> 8, announced & 0xff] : [127, 0, 0, 0, 0, (announced >>> 24) & 0xff, (announced >> 16) & 0xff, (announced >> 8) & 0xff, announced & 0xff];
  const mask = [0x12, 0x34, 0x56, 0x78];
  const body = masked ? payload.map((b, i) => b ^ mask[i % 4]!) : payload;
  return Uint8Array.from([0x80 | opcode, (masked ? 0x80 : 0) | length[0]!, ...length.slice(1), ...(masked ? mask : []), ...body]);
};

/** What a device may send once its socket is open: nothing, messages (the API routes none), or broken frames. */
const framesAfterOpen = weighted<Uint8Array | undefined>(
  [6, fc.constant(undefined)],
  [2, fc.string({ maxLength: 50 }).map((text) => frame(0x1, Buffer.from(text)))],
  [1, fc.constantFrom(
    frame(0x1, Buffer.from('unmasked'), { masked: false }),
    frame(0x2, new Uint8Array(8), { announced: 200 * 1024 }),
    frame(0x1, Uint8Array.from([0xc3, 0x28])),
    frame(0x3, new Uint8Array(2)),
    frame(0x8, Uint8Array.from([0x03, 0xe8])),
    frame(0x9, new Uint8Array(200)),
  )],
  [1, fc.uint8Array({ minLength: 1, maxLength: 64 })],
);

/** The runner's token endpoint. */
const tokenRequest = (): fc.Arbitrary<FuzzRequest> =>
  fc
    .tuple(
      weighted<string>([5, fc.constant('POST')], [1, fc.constantFrom(...METHODS)]),
      weighted<Body>(
        [5, fc.record({ userID: weighted<unknown>([4, VALID_USER], [2, fc.jsonValue({ maxDepth: 2 })]), admin: weighted<unknown>([4, fc.boolean()], [1, fc.jsonValue({ maxDepth: 1 })]) }, { requiredKeys: [] }).map(json)],
        [1, fc.constantFrom<Body>({ body: `{"userID":${deepArray(10_000)}}` }, { body: `{"userID":"alice","admin":${deepObject(5_000)}}` })],
        [2, garbageBody],
      ),
      contentType,
    )
    .map(([method, { body, malformedHttp }, type]) => ({
      endpoint: 'token',
      method,
      target: '/local/token',
      headers: type,
      ...(body !== undefined ? { body } : {}),
      ...(malformedHttp ? { malformedHttp } : {}),
    }));

const raw = (lines: string[], body = '') => `${lines.join('\r\n')}\r\n\r\n${body}`;

/** Requests that are not valid HTTP/1.1, or that only Node's parser and the runner's edge ever see. */
const RAW_REQUESTS: string[] = [
  raw(['GET http://example.com/v1/conversations HTTP/1.1', 'Host: {{host}}', 'Connection: close']),
  raw(['GET http://{{host}}/v1/conversations HTTP/1.1', 'Host: {{host}}', 'Connection: close']),
  raw(['CONNECT {{host}} HTTP/1.1', 'Host: {{host}}', 'Connection: close']),
  raw(['CONNECT /v1/conversations HTTP/1.1', 'Host: {{host}}', 'Connection: close']),
  raw(['OPTIONS * HTTP/1.1', 'Host: {{host}}', 'Connection: close']),
  raw(['FOO /v1/conversations HTTP/1.1', 'Host: {{host}}', 'Connection: close']),
  raw(['get /v1/conversations HTTP/1.1', 'Host: {{host}}', 'Connection: close']),
  raw(['GET /v1/conversations HTTP/9.9', 'Host: {{host}}', 'Connection: close']),
  raw(['GET /v1/conversations', 'Host: {{host}}', 'Connection: close']),
  raw(['GET /v1/conversations HTTP/1.1', 'Connection: close']),
  raw(['GET /v1/conversations HTTP/1.0']),
  raw(['GET /v1/conversations HTTP/1.1', 'Host: {{host}}', 'Connection: close', 'X-Bad: a\x01b']),
  raw(['GET /v1/conversations HTTP/1.1', 'Host: {{host}}', 'Connection: close', 'No colon here']),
  raw(['GET /v1/conversations HTTP/1.1', 'Host: {{host}}', 'Connection: close', 'X-Space : a']),
  raw(['GET /v1/conversations HTTP/1.1', 'Host: {{host}}', 'Connection: close', 'X-Fold: a', ' continued']),
  raw(['GET /v1/conversations HTTP/1.1', 'Host: {{host}}', 'Connection: close', `X-Huge: ${'a'.repeat(20_000)}`]),
  raw(['GET /v1/conversations HTTP/1.1', 'Host: {{host}}', 'Connection: close', ...Array.from({ length: 3_000 }, (_, i) => `X-${i}: a`)]),
  raw(['GET /v1/conversations/C2Cé/messages HTTP/1.1', 'Host: {{host}}', 'Connection: close']),
  raw(['GET /v1/conversations/C2C\tbob/messages HTTP/1.1', 'Host: {{host}}', 'Connection: close']),
  raw(['POST /v1/messages HTTP/1.1', 'Host: {{host}}', 'Connection: close', 'Transfer-Encoding: chunked', 'Content-Length: 3'], '0\r\n\r\n'),
  raw(['POST /v1/messages HTTP/1.1', 'Host: {{host}}', 'Connection: close', 'Content-Length: 2', 'Content-Length: 3'], 'abc'),
  raw(['POST /v1/messages HTTP/1.1', 'Host: {{host}}', 'Connection: close', 'Content-Length: -1']),
  raw(['POST /v1/messages HTTP/1.1', 'Host: {{host}}', 'Connection: close', 'Transfer-Encoding: chunked'], 'zz\r\nabc\r\n0\r\n\r\n'),
  raw(['POST /v1/messages HTTP/1.1', 'Host: {{host}}', 'Connection: close', 'Transfer-Encoding: gzip, chunked'], '0\r\n\r\n'),
  raw(['POST /v1/messages HTTP/1.1', 'Host: {{host}}', 'Connection: close', 'Transfer-Encoding: chunked'], '2\r\n{}\r\n0\r\n\r\n'),
  raw(['POST /v1/messages HTTP/1.1', 'Host: {{host}}', 'Connection: close', 'Expect: 100-continue', 'Content-Length: 2'], '{}'),
  raw(['POST /v1/messages HTTP/1.1', 'Host: {{host}}', 'Connection: close', 'Expect: garbage', 'Content-Length: 2'], '{}'),
  'GET /v1/conversations HTTP/1.1\nHost: {{host}}\nConnection: close\n\n',
  ' / HTTP/1.1\r\nHost: {{host}}\r\nConnection: close\r\n\r\n',
];

/** Upgrades the same way broken: refused as the WebSocket API refuses, with `{"message"}`. */
const RAW_UPGRADES: string[] = [
  raw([`GET http://example.com${WEBSOCKET_PATH}?token=x HTTP/1.1`, 'Host: {{host}}', 'Connection: Upgrade', 'Upgrade: websocket', 'Sec-WebSocket-Version: 13', `Sec-WebSocket-Key: ${WEBSOCKET_KEY}`]),
  raw([`GET ${WEBSOCKET_PATH}?token={{token}}&deviceID=phone HTTP/1.1`, 'Host: {{host}}', 'Connection: Upgrade', 'Upgrade: websocket', 'Sec-WebSocket-Version: 13', `Sec-WebSocket-Key: ${WEBSOCKET_KEY}`, 'Sec-WebSocket-Protocol: chat, chat']),
  raw([`GET ${WEBSOCKET_PATH}?token={{token}}&deviceID=phone HTTP/1.1`, 'Host: {{host}}', 'Connection: Upgrade', 'Upgrade: websocket', 'Sec-WebSocket-Version: 13', `Sec-WebSocket-Key: ${WEBSOCKET_KEY}`, 'Sec-WebSocket-Protocol: a b']),
];

const rawRequest = (): fc.Arbitrary<FuzzRequest> =>
  fc.oneof(
    fc.constantFrom(...RAW_REQUESTS).map((text): FuzzRequest => ({ endpoint: 'raw', method: text.split(' ')[0] ?? '', target: '', headers: [], raw: text, malformedHttp: true })),
    fc.constantFrom(...RAW_UPGRADES).map((text): FuzzRequest => ({ endpoint: 'upgrade', method: 'GET', target: '', headers: [], raw: text, acceptable: false })),
  );

/**
 * Keeps each generated header on its line (CR and LF become spaces: broken framing is the raw requests' job), and
 * marks what no client could send as valid HTTP (control characters, bytes outside ASCII in the target): Node's
 * parser refuses those before any endpoint sees them.
 */
const withHttpValidity = (request: FuzzRequest): FuzzRequest => {
  const headers = request.headers.map(([name, value]): [string, string] => [name, value.replace(/[\r\n]/g, ' ')]);
  // Control characters other than tab: below space, and DEL.
  const hasControl = (value: string) => [...value].some((c) => c !== '\t' && (c < ' ' || c === '\x7f'));
  const malformed = headers.some(([name, value]) => hasControl(value) || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) || /[^!-~]/.test(request.target);
  return { ...request, headers, ...(malformed ? { malformedHttp: true } : {}) };
};

/** A short description for fast-check's counterexample report (bodies can be megabytes). */
const described = (request: FuzzRequest): FuzzRequest =>
  Object.assign(request, {
    [fc.toStringMethod]: () => {
      const text = request.raw ?? `${request.method} ${request.target}\n${request.headers.map(([n, v]) => `${n}: ${v.length > 200 ? `${v.slice(0, 200)}… (${v.length} chars)` : v}`).join('\n')}`;
      const body = request.body === undefined ? '' : typeof request.body === 'string' ? request.body : Buffer.from(request.body).toString('latin1');
      const frames = request.afterOpen ? `\n\nonce open: ${Buffer.from(request.afterOpen).toString('hex').slice(0, 200)}` : '';
      return JSON.stringify(`${text.length > 2000 ? `${text.slice(0, 2000)}…` : text}${body ? `\n\n${body.length > 500 ? `${body.slice(0, 500)}… (${body.length} chars)` : body}` : ''}${frames}`);
    },
  });

const anyRequest = (): fc.Arbitrary<FuzzRequest> =>
  weighted<FuzzRequest>([70, apiRequest()], [6, tokenRequest()], [8, putEventsRequest()], [8, connectionsRequest()], [8, upgradeRequest()], [3, rawRequest()]).map((r) => described(withHttpValidity(r)));

// ---------------------------------------------------------------------------------------------------------------

type Counts = { requests: number; byEndpoint: Record<string, number>; statuses: Record<string, number>; fiveXX: number; resets: number; hangs: number; otherProblems: number };

describe('hostile input', () => {
  it(`never answers a 5xx, never resets or hangs, and refuses with documented codes (${REQUESTS} generated requests)`, { timeout: LONG ? 900_000 : 120_000 }, async () => {
    const counts: Counts = { requests: 0, byEndpoint: {}, statuses: {}, fiveXX: 0, resets: 0, hangs: 0, otherProblems: 0 };
    const started = Date.now();

    /** Resolves placeholders that depend on the stack's state when the request is sent. */
    const resolve = async (request: FuzzRequest): Promise<Buffer> => {
      if (request.target.includes(OPEN_CONNECTION)) {
        // A DELETE closes the socket it names: keep two devices open.
        while (stack.websocket.connectionIDs().length < 2) await openDevice(`fuzz-phone-${devices.length}`);
        const [open] = stack.websocket.connectionIDs();
        request = { ...request, target: request.target.replace(OPEN_CONNECTION, encodeURIComponent(open!)) };
      }
      const key = stack.awsEndpointHeaders['x-local-aws-key']!;
      const headers = request.headers.map(([n, v]): [string, string] => [n, v.replace(AWS_KEY, key)]);
      const target = request.target.replace('{{token}}', encodeURIComponent(tokens.alice!));
      return serialize({ ...request, headers, target }, `127.0.0.1:${stack.port}`);
    };

    /** Sends one request and says what is wrong with its outcome, if anything. */
    const check = async (request: FuzzRequest): Promise<string | undefined> => {
      const outcome = await exchange(stack.port, await resolve(request), request.afterOpen);
      counts.requests++;
      counts.byEndpoint[request.endpoint] = (counts.byEndpoint[request.endpoint] ?? 0) + 1;
      if (outcome.kind === 'hang') {
        counts.hangs++;
        return `no answer within ${REQUEST_TIMEOUT_MS} ms`;
      }
      if (outcome.kind === 'reset') {
        counts.resets++;
        return `connection reset: ${outcome.detail}`;
      }
      const { status } = outcome.answer;
      counts.statuses[status] = (counts.statuses[status] ?? 0) + 1;
      if (status >= 500) counts.fiveXX++;
      const problem = shapeProblem(request, outcome.answer);
      if (problem && status < 500) counts.otherProblems++;
      return problem && `${problem} (${request.endpoint}: ${status} ${outcome.answer.body.slice(0, 300)})`;
    };

    let reported = 0;
    console.log(`fuzz: seed ${SEED} (replay with FUZZ_SEED=${SEED})`);
    try {
      // Act: batches of requests at once; any problem fails the property, which fast-check shrinks and reports.
      await fc.assert(
        fc.asyncProperty(fc.array(anyRequest(), { minLength: BATCH, maxLength: BATCH }), async (batch) => {
          const outcomes = await Promise.all(batch.map(check));
          const problems = outcomes.filter((p): p is string => p !== undefined);
          if (problems.length === 0) return;
          if (!REPORT_ALL) throw new Error(problems.join('\n'));
          reported += problems.length;
          batch.forEach((request, i) => outcomes[i] && console.log(`fuzz problem: ${outcomes[i]}\n  request: ${fc.stringify(request)}`));
        }),
        // FUZZ_SHRINK=0 reports the first failing batch as it is, without shrinking it.
        { numRuns: Math.ceil(REQUESTS / BATCH), seed: SEED, endOnFailure: process.env.FUZZ_SHRINK === '0' },
      );
    } finally {
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      const endpoints = Object.entries(counts.byEndpoint).map(([e, n]) => `${e} ${n.toLocaleString('en')}`).join(', ');
      console.log(
        `fuzz: ${counts.requests.toLocaleString('en')} requests in ${seconds} s (${endpoints}), ${counts.fiveXX} 5xx, ${counts.resets} resets, ${counts.hangs} hangs, ${counts.otherProblems} undocumented answers, statuses ${JSON.stringify(counts.statuses)}`,
      );
    }

    expect(reported, 'problems listed above (FUZZ_REPORT_ALL=1)').toBe(0);
    // Assess: the background work the requests started (pushes, purges) went through too, and every socket the fuzz
    // opened and closed, or that a refused handshake never opened, left no registration behind.
    await eventually(async () => (await registeredConnections()).sort().join() === stack.websocket.connectionIDs().sort().join(), 'only open connections stay registered', 10_000).catch(() => undefined);
    expect((await registeredConnections()).sort()).toEqual(stack.websocket.connectionIDs().sort());
    expect(stack.backgroundErrors).toEqual([]);
  });
});
