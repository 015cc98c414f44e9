/**
 * Every error the API can answer with: a stable string code, a numeric code and an HTTP status.
 * Handlers, the local runner, docs and tests all read this table.
 */
export const ERROR_CODES = {
  INVALID_JSON: { status: 400, code: 40001 },
  INVALID_REQUEST: { status: 400, code: 40002 },
  INVALID_CONVERSATION_ID: { status: 400, code: 40003 },
  INVALID_USER_ID: { status: 400, code: 40004 },
  INVALID_GROUP_ID: { status: 400, code: 40005 },
  INVALID_CURSOR: { status: 400, code: 40006 },
  INVALID_QUERY: { status: 400, code: 40007 },
  INVALID_TEXT: { status: 400, code: 40008 },
  INVALID_BATCH_SIZE: { status: 400, code: 40009 },
  UNKNOWN_FIELD: { status: 400, code: 40010 },
  CANNOT_MESSAGE_SELF: { status: 400, code: 40011 },
  CANNOT_MESSAGE_SYSTEM: { status: 400, code: 40012 },
  INVALID_HEADER: { status: 400, code: 40013 },
  UNAUTHORIZED: { status: 401, code: 40100 },
  ADMIN_REQUIRED: { status: 403, code: 40300 },
  NOT_GROUP_MEMBER: { status: 403, code: 40301 },
  ROUTE_NOT_FOUND: { status: 404, code: 40400 },
  GROUP_NOT_FOUND: { status: 404, code: 40401 },
  METHOD_NOT_ALLOWED: { status: 405, code: 40500 },
  GROUP_EXISTS: { status: 409, code: 40900 },
  IDEMPOTENCY_KEY_REUSED: { status: 409, code: 40901 },
  IDEMPOTENCY_IN_PROGRESS: { status: 409, code: 40902 },
  PAYLOAD_TOO_LARGE: { status: 413, code: 41300 },
  INTERNAL_ERROR: { status: 500, code: 50000 },
  PARTIAL_FAILURE: { status: 503, code: 50300 },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Base of every error the API reports to its caller; `details` is merged into the body. */
export class ApiError extends Error {
  public readonly errorCode: ErrorCode;
  public readonly details?: Record<string, unknown>;

  public constructor(
    errorCode: ErrorCode,
    message: string,
    options?: { cause?: unknown; details?: Record<string, unknown> },
  ) {
    super(message, { cause: options?.cause });
    this.name = 'ApiError';
    this.errorCode = errorCode;
    this.details = options?.details;
  }

  public get status(): number {
    return ERROR_CODES[this.errorCode].status;
  }
}

/** The request is malformed; nothing was changed. */
export class ValidationError extends ApiError {
  public constructor(errorCode: ErrorCode, message: string) {
    super(errorCode, message);
    this.name = 'ValidationError';
  }
}

export class AuthError extends ApiError {
  public constructor(errorCode: 'UNAUTHORIZED' | 'ADMIN_REQUIRED', message: string) {
    super(errorCode, message);
    this.name = 'AuthError';
  }
}

export class NotFoundError extends ApiError {
  public constructor(errorCode: 'GROUP_NOT_FOUND' | 'ROUTE_NOT_FOUND', message: string) {
    super(errorCode, message);
    this.name = 'NotFoundError';
  }
}

export class ConflictError extends ApiError {
  public constructor(errorCode: 'GROUP_EXISTS' | 'IDEMPOTENCY_KEY_REUSED' | 'IDEMPOTENCY_IN_PROGRESS', message: string) {
    super(errorCode, message);
    this.name = 'ConflictError';
  }
}

export class ForbiddenError extends ApiError {
  public constructor(errorCode: 'NOT_GROUP_MEMBER' | 'ADMIN_REQUIRED', message: string) {
    super(errorCode, message);
    this.name = 'ForbiddenError';
  }
}

/** Some items could not be written after every retry; the caller may safely repeat the request. */
export class PartialFailureError extends ApiError {
  public constructor(message: string, details: Record<string, unknown>) {
    super('PARTIAL_FAILURE', message, { details });
    this.name = 'PartialFailureError';
  }
}

/** The body of every error response. */
export const errorBody = (errorCode: ErrorCode, message: string, details?: Record<string, unknown>) => ({
  code: ERROR_CODES[errorCode].code,
  error: errorCode,
  message,
  ...details,
});
