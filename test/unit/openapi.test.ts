/**
 * The OpenAPI document (functions/contracts/openapi.ts) against the code it is generated from: it is valid
 * OpenAPI 3.1 (a maintained validator), every route of the route table is in it with its parameters, body, success
 * and every error it can answer, its request schemas accept exactly what the handlers' parsing accepts (a fuzz),
 * its response schemas have the types the use cases return (checked by `npm run typecheck`), and the committed copy
 * docs/openapi.json is the generated one.
 */
import { readFileSync } from 'node:fs';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import fc from 'fast-check';
import type { ClearHistoryOutcome } from '#domain/clear-history.js';
import { type DeletionStatusView, type listUserDeletions } from '#domain/deletion-status.js';
import type { RestoreOutcome } from '#domain/restore-deletion.js';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type * as z from 'zod/mini';
import * as responses from '#contracts/api-responses.js';
import {
  conversationIDSchema,
  createGroupBody,
  deleteConversationsObject,
  MAX_DELETE_BATCH,
  MAX_TEXT_LENGTH,
  pageQuery,
  parseDeleteConversationsBody,
  parseOrThrow,
  sendMessageBody,
  settingsUpdateBody,
  systemNotificationBody,
} from '#contracts/api-schemas.js';
import { ERROR_CODES, type ErrorCode, ValidationError } from '#contracts/errors.js';
import { parseOptionalHeader } from '#contracts/headers.js';
import { GROUP_ID_PATTERN, SYSTEM_CONVERSATION_ID, USER_ID_PATTERN } from '#contracts/ids.js';
import { HEADER_TOKEN_PATTERN, OPENAPI_PATH, openApiDocument, openApiJson, ROUTE_REQUESTS } from '#contracts/openapi.js';
import type { SyncDeletionsPage } from '#contracts/push-messages.js';
import { HTTP_ROUTES, type HttpRouteKey, ROUTE_ERRORS, routeErrors, routeKey } from '#contracts/routes.js';
import type { listConversations } from '#domain/conversations.js';
import type { createGroup } from '#domain/groups.js';
import type { sendSystemNotification } from '#domain/messaging.js';
import type { Page } from '#domain/ports/pages.js';
import type { Message } from '#domain/ports/messages.js';
import type { StoredSettings } from '#domain/ports/settings.js';
import type { presentDeletion, presentPreview } from '#middleware/deletion-presenter.js';

const doc = openApiDocument();
type Operation = {
  operationId: string;
  parameters?: { name: string; in: string; required: boolean; schema: Record<string, unknown> }[];
  requestBody?: { required: boolean; content: Record<string, { schema: unknown }> };
  responses: Record<string, { headers?: Record<string, unknown>; content: Record<string, { schema: any }> }>;
};
const operation = (route: (typeof HTTP_ROUTES)[number]): Operation => (doc.paths[route.path] as Record<string, Operation>)[route.method.toLowerCase()]!;

/** JSON Schema validation against the document itself: `#/components/...` references resolve inside it. */
const DOC_ID = 'https://openapi.local/openapi.json';
const ajv = new Ajv2020({ strict: true, allErrors: false, formats: { 'date-time': (v: string) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(v) } });
for (const keyword of ['openapi', 'info', 'servers', 'security', 'tags', 'paths', 'components']) ajv.addKeyword(keyword);
ajv.addSchema({ ...doc, $id: DOC_ID });
const pointer = (...parts: string[]) => `${DOC_ID}#/${parts.map((p) => p.replaceAll('~', '~0').replaceAll('/', '~1')).join('/')}`;
const validatorAt = (...parts: string[]) => ajv.compile({ $ref: pointer(...parts) });

