/**
 * The OpenAPI document on the real local stack: `npm start` serves it at `GET /openapi.json` without a token, and
 * the answers the stack really gives, successes and errors of every route, are what the document says (each
 * validated against the document's schema for its route and status, and against the zod response schemas).
 */
import { request } from 'node:http';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTE_RESPONSES, successEnvelope } from '#contracts/api-responses.js';
import { OPENAPI_PATH, openApiDocument } from '#contracts/openapi.js';
import { HTTP_ROUTES, type HttpRouteKey, routeKey } from '#contracts/routes.js';
import { send } from '../support/chat.js';
import { type ApiClient, type ApiResponse, startTestStack, type TestStack, uniqueUser } from '../support/stack.js';

let stack: TestStack;
beforeAll(async () => {
  // Functions read settings at most every SETTINGS_CACHE_SECONDS; 0 lets the grace period change between requests.
  process.env.SETTINGS_CACHE_SECONDS = '0';
  stack = await startTestStack();
});
afterAll(() => stack?.stop());

const doc = openApiDocument();
const DOC_ID = 'https://openapi.local/openapi.json';
const ajv = new Ajv2020({ strict: true, allErrors: true, formats: { 'date-time': (v: string) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(v) } });
for (const keyword of ['openapi', 'info', 'servers', 'security', 'tags', 'paths', 'components']) ajv.addKeyword(keyword);
ajv.addSchema({ ...doc, $id: DOC_ID });
const pointer = (...parts: string[]) => `${DOC_ID}#/${parts.map((p) => p.replaceAll('~', '~0').replaceAll('/', '~1')).join('/')}`;

