/**
 * Cross-cutting HTTP concerns as middy middlewares: who is calling, the JSON body, the response envelope and
 * the mapping of errors to status codes and stable error codes. Handlers stay plain async functions.
 */
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyResultV2, Context } from 'aws-lambda';
import { type Principal, principalFromClaims } from '#contracts/auth.js';
import { type ErrorCode, ERROR_CODES, errorBody } from '#contracts/errors.js';
import { HTTP_ROUTES, type HttpRoute, routeKey } from '#contracts/routes.js';
import { logger } from '#observability/logger.js';
import { AdminRequiredError, answerFor, type ErrorMapping, InvalidJsonError, PayloadTooLargeError, UnauthorizedError } from './http-errors.js';

/** Largest accepted body: 100 conversation IDs or a 4,000-character message fit many times over. */
export const MAX_BODY_BYTES = 64 * 1024;

export type HttpEvent = APIGatewayProxyEventV2WithJWTAuthorizer;
export type HttpContext = Context & { principal: Principal; body: unknown };
/** What a route function returns; the envelope middleware turns it into `{"code":0,"data":...}`. */
export type RouteResult = { statusCode?: number; data: unknown };

const json = (statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyResultV2 => ({
  statusCode,
  headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
  body: JSON.stringify(body),
});

export const errorResponse = (errorCode: ErrorCode, message: string, details?: Record<string, unknown>, headers?: Record<string, string>) =>
  json(ERROR_CODES[errorCode].status, errorBody(errorCode, message, details), headers);

/** The caller from the verified JWT claims; admin routes also need the admin claim. */
export const authenticate = (): MiddlewareObj<HttpEvent, unknown, Error, HttpContext> => ({
  before: (request) => {
    const principal = principalFromClaims(request.event.requestContext?.authorizer?.jwt?.claims);
    if (!principal) {
      throw new UnauthorizedError('send a valid token as "Authorization: Bearer <JWT>" whose user ID is 1-32 characters of A-Z a-z 0-9 _ -');
    }
    const route: HttpRoute | undefined = HTTP_ROUTES.find((r) => routeKey(r) === request.event.routeKey);
    if (route?.admin && !principal.isAdmin) throw new AdminRequiredError('this route is for administrators: use a token with the admin claim');
    request.context.principal = principal;
  },
});

/** Parses the JSON body once; a body that is not JSON is a 400, an oversized one a 413. */
export const jsonBody = (): MiddlewareObj<HttpEvent, unknown, Error, HttpContext> => ({
  before: (request) => {
    const raw = request.event.body;
    if (raw === undefined || raw === null || raw === '') {
      request.context.body = undefined;
      return;
    }
    const text = request.event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
    if (Buffer.byteLength(text) > MAX_BODY_BYTES) {
      throw new PayloadTooLargeError(`the body is larger than ${MAX_BODY_BYTES} bytes: send fewer or shorter values`);
    }
    try {
      request.context.body = JSON.parse(text);
    } catch (error) {
      throw new InvalidJsonError('the body is not valid JSON: send a JSON value with "Content-Type: application/json"', { cause: error });
    }
  },
});

/** Wraps a route's result in the success envelope. */
export const envelope = (): MiddlewareObj<HttpEvent, unknown, Error, HttpContext> => ({
  after: (request) => {
    const result = request.response as RouteResult;
    request.response = json(result.statusCode ?? 200, { code: 0, data: result.data });
  },
});

/** Answers every error through the mappings (functions/middleware/http-errors.ts); anything unmapped is logged and a 500. */
export const errorResponses = (mappings: readonly ErrorMapping[]): MiddlewareObj<HttpEvent, unknown, Error, HttpContext> => ({
  onError: (request) => {
    const error = request.error;
    const answer = error ? answerFor(mappings, error, { event: request.event, context: request.context }) : undefined;
    if (answer) {
      if (ERROR_CODES[answer.code].status >= 500) logger.error('request failed', { errorCode: answer.code, error });
      request.response = errorResponse(answer.code, answer.message ?? error!.message, answer.details, answer.headers);
      return;
    }
    logger.error('unexpected error', { error });
    request.response = errorResponse('INTERNAL_ERROR', 'something went wrong on our side; the request may be retried');
  },
});