describe('the OpenAPI document', () => {
  it('is valid OpenAPI 3.1 (@seriousme/openapi-schema-validator)', async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(doc));
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('holds only JSON Schemas that compile in strict mode, every reference resolving', () => {
    for (const name of Object.keys(doc.components.schemas)) validatorAt('components', 'schemas', name);
    for (const route of HTTP_ROUTES) {
      const op = operation(route);
      for (const [i] of (op.parameters ?? []).entries()) validatorAt('paths', route.path, route.method.toLowerCase(), 'parameters', String(i), 'schema');
      if (op.requestBody) validatorAt('paths', route.path, route.method.toLowerCase(), 'requestBody', 'content', 'application/json', 'schema');
      for (const status of Object.keys(op.responses)) validatorAt('paths', route.path, route.method.toLowerCase(), 'responses', status, 'content', 'application/json', 'schema');
    }
  });

  it('is served outside the API routes', () => {
    expect(HTTP_ROUTES.map((r) => r.path)).not.toContain(OPENAPI_PATH);
  });

  it('is committed as generated: docs/openapi.json (`npm run openapi` writes it)', () => {
    const committed = readFileSync(new URL('../../docs/openapi.json', import.meta.url), 'utf8');
    expect(committed, 'docs/openapi.json is not the generated document: run `npm run openapi` and commit it').toBe(openApiJson());
  });

  it('names the server it is asked to name first', () => {
    expect(openApiDocument({ serverUrl: 'http://localhost:4321' }).servers[0]).toEqual({ url: 'http://localhost:4321' });
  });
});