/** A request with a body whatever the method (fetch sends none with a GET). */
const rawRequest = (method: string, path: string, token: string, body: string): Promise<ApiResponse> =>
  new Promise((resolve, reject) => {
    const req = request(`${stack.url}${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(Buffer.concat(chunks).toString('utf8')), headers: new Headers() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });

/** Every answer seen, by route and status: the test ends by checking each route was seen succeeding and refusing. */
const seen = new Map<HttpRouteKey, Set<number>>();

/** Asserts the answer is one the document lists for the route, with a body its schema accepts. */
const documented = <T>(key: HttpRouteKey, response: ApiResponse<T>): ApiResponse<T> => {
  const route = HTTP_ROUTES.find((r) => routeKey(r) === key)!;
  const responses = (doc.paths[route.path] as Record<string, { responses: Record<string, unknown> }>)[route.method.toLowerCase()]!.responses;
  const status = String(response.status);
  expect(Object.keys(responses), `${key} answered ${status}: ${JSON.stringify(response.body)}`).toContain(status);
  const validate = ajv.getSchema(pointer('paths', route.path, route.method.toLowerCase(), 'responses', status, 'content', 'application/json', 'schema')) ??
    ajv.compile({ $ref: pointer('paths', route.path, route.method.toLowerCase(), 'responses', status, 'content', 'application/json', 'schema') });
  expect(validate(response.body), `${key} ${status} ${JSON.stringify(response.body).slice(0, 500)}: ${ajv.errorsText(validate.errors)}`).toBe(true);
  if (response.status < 300) {
    const parsed = successEnvelope(ROUTE_RESPONSES[key].data).safeParse(response.body);
    expect(parsed.success, `${key}: ${parsed.error?.message}`).toBe(true);
  }
  seen.set(key, (seen.get(key) ?? new Set()).add(response.status));
  return response;
};

describe(`GET ${OPENAPI_PATH}`, () => {
  it('answers 200 with the document, naming this server first, without a token', async () => {
    const response = await stack.anonymous.get(OPENAPI_PATH);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.body).toEqual(openApiDocument({ serverUrl: stack.url }));
  });

  it('refuses another method 405, in the API error shape', async () => {
    const response = await stack.anonymous.post(OPENAPI_PATH, {});
    expect(response.status).toBe(405);
    expect(response.body).toMatchObject({ error: 'METHOD_NOT_ALLOWED' });
  });
});

describe('the answers of the local stack are the documented ones', () => {
  let alice: string;
  let bob: string;
  let asAlice: ApiClient;
  let asBob: ApiClient;
  let asAdmin: ApiClient;

  beforeAll(async () => {
    alice = uniqueUser('alice');
    bob = uniqueUser('bob');
    asAlice = await stack.as(alice);
    asBob = await stack.as(bob);
    asAdmin = await stack.as(uniqueUser('root'), { admin: true });
  });

  it('messaging, groups and lists', async () => {
    documented('POST /v1/messages', await asBob.post('/v1/messages', { conversationID: `C2C${alice}`, text: 'hi alice' }));
    await send(asAlice, `C2C${bob}`, 'hi bob');
    const groupID = uniqueUser('g');
    documented('POST /v1/groups', await asAlice.post('/v1/groups', { groupID, memberList: [bob] }));
    await send(asBob, `GROUP${groupID}`, 'hi group');
    documented('POST /v1/admin/system-notifications', await asAdmin.post('/v1/admin/system-notifications', { userIDList: [alice], text: 'maintenance' }));
    const list = documented('GET /v1/conversations', await asAlice.get('/v1/conversations?limit=2'));
    expect(list.body.data.conversationList.map((c: { type: string }) => c.type)).toHaveLength(2);
    documented('GET /v1/conversations', await asAlice.get(`/v1/conversations?cursor=${encodeURIComponent(list.body.data.nextCursor)}`));
    documented('GET /v1/conversations/{conversationID}/messages', await asAlice.get(`/v1/conversations/C2C${bob}/messages?limit=1`));
    documented('GET /v1/conversations/{conversationID}/messages', await asAlice.get(`/v1/conversations/%40TIM%23SYSTEM/messages`));

    // Their refusals.
    documented('POST /v1/messages', await asAlice.post('/v1/messages', { conversationID: `C2C${alice}`, text: 'me' }));
    documented('POST /v1/messages', await asAlice.post('/v1/messages', { conversationID: 'GROUPno-such-group', text: 'x' }));
    documented('POST /v1/messages', await asAlice.post('/v1/messages', { conversationID: '@TIM#SYSTEM', text: 'x' }));
    documented('POST /v1/messages', await (await stack.as(uniqueUser('eve'))).post('/v1/messages', { conversationID: `GROUP${groupID}`, text: 'x' }));
    documented('POST /v1/groups', await asBob.post('/v1/groups', { groupID, memberList: [] }));
    documented('POST /v1/groups', await asBob.post('/v1/groups', { groupID: 'bad id', memberList: ['not ok!'] }));
    documented('GET /v1/conversations', await asAlice.get('/v1/conversations?limit=0'));
    documented('GET /v1/conversations', await asAlice.get('/v1/conversations?cursor=not-ours'));
    documented('GET /v1/conversations', await asAlice.get('/v1/conversations?page=2'));
    documented('GET /v1/conversations/{conversationID}/messages', await asAlice.get('/v1/conversations/bob/messages'));
    documented('POST /v1/admin/system-notifications', await asAlice.post('/v1/admin/system-notifications', { userIDList: [alice], text: 'x' }));
    documented('POST /v1/admin/system-notifications', await asAdmin.post('/v1/admin/system-notifications', { userIDList: [], text: ' ' }));
  });

  it('deletion, its dry run, its idempotency and its refusals', async () => {
    const carol = uniqueUser('carol');
    await send(asAlice, `C2C${carol}`, 'hi carol');
    documented('POST /v1/conversations/delete', await asAlice.post('/v1/conversations/delete', { conversationIDList: [`C2C${carol}`], dryRun: true }));
    documented('DELETE /v1/conversations/{conversationID}', await asAlice.delete(`/v1/conversations/C2C${carol}?dryRun=true`));
    documented('POST /v1/conversations/delete', await asAlice.post('/v1/conversations/delete', `C2C${carol}`, { 'x-device-id': 'laptop' }));
    const key = `k-${uniqueUser()}`;
    documented('POST /v1/conversations/delete', await asAlice.post('/v1/conversations/delete', { conversationIDList: [`C2C${bob}`, 'GROUPnone'], clearHistoryMessage: false }, { 'idempotency-key': key }));
    documented('POST /v1/conversations/delete', await asAlice.post('/v1/conversations/delete', { conversationIDList: [`C2C${carol}`] }, { 'idempotency-key': key }));
    documented('DELETE /v1/conversations/{conversationID}', await asAlice.delete(`/v1/conversations/%40TIM%23SYSTEM?clearHistoryMessage=false`));

    documented('POST /v1/conversations/delete', await asAlice.post('/v1/conversations/delete', { conversationIDList: [] }));
    documented('POST /v1/conversations/delete', await asAlice.post('/v1/conversations/delete', ['C2Cbob']));
    documented('POST /v1/conversations/delete', await asAlice.post('/v1/conversations/delete', 'C2Cbob', { 'x-device-id': 'a b' }));
    documented('DELETE /v1/conversations/{conversationID}', await asAlice.delete('/v1/conversations/C2Cbob?clearHistoryMessage=maybe'));
    documented('DELETE /v1/conversations/{conversationID}', await asAlice.delete('/v1/conversations/nope'));
  });

  it('a deletion over the per-user rate limit: 429 RATE_LIMITED with Retry-After', async () => {
    const asFrank = await stack.as(uniqueUser('frank'));
    const key = 'POST /v1/conversations/delete';
    let response: ApiResponse | undefined;
    for (let i = 0; i < 100 && response?.status !== 429; i++) {
      response = await asFrank.post('/v1/conversations/delete', { conversationIDList: ['C2Cnobody'], dryRun: true });
    }
    documented(key, response!);
    expect(response!.status).toBe(429);
    expect(Number(response!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });

  it('clear history, restore, a deletion status, and an admin acting for a user, with their refusals', async () => {
    const dave = uniqueUser('dave');
    await send(asAlice, `C2C${dave}`, 'hi dave');
    documented('PUT /v1/admin/settings', await asAdmin.request('PUT', '/v1/admin/settings', { body: { deletionGracePeriodSeconds: 600 } }));
    const cleared = documented('POST /v1/conversations/{conversationID}/clear-history', await asAlice.post(`/v1/conversations/C2C${dave}/clear-history`));
    documented('GET /v1/deletions/{deletionID}', await asAlice.get(`/v1/deletions/${cleared.body.data.deletionID}`));
    documented('POST /v1/conversations/restore', await asAlice.post('/v1/conversations/restore', { deletionID: cleared.body.data.deletionID }));
    documented('GET /v1/deletions/{deletionID}', await asAlice.get(`/v1/deletions/${cleared.body.data.deletionID}`));
    documented('POST /v1/admin/users/{userID}/conversations/delete', await asAdmin.post(`/v1/admin/users/${alice}/conversations/delete`, `C2C${dave}`));
    documented('POST /v1/admin/users/{userID}/conversations/delete', await asAdmin.post(`/v1/admin/users/${alice}/conversations/delete`, { conversationIDList: [`C2C${dave}`], dryRun: true }));
    const audit = documented('GET /v1/admin/users/{userID}/deletions', await asAdmin.get(`/v1/admin/users/${alice}/deletions?limit=1`));
    documented('GET /v1/admin/users/{userID}/deletions', await asAdmin.get(`/v1/admin/users/${alice}/deletions?cursor=${encodeURIComponent(audit.body.data.nextCursor)}`));
    documented('PUT /v1/admin/settings', await asAdmin.request('PUT', '/v1/admin/settings', { body: { deletionGracePeriodSeconds: 0 } }));
    const deleted = await asAlice.post('/v1/conversations/delete', `C2C${bob}`);
    documented('GET /v1/deletions/{deletionID}', await asAlice.get(`/v1/deletions/${deleted.body.data.deletionID}`));

    documented('POST /v1/conversations/{conversationID}/clear-history', await asAlice.post(`/v1/conversations/C2C${dave}/clear-history`));
    documented('POST /v1/conversations/{conversationID}/clear-history', await asAlice.post('/v1/conversations/nope/clear-history'));
    documented('POST /v1/conversations/restore', await asAlice.post('/v1/conversations/restore', { deletionID: cleared.body.data.deletionID }));
    documented('POST /v1/conversations/restore', await asAlice.post('/v1/conversations/restore', { deletionID: deleted.body.data.deletionID }));
    documented('POST /v1/conversations/restore', await asBob.post('/v1/conversations/restore', { deletionID: deleted.body.data.deletionID }));
    documented('POST /v1/conversations/restore', await asAlice.post('/v1/conversations/restore', { deletionID: 'x' }));
    documented('POST /v1/conversations/restore', await asAlice.post('/v1/conversations/restore', {}));
    documented('GET /v1/deletions/{deletionID}', await asBob.get(`/v1/deletions/${deleted.body.data.deletionID}`));
    documented('GET /v1/deletions/{deletionID}', await asBob.get('/v1/deletions/x'));
    documented('POST /v1/admin/users/{userID}/conversations/delete', await asAlice.post(`/v1/admin/users/${bob}/conversations/delete`, `C2C${alice}`));
    documented('POST /v1/admin/users/{userID}/conversations/delete', await asAdmin.post('/v1/admin/users/not%20ok/conversations/delete', `C2C${alice}`));
    documented('POST /v1/admin/users/{userID}/conversations/delete', await asAdmin.post(`/v1/admin/users/${bob}/conversations/delete`, { conversationIDList: [] }));
    documented('GET /v1/admin/users/{userID}/deletions', await asAdmin.get(`/v1/admin/users/${alice}/deletions?since=now`));
    documented('GET /v1/admin/users/{userID}/deletions', await asAdmin.get(`/v1/admin/users/${alice}/deletions?cursor=forged`));
    documented('GET /v1/admin/users/{userID}/deletions', await asBob.get(`/v1/admin/users/${alice}/deletions`));
  });

  it('settings and the catch-up feed', async () => {
    documented('GET /v1/admin/settings', await asAdmin.get('/v1/admin/settings'));
    documented('PUT /v1/admin/settings', await asAdmin.request('PUT', '/v1/admin/settings', { body: { syncConversationDeletion: true } }));
    documented('PUT /v1/admin/settings', await asAdmin.request('PUT', '/v1/admin/settings', { body: {} }));
    documented('PUT /v1/admin/settings', await asAdmin.request('PUT', '/v1/admin/settings', { body: { sync: true } }));
    documented('GET /v1/admin/settings', await asBob.get('/v1/admin/settings'));
    const page = documented('GET /v1/sync/conversation-deletions', await asAlice.get('/v1/sync/conversation-deletions?limit=1'));
    documented('GET /v1/sync/conversation-deletions', await asAlice.get(`/v1/sync/conversation-deletions?since=${encodeURIComponent(page.body.data.nextCursor)}`));
    documented('GET /v1/sync/conversation-deletions', await asAlice.get('/v1/sync/conversation-deletions?since=forged'));
  });

  it('every route, GETs included (the body is read on every route): no token, a body that is not JSON, a body over 64 KB', async () => {
    const path = (template: string) =>
      template.replace('{conversationID}', 'C2Cbob').replace('{deletionID}', '00000000-0000-4000-8000-000000000000').replace('{userID}', 'bob');
    const token = await stack.token(uniqueUser('dan'), true);
    for (const route of HTTP_ROUTES) {
      const key = routeKey(route) as HttpRouteKey;
      documented(key, await stack.anonymous.request(route.method, path(route.path)));
      documented(key, await rawRequest(route.method, path(route.path), token, '{"not json'));
      documented(key, await rawRequest(route.method, path(route.path), token, JSON.stringify({ text: 'x'.repeat(70_000) })));
    }
  });

  it('saw every route answer success and refusal', () => {
    for (const route of HTTP_ROUTES) {
      const statuses = [...(seen.get(routeKey(route) as HttpRouteKey) ?? [])];
      expect(statuses.some((s) => s < 300), routeKey(route)).toBe(true);
      expect(statuses.some((s) => s >= 400), routeKey(route)).toBe(true);
    }
  });
});
