/**
 * Every error the API can answer with: a stable string code, a numeric code and an HTTP status.
 * The HTTP edge (functions/middleware/http-errors.ts), the local runner, docs and tests all read this table; the
 * code throwing an error names what went wrong (functions/domain/errors.ts), never a status.
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
  INVALID_DELETION_ID: { status: 400, code: 40014 },
  UNAUTHORIZED: { status: 401, code: 40100 },
  ADMIN_REQUIRED: { status: 403, code: 40300 },
  NOT_GROUP_MEMBER: { status: 403, code: 40301 },
  ROUTE_NOT_FOUND: { status: 404, code: 40400 },
  GROUP_NOT_FOUND: { status: 404, code: 40401 },
  CONVERSATION_NOT_FOUND: { status: 404, code: 40402 },
  DELETION_NOT_FOUND: { status: 404, code: 40403 },
  METHOD_NOT_ALLOWED: { status: 405, code: 40500 },
  GROUP_EXISTS: { status: 409, code: 40900 },
  IDEMPOTENCY_KEY_REUSED: { status: 409, code: 40901 },
  IDEMPOTENCY_IN_PROGRESS: { status: 409, code: 40902 },
  ALREADY_RESTORED: { status: 409, code: 40903 },
  RESTORE_EXPIRED: { status: 410, code: 41000 },
  CURSOR_EXPIRED: { status: 410, code: 41001 },
  PAYLOAD_TOO_LARGE: { status: 413, code: 41300 },
  RATE_LIMITED: { status: 429, code: 42900 },
  HEADERS_TOO_LARGE: { status: 431, code: 43100 },
  INTERNAL_ERROR: { status: 500, code: 50000 },
  PARTIAL_FAILURE: { status: 503, code: 50300 },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/**
 * The request is malformed (a field, a header, a query parameter or a cursor); nothing was changed. Its code is
 * one of the stable 400 codes above, chosen where the input is checked (the schemas name it per field).
 */
export class ValidationError extends Error {
  public readonly errorCode: ErrorCode;

  public constructor(errorCode: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ValidationError';
    this.errorCode = errorCode;
  }
}

/** The longest quote of a value in a message: enough to recognise it, never a whole 64 KB body echoed back. */
const MAX_QUOTE_LENGTH = 200;

/**
 * A value as an error message quotes it: JSON where it has one (`"bob"`, `42`), else its string form, cut at
 * 200 characters. A value nested deeper than JSON.stringify can recurse (64 KB of `[` is 65,000 levels) is named,
 * not quoted: quoting a bad value must never be what fails the request with a 500.
 */
export const show = (value: unknown): string => {
  let quoted: string;
  try {
    quoted = JSON.stringify(value) ?? String(value);
  } catch {
    return 'a value nested too deeply to quote';
  }
  return quoted.length > MAX_QUOTE_LENGTH ? `${quoted.slice(0, MAX_QUOTE_LENGTH)}…` : quoted;
};

/** The body of every error response. */
export const errorBody = (errorCode: ErrorCode, message: string, details?: Record<string, unknown>) => ({
  code: ERROR_CODES[errorCode].code,
  error: errorCode,
  message,
  ...details,
});