describe.each(HTTP_ROUTES.map((r) => [routeKey(r), r] as const))('%s in the document', (key, route) => {
  const op = operation(route);
  const request = ROUTE_REQUESTS[key as HttpRouteKey] as (typeof ROUTE_REQUESTS)[HttpRouteKey] & { body?: readonly string[]; query?: z.ZodMiniObject };

  it('is there with its method, a unique operationId and its path parameters', () => {
    expect(op.operationId).toBe(request.operationId);
    expect(HTTP_ROUTES.filter((r) => operation(r).operationId === op.operationId)).toHaveLength(1);
    const inPath = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
    expect(op.parameters?.filter((p) => p.in === 'path').map((p) => [p.name, p.required]) ?? []).toEqual(inPath.map((name) => [name, true]));
  });

  it('has every query parameter its schema takes, and a request body exactly when the handler reads one', () => {
    const queryNames = Object.keys(request.query?.shape ?? {});
    expect(op.parameters?.filter((p) => p.in === 'query').map((p) => p.name) ?? []).toEqual(queryNames);
    if (!request.body) return expect(op.requestBody).toBeUndefined();
    const schema = op.requestBody!.content['application/json']!.schema as { $ref?: string; oneOf?: { $ref: string }[] };
    const refs = schema.oneOf ? schema.oneOf.map((s) => s.$ref) : [schema.$ref];
    expect(refs).toEqual(request.body.map((name) => `#/components/schemas/${name}`));
  });

  it('answers its success status with the envelope around its data schema', () => {
    const success = responses.ROUTE_RESPONSES[key as HttpRouteKey];
    const schema = op.responses[String(success.status)]!.content['application/json']!.schema;
    expect(schema.properties.code).toEqual({ const: 0 });
    expect(schema.properties.data.$ref).toMatch(/^#\/components\/schemas\//);
  });

  it('answers every error status the route can answer, with exactly its codes', () => {
    const codes = routeErrors(route);
    const statuses = [...new Set(codes.map((c) => ERROR_CODES[c].status))].map(String);
    const success = String(responses.ROUTE_RESPONSES[key as HttpRouteKey].status);
    expect(Object.keys(op.responses).sort()).toEqual([success, ...statuses].sort());
    for (const status of statuses) {
      const expected = codes.filter((c) => String(ERROR_CODES[c].status) === status);
      const schema = op.responses[status]!.content['application/json']!.schema;
      const listed: string[] = schema.$ref === '#/components/schemas/PartialFailure' ? ['PARTIAL_FAILURE'] : schema.allOf[1].properties.error.enum;
      expect(listed, `status ${status}`).toEqual(expected);
      // A body of each code validates; another code of the same status does not.
      const validate = validatorAt('paths', route.path, route.method.toLowerCase(), 'responses', status, 'content', 'application/json', 'schema');
      if (schema.$ref) continue;
      for (const code of expected) expect(validate({ code: ERROR_CODES[code].code, error: code, message: 'm' }), code).toBe(true);
      const other = (Object.keys(ERROR_CODES) as ErrorCode[]).find((c) => String(ERROR_CODES[c].status) === status && !expected.includes(c));
      if (other) expect(validate({ code: ERROR_CODES[other].code, error: other, message: 'm' }), other).toBe(false);
    }
    expect(routeErrors(route)).toEqual(expect.arrayContaining(['UNAUTHORIZED', 'INTERNAL_ERROR', ...(('admin' in route && route.admin) ? ['ADMIN_REQUIRED'] : [])]));
  });
});

describe('the per-route error lists', () => {
  it('name only codes of ERROR_CODES, each once', () => {
    for (const [key, codes] of Object.entries(ROUTE_ERRORS)) {
      for (const code of codes) expect(ERROR_CODES, key).toHaveProperty(code);
      expect(new Set(codes).size, key).toBe(codes.length);
    }
  });

  it('are what docs/api.md says of the routes it gives an error table', () => {
    const api = readFileSync(new URL('../../docs/api.md', import.meta.url), 'utf8');
    for (const route of HTTP_ROUTES) {
      // The route's section: from its heading to the next heading of the same or a higher level.
      const start = api.search(new RegExp(`^#+ \`${routeKey(route).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`, 'm'));
      if (start < 0) continue;
      const level = /^#+/.exec(api.slice(start))![0].length;
      const rest = api.slice(start + 1);
      const end = rest.search(new RegExp(`^#{1,${level}} `, 'm'));
      const section = end < 0 ? rest : rest.slice(0, end);
      const tabled = [...section.matchAll(/^\| \d{3} \| \d{5} \| `([A-Z_]+)` \|/gm)].map((m) => m[1] as ErrorCode);
      for (const code of tabled) expect(routeErrors(route), `${routeKey(route)} in docs/api.md`).toContain(code);
    }
  });
});

// ---------------------------------------------------------------------------------------------------------------
// The request schemas accept what the handlers accept: the same values, fuzzed through both
// ---------------------------------------------------------------------------------------------------------------

/** What the handler's parsing makes of a value: accepted, or refused with a stable code. */
const parsedBy = (parse: () => unknown): { ok: true } | { ok: false; code: ErrorCode } => {
  try {
    parse();
    return { ok: true };
  } catch (error) {
    if (error instanceof ValidationError) return { ok: false, code: error.errorCode };
    throw error;
  }
};

const userID = fc.stringMatching(USER_ID_PATTERN);
const groupID = fc.stringMatching(GROUP_ID_PATTERN);
const nearMiss = fc.constantFrom('', 'C2C', 'GROUP', 'bob', 'c2cbob', 'C2C bob', '@TIM#SYSTEMX', 'C2Cé', `C2C${'x'.repeat(32)}`, `C2C${'x'.repeat(33)}`, `GROUP${'g'.repeat(49)}`, 'GROUP@#', ' C2Cbob');
const conversationID = fc.oneof(
  userID.map((u) => `C2C${u}`),
  groupID.map((g) => `GROUP${g}`),
  fc.constant(SYSTEM_CONVERSATION_ID),
  nearMiss,
  fc.string({ maxLength: 12 }),
);
const text = fc.oneof(
  fc.string({ maxLength: 20, unit: 'grapheme' }),
  fc.constantFrom('', ' ', '\t\n', '\u00a0\ufeff', ' x ', 'x'.repeat(MAX_TEXT_LENGTH), 'x'.repeat(MAX_TEXT_LENGTH + 1), '😀'.repeat(MAX_TEXT_LENGTH), '😀'.repeat(MAX_TEXT_LENGTH + 1)),
);
const listOf = <T>(item: fc.Arbitrary<T>, max: number) =>
  fc.oneof(fc.array(item, { maxLength: 4 }), fc.constantFrom(max - 1, max, max + 1).chain((n) => fc.array(item, { minLength: n, maxLength: n })));
const anyJson = fc.jsonValue({ maxDepth: 2 });
const validConversationID = fc.oneof(userID.map((u) => `C2C${u}`), groupID.map((g) => `GROUP${g}`), fc.constant(SYSTEM_CONVERSATION_ID));
/** Values for a body field: valid ones, and the right kind that is nearly valid. */
const FIELD_VALUES: Record<string, { valid: fc.Arbitrary<unknown>; near: fc.Arbitrary<unknown> }> = {
  conversationID: { valid: validConversationID, near: conversationID },
  text: { valid: fc.string({ minLength: 1, maxLength: 20 }).filter((t) => t.trim() !== ''), near: text },
  groupID: { valid: groupID, near: fc.oneof(nearMiss, fc.string({ maxLength: 50 })) },
  memberList: { valid: fc.array(userID, { maxLength: 4 }), near: listOf(fc.oneof(userID, nearMiss), 499) },
  userIDList: { valid: fc.array(userID, { minLength: 1, maxLength: 4 }), near: listOf(fc.oneof(userID, nearMiss), 100) },
  conversationIDList: { valid: fc.array(validConversationID, { minLength: 1, maxLength: 4 }), near: listOf(conversationID, MAX_DELETE_BATCH) },
};
const fieldValue = (name: string): fc.Arbitrary<unknown> => {
  const values = FIELD_VALUES[name] ?? { valid: fc.boolean(), near: fc.constantFrom('true', 0, null) };
  return fc.oneof({ weight: 6, arbitrary: values.valid }, { weight: 3, arbitrary: values.near }, { weight: 1, arbitrary: anyJson });
};
/** Objects of a schema's fields, each present or not, sometimes with a field it does not take; or any JSON. */
const bodyOf = (shape: Record<string, unknown>): fc.Arbitrary<unknown> =>
  fc.oneof(
    { weight: 8, arbitrary: fc.record(Object.fromEntries(Object.keys(shape).map((name) => [name, fieldValue(name)])), { requiredKeys: [] }) },
    { weight: 1, arbitrary: fc.tuple(fc.record(Object.fromEntries(Object.keys(shape).map((name) => [name, fieldValue(name)]))), fc.constantFrom('extra', 'Text', 'constructor')).map(([o, k]) => ({ ...o, [k]: 1 })) },
    { weight: 1, arbitrary: anyJson },
  );

/** Asserts the document's schema at `at` accepts exactly what `parse` accepts, and `parse` refuses only with the route's codes. */
const agree = <T>(values: fc.Arbitrary<T>, parse: (value: T) => unknown, validate: (value: T) => boolean, route: HttpRouteKey) => {
  const allowed = routeErrors(HTTP_ROUTES.find((r) => routeKey(r) === route)!);
  const seen = { accepted: 0, refused: 0 };
  fc.assert(
    fc.property(values, (value) => {
      const parsed = parsedBy(() => parse(value));
      seen[parsed.ok ? 'accepted' : 'refused']++;
      expect(validate(value), `zod ${parsed.ok ? 'accepts' : 'refuses'} ${JSON.stringify(value)?.slice(0, 300)}`).toBe(parsed.ok);
      if (!parsed.ok) expect(allowed, `${route} refused ${JSON.stringify(value)?.slice(0, 200)}`).toContain(parsed.code);
    }),
    { numRuns: 400 },
  );
  // Generators that only ever produce one outcome would prove nothing.
  expect(seen.accepted, 'values accepted').toBeGreaterThan(20);
  expect(seen.refused, 'values refused').toBeGreaterThan(20);
};

const bodyValidator = (route: (typeof HTTP_ROUTES)[number]) => validatorAt('paths', route.path, route.method.toLowerCase(), 'requestBody', 'content', 'application/json', 'schema');
const routeOf = (key: HttpRouteKey) => HTTP_ROUTES.find((r) => routeKey(r) === key)!;

describe('request schemas accept exactly what the handlers accept', () => {
  it.each([
    ['POST /v1/messages', sendMessageBody],
    ['POST /v1/groups', createGroupBody],
    ['POST /v1/admin/system-notifications', systemNotificationBody],
    ['PUT /v1/admin/settings', settingsUpdateBody],
  ] as const)('%s: its body', (key, schema) => {
    const validate = bodyValidator(routeOf(key));
    agree(bodyOf(schema.shape), (body) => parseOrThrow(schema, body, 'body'), (body) => validate(body), key);
  });

  it('POST /v1/conversations/delete: its body, a conversation ID string or the object form', () => {
    const key = 'POST /v1/conversations/delete';
    const validate = bodyValidator(routeOf(key));
    agree(fc.oneof(conversationID, bodyOf(deleteConversationsObject.shape)), parseDeleteConversationsBody, (body) => validate(body), key);
  });

  it('the conversationID path parameter (percent-decoded)', () => {
    const validate = validatorAt('components', 'schemas', 'ConversationID');
    agree(conversationID, (id) => parseOrThrow(conversationIDSchema, id, 'path.conversationID'), (id) => validate(id), 'DELETE /v1/conversations/{conversationID}');
  });

  it('the Idempotency-Key and X-Device-ID headers', () => {
    const pattern = new RegExp(HEADER_TOKEN_PATTERN);
    const header = fc.oneof(fc.stringMatching(pattern), fc.string({ maxLength: 130 }), fc.constantFrom('x'.repeat(128), 'x'.repeat(129), 'a b', 'é'));
    agree(header, (value) => parseOptionalHeader('Idempotency-Key', value), (value) => pattern.test(value), 'POST /v1/conversations/delete');
  });

  /** A query string as OpenAPI clients write one (form style): canonical numerals and true/false. */
  const queryValue = fc.oneof(
    fc.integer({ min: -5, max: 120 }).map(String),
    fc.constantFrom('true', 'false', 'TRUE', '', 'x', '1.5', 'e30'),
    fc.string({ maxLength: 8 }),
    fc.constantFrom('c'.repeat(2048), 'c'.repeat(2049)),
  );
  /** The query as the document types it: numerals for integers, true/false for booleans, the rest as sent. */
  const deserialize = (query: Record<string, string>, parameters: Operation['parameters']) =>
    Object.fromEntries(
      Object.entries(query).map(([name, value]) => {
        const type = parameters?.find((p) => p.name === name && p.in === 'query')?.schema.type;
        if (type === 'integer' && /^-?\d+$/.test(value)) return [name, Number(value)];
        if (type === 'boolean' && (value === 'true' || value === 'false')) return [name, value === 'true'];
        return [name, value];
      }),
    );

  it.each(HTTP_ROUTES.filter((r) => (ROUTE_REQUESTS[routeKey(r) as HttpRouteKey] as { query?: unknown }).query).map((r) => [routeKey(r), r] as const))(
    '%s: its query string',
    (key, route) => {
      const request = ROUTE_REQUESTS[key as HttpRouteKey] as { query: z.ZodMiniObject };
      const params = operation(route).parameters;
      const names = Object.keys(request.query.shape);
      // The query as one object schema: each parameter's schema, required ones required, no other name.
      const validate = ajv.compile({
        type: 'object',
        properties: Object.fromEntries(
          names.map((name) => [name, { $ref: pointer('paths', route.path, route.method.toLowerCase(), 'parameters', String(params!.findIndex((p) => p.name === name && p.in === 'query')), 'schema') }]),
        ),
        required: params!.filter((p) => p.in === 'query' && p.required).map((p) => p.name),
        additionalProperties: false,
      });
      const query = fc.dictionary(fc.constantFrom(...names, 'other', 'Limit'), queryValue, { maxKeys: 3 });
      agree(query, (q) => parseOrThrow(request.query, q, 'query', 'INVALID_QUERY'), (q) => validate(deserialize(q, params)), key as HttpRouteKey);
    },
  );

  it('leaves no request field without a schema (zod sees a refinement as anything: `{}`)', () => {
    const bodies = ['SendMessageRequest', 'CreateGroupRequest', 'SystemNotificationRequest', 'DeleteConversationsRequest', 'SettingsUpdate', 'RestoreRequest'] as const;
    for (const name of bodies) {
      const schema = doc.components.schemas[name] as { properties: Record<string, object> };
      for (const [field, fieldSchema] of Object.entries(schema.properties)) expect(Object.keys(fieldSchema), `${name}.${field}`).not.toEqual([]);
    }
    for (const route of HTTP_ROUTES) for (const p of operation(route).parameters ?? []) expect(Object.keys(p.schema), `${routeKey(route)} ${p.name}`).not.toEqual([]);
  });

  it('keeps the defaults the schemas apply', () => {
    expect(operation(routeOf('GET /v1/conversations')).parameters?.find((p) => p.name === 'limit')?.schema.default).toBe(parseOrThrow(pageQuery, {}, 'query').limit);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// The response schemas have the types the code answers with (a type error here fails `npm run typecheck`)
// ---------------------------------------------------------------------------------------------------------------

/** The fields of each member of a union, without the `?: undefined` ones TypeScript adds to a union of object literals. */
type Fields<T> = T extends unknown ? { [K in keyof T as [T[K]] extends [undefined] ? never : K]-?: true } : never;

describe('response schemas', () => {
  it('have the types the use cases and presenters return', () => {
    type Out<S extends z.ZodMiniType> = z.output<S>;
    expectTypeOf<Out<typeof responses.messageResponse>>().toEqualTypeOf<Message>();
    expectTypeOf<Out<typeof responses.conversationPageResponse>>().toEqualTypeOf<Awaited<ReturnType<typeof listConversations>>>();
    expectTypeOf<Out<typeof responses.messagePageResponse>>().toEqualTypeOf<{ messageList: Page<Message>['items']; nextCursor: Page<Message>['nextCursor'] }>();
    expectTypeOf<Out<typeof responses.groupResponse>>().toEqualTypeOf<Awaited<ReturnType<typeof createGroup>>>();
    expectTypeOf<Out<typeof responses.syncDeletionsResponse>>().toEqualTypeOf<SyncDeletionsPage>();
    // Where the code's type is a union of literals or an intersection: the same fields, and its values fit the schema.
    type Notifications = Awaited<ReturnType<typeof sendSystemNotification>>;
    expectTypeOf<Fields<Notifications>>().toEqualTypeOf<Fields<Out<typeof responses.systemNotificationResponse>>>();
    // The code types it `string`; its value is always the constant, which the schema names.
    expectTypeOf<Omit<Notifications, 'conversationID'>>().toExtend<Omit<Out<typeof responses.systemNotificationResponse>, 'conversationID'>>();
    type SettingsView = StoredSettings['settings'] & Omit<StoredSettings, 'settings'> & { appliesWithinSeconds: number };
    expectTypeOf<Fields<SettingsView>>().toEqualTypeOf<Fields<Out<typeof responses.settingsResponse>>>();
    expectTypeOf<SettingsView>().toExtend<Out<typeof responses.settingsResponse>>();
    expectTypeOf<Fields<ReturnType<typeof presentDeletion>>>().toEqualTypeOf<Fields<Out<typeof responses.deletionResponse>>>();
    expectTypeOf<ReturnType<typeof presentDeletion>>().toExtend<Out<typeof responses.deletionResponse>>();
    expectTypeOf<Fields<ReturnType<typeof presentPreview>>>().toEqualTypeOf<Fields<Out<typeof responses.deletionPreviewResponse>>>();
    expectTypeOf<ReturnType<typeof presentPreview>>().toExtend<Out<typeof responses.deletionPreviewResponse>>();
    expectTypeOf<Out<typeof responses.historyClearedResponse>>().toEqualTypeOf<ClearHistoryOutcome>();
    expectTypeOf<Out<typeof responses.restoreResponse>>().toEqualTypeOf<RestoreOutcome>();
    expectTypeOf<Fields<DeletionStatusView>>().toEqualTypeOf<Fields<Out<typeof responses.deletionStatusResponse>>>();
    expectTypeOf<DeletionStatusView>().toExtend<Out<typeof responses.deletionStatusResponse>>();
    expectTypeOf<Awaited<ReturnType<typeof listUserDeletions>>>().toExtend<Out<typeof responses.deletionAuditResponse>>();
  });

  it('describe the error body errorBody() builds', () => {
    const validate = validatorAt('components', 'schemas', 'Error');
    expect(validate({ code: 40001, error: 'INVALID_JSON', message: 'm' })).toBe(true);
    expect(validate({ code: 40001, error: 'NO_SUCH_CODE', message: 'm' })).toBe(false);
    expect(validate({ code: 40001, error: 'INVALID_JSON', message: 'm', extra: 1 })).toBe(false);
  });
});
