/**
 * Cross-cutting HTTP concerns as middy middlewares: who is calling, the JSON body, the response envelope and
 * the mapping of errors to status codes and stable error codes. Handlers stay plain async functions.
 */
import type { MiddlewareObj } from '@middy/core';
import { IdempotencyAlreadyInProgressError, IdempotencyValidationError } from '@aws-lambda-powertools/idempotency';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyResultV2, Context } from 'aws-lambda';
import { type Principal, principalFromClaims } from '#contracts/auth.js';
import { ApiError, AuthError, type ErrorCode, ERROR_CODES, errorBody } from '#contracts/errors.js';
import { HTTP_ROUTES, routeKey } from '#contracts/routes.js';
import { logger } from '#observability/logger.js';

/** Largest accepted body: 100 conversation IDs or a 4,000-character message fit many times over. */
export const MAX_BODY_BYTES = 64 * 1024;

export type HttpEvent = APIGatewayProxyEventV2WithJWTAuthorizer;
export type HttpContext = Context & { principal: Principal; body: unknown };
/** What a route function returns; the envelope middleware turns it into `{"code":0,"data":...}`. */
export type RouteResult = { statusCode?: number; data: unknown };

const json = (statusCode: number, body: unknown): APIGatewayProxyResultV2 => ({
  statusCode,
  headers: { 'content-type': 'application/json; charset=utf-8' },
  body: JSON.stringify(body),
});

export const errorResponse = (errorCode: ErrorCode, message: string, details?: Record<string, unknown>) =>
  json(ERROR_CODES[errorCode].status, errorBody(errorCode, message, details));

/** The caller from the verified JWT claims; admin routes also need the admin claim. */
export const authenticate = (): MiddlewareObj<HttpEvent, unknown, Error, HttpContext> => ({
  before: (request) => {
    const principal = principalFromClaims(request.event.requestContext?.authorizer?.jwt?.claims);
    if (!principal) {
      throw new AuthError('UNAUTHORIZED', 'send a valid token as "Authorization: Bearer <JWT>" whose user ID is 1-32 characters of A-Z a-z 0-9 _ -');
    }
    const route = HTTP_ROUTES.find((r) => routeKey(r) === request.event.routeKey);
    if (route?.admin && !principal.isAdmin) throw new AuthError('ADMIN_REQUIRED', 'this route is for administrators: use a token with the admin claim');
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
      throw new ApiError('PAYLOAD_TOO_LARGE', `the body is larger than ${MAX_BODY_BYTES} bytes: send fewer or shorter values`);
    }
    try {
      request.context.body = JSON.parse(text);
    } catch {
      throw new ApiError('INVALID_JSON', 'the body is not valid JSON: send a JSON value with "Content-Type: application/json"');
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

/** Maps every error to its status and stable code; anything unexpected is logged and answered as a 500. */
export const errorResponses = (): MiddlewareObj<HttpEvent, unknown, Error, HttpContext> => ({
  onError: (request) => {
    const error = request.error;
    if (error instanceof ApiError) {
      if (error.status >= 500) logger.error('request failed', { errorCode: error.errorCode, error });
      request.response = errorResponse(error.errorCode, error.message, error.details);
      return;
    }
    if (error instanceof IdempotencyValidationError) {
      request.response = errorResponse('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used with a different request: use a new key for a new request');
      return;
    }
    if (error instanceof IdempotencyAlreadyInProgressError) {
      request.response = errorResponse('IDEMPOTENCY_IN_PROGRESS', 'a request with this Idempotency-Key is still running: retry after it finishes');
      return;
    }
    logger.error('unexpected error', { error });
    request.response = errorResponse('INTERNAL_ERROR', 'something went wrong on our side; the request may be retried');
  },
});
