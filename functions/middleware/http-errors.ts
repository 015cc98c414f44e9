/**
 * The one place where errors become HTTP answers: each error class (a concept: invalid input, unknown group,
 * a cursor we never issued...) maps to its stable code, and so to its status (functions/contracts/errors.ts).
 * The message is the error's own, which says how to fix the request. A function may add mappings for errors only
 * it can meet (the delete function: partial failure, idempotency conflicts).
 */
import type { ErrorCode } from '#contracts/errors.js';
import { ValidationError } from '#contracts/errors.js';
import {
  AlreadyRestoredError,
  CannotMessageSelfError,
  ConversationNotFoundError,
  CursorExpiredError,
  DeletionNotFoundError,
  RestoreExpiredError,
  GroupExistsError,
  GroupNotFoundError,
  GroupTooLargeError,
  InvalidCursorError,
  NotGroupMemberError,
} from '#domain/errors.js';
import type { HttpContext, HttpEvent } from './http-middlewares.js';

/** No token, or one that names no valid user. */
export class UnauthorizedError extends Error {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UnauthorizedError';
  }
}

/** A route for administrators, called without the admin claim. */
export class AdminRequiredError extends Error {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AdminRequiredError';
  }
}

/** The body is not JSON. */
export class InvalidJsonError extends Error {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InvalidJsonError';
  }
}

/** The body is larger than the API accepts. */
export class PayloadTooLargeError extends Error {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PayloadTooLargeError';
  }
}

/** A route key this function does not serve (API Gateway only sends declared routes, so a misconfiguration). */
export class RouteNotFoundError extends Error {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RouteNotFoundError';
  }
}

/** A request with this Idempotency-Key is still running: the caller may retry once its lock has run out. */
export class RequestInProgressError extends Error {
  public constructor(
    message: string,
    /** Whole seconds until the running request's lock expires at the latest. */
    public readonly retryAfterSeconds: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'RequestInProgressError';
  }
}

/** The caller made more deletion-type calls than its rate limit allows: nothing was done or counted. */
export class RateLimitedError extends Error {
  public constructor(
    message: string,
    /** Whole seconds (1 or more) until one more call is allowed, if the caller makes no other meanwhile. */
    public readonly retryAfterSeconds: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'RateLimitedError';
  }
}

/** How one error becomes an answer: its code, and optionally another message, more fields for the body, headers. */
export type HttpAnswer = { code: ErrorCode; message?: string; details?: Record<string, unknown>; headers?: Record<string, string> };

export type ErrorMapping<E extends Error = Error> = {
  // Any error class, whatever its constructor takes.
  readonly type: abstract new (...args: never[]) => E;
  readonly answer: (error: E, request: { event: HttpEvent; context: HttpContext }) => HttpAnswer;
};

export const mapError = <E extends Error>(type: ErrorMapping<E>['type'], answer: ErrorMapping<E>['answer'] | ErrorCode): ErrorMapping =>
  ({ type, answer: typeof answer === 'string' ? () => ({ code: answer }) : answer }) as ErrorMapping;

/** Errors every HTTP function can meet. */
export const HTTP_ERRORS: readonly ErrorMapping[] = [
  mapError(ValidationError, (e) => ({ code: e.errorCode })),
  mapError(InvalidCursorError, 'INVALID_CURSOR'),
  mapError(InvalidJsonError, 'INVALID_JSON'),
  mapError(PayloadTooLargeError, 'PAYLOAD_TOO_LARGE'),
  mapError(UnauthorizedError, 'UNAUTHORIZED'),
  mapError(AdminRequiredError, 'ADMIN_REQUIRED'),
  mapError(RouteNotFoundError, 'ROUTE_NOT_FOUND'),
  mapError(RateLimitedError, (e) => ({ code: 'RATE_LIMITED', headers: { 'retry-after': String(e.retryAfterSeconds) } })),
  mapError(GroupNotFoundError, 'GROUP_NOT_FOUND'),
  mapError(GroupExistsError, 'GROUP_EXISTS'),
  mapError(GroupTooLargeError, 'INVALID_REQUEST'),
  mapError(NotGroupMemberError, 'NOT_GROUP_MEMBER'),
  mapError(CannotMessageSelfError, 'CANNOT_MESSAGE_SELF'),
  mapError(ConversationNotFoundError, 'CONVERSATION_NOT_FOUND'),
  mapError(DeletionNotFoundError, 'DELETION_NOT_FOUND'),
  mapError(AlreadyRestoredError, 'ALREADY_RESTORED'),
  mapError(RestoreExpiredError, 'RESTORE_EXPIRED'),
  mapError(CursorExpiredError, 'CURSOR_EXPIRED'),
];

/** The answer for an error, or undefined when no mapping knows it (an unexpected error: a 500). */
export const answerFor = (mappings: readonly ErrorMapping[], error: Error, request: { event: HttpEvent; context: HttpContext }): HttpAnswer | undefined => {
  const mapping = mappings.find((m) => error instanceof m.type);
  return mapping?.answer(error, request);
};
