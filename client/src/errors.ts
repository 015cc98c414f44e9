/**
 * `imError`: what every call rejects with. As in the reference SDK it has a numeric `code` and a `message`; it is also
 * an `Error` (so it has a stack), names the service's stable code (`error`), the HTTP status, and for a 429 how long
 * to wait.
 */

/**
 * The service's error codes (the server's functions/contracts/errors.ts; test/client/contract.test.ts keeps this copy
 * equal to it). The client validates options with the same codes the server would answer.
 */
export const ERROR_CODES = {
  INVALID_JSON: 40001,
  INVALID_REQUEST: 40002,
  INVALID_CONVERSATION_ID: 40003,
  INVALID_USER_ID: 40004,
  INVALID_GROUP_ID: 40005,
  INVALID_CURSOR: 40006,
  INVALID_QUERY: 40007,
  INVALID_TEXT: 40008,
  INVALID_BATCH_SIZE: 40009,
  UNKNOWN_FIELD: 40010,
  CANNOT_MESSAGE_SELF: 40011,
  CANNOT_MESSAGE_SYSTEM: 40012,
  INVALID_HEADER: 40013,
  INVALID_DELETION_ID: 40014,
  UNAUTHORIZED: 40100,
  ADMIN_REQUIRED: 40300,
  NOT_GROUP_MEMBER: 40301,
  ROUTE_NOT_FOUND: 40400,
  GROUP_NOT_FOUND: 40401,
  CONVERSATION_NOT_FOUND: 40402,
  DELETION_NOT_FOUND: 40403,
  METHOD_NOT_ALLOWED: 40500,
  GROUP_EXISTS: 40900,
  IDEMPOTENCY_KEY_REUSED: 40901,
  IDEMPOTENCY_IN_PROGRESS: 40902,
  ALREADY_RESTORED: 40903,
  RESTORE_EXPIRED: 41000,
  CURSOR_EXPIRED: 41001,
  PAYLOAD_TOO_LARGE: 41300,
  RATE_LIMITED: 42900,
  HEADERS_TOO_LARGE: 43100,
  INTERNAL_ERROR: 50000,
  PARTIAL_FAILURE: 50300,
  // The client's own, for what never reached an answer (HTTP status 0); outside the server's status * 100 range.
  /** The request could not be sent or its answer was lost (offline, DNS, connection reset, timeout), after retries. */
  NETWORK_ERROR: 60001,
  /** A call that needs a user before `login` (or after `logout`). */
  NOT_LOGGED_IN: 60002,
  /** A call after `destroy()`. */
  SDK_DESTROYED: 60003,
  /** The server answered something that is not the API's JSON. */
  BAD_RESPONSE: 60004,
} as const;

export type ErrorName = keyof typeof ERROR_CODES;

export class ChatError extends Error {
  /** The numeric code (`imError.code` in the reference SDK). */
  public readonly code: number;
  /** The stable code name, such as `INVALID_CONVERSATION_ID`. */
  public readonly error: string;
  /** The HTTP status; 0 when no answer arrived or the client refused the call before sending it. */
  public readonly status: number;
  /** Seconds the server asked to wait (`Retry-After`), on 429 and 409 IDEMPOTENCY_IN_PROGRESS. */
  public readonly retryAfter?: number;
  /** What the server answered with the error, such as a PARTIAL_FAILURE's deletion. */
  public readonly data?: unknown;

  public constructor(
    error: string,
    message: string,
    options: { code?: number; status?: number; retryAfter?: number; data?: unknown; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ChatError';
    this.error = error;
    this.code = options.code ?? (ERROR_CODES as Record<string, number>)[error] ?? 0;
    this.status = options.status ?? 0;
    if (options.retryAfter !== undefined) this.retryAfter = options.retryAfter;
    if (options.data !== undefined) this.data = options.data;
  }
}

/** The stable code of an answer without the API's body (API Gateway's own `{"message":...}`, a proxy's HTML page). */
const byStatus = (status: number): ErrorName =>
  status === 401
    ? 'UNAUTHORIZED'
    : status === 403
      ? 'ADMIN_REQUIRED'
      : status === 404
        ? 'ROUTE_NOT_FOUND'
        : status === 413
          ? 'PAYLOAD_TOO_LARGE'
          : status === 429
            ? 'RATE_LIMITED'
            : status >= 500
              ? 'INTERNAL_ERROR'
              : 'BAD_RESPONSE';

/**
 * The error of an HTTP answer: the API's `{code, error, message}` body when it has one, else one named by the status
 * (in the cloud API Gateway answers its own throttling and authorizer refusals with `{"message": ...}`).
 */
export const errorFromAnswer = (status: number, body: unknown, retryAfter?: number): ChatError => {
  const b = (body ?? {}) as { code?: unknown; error?: unknown; message?: unknown; data?: unknown };
  const message = typeof b.message === 'string' ? b.message : `the server answered HTTP ${status}`;
  const extra = { status, ...(retryAfter === undefined ? {} : { retryAfter }), ...(b.data === undefined ? {} : { data: b.data }) };
  if (typeof b.error === 'string' && typeof b.code === 'number') return new ChatError(b.error, message, { code: b.code, ...extra });
  return new ChatError(byStatus(status), message, extra);
};
