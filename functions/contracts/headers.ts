/**
 * Client-chosen tokens sent as headers (`Idempotency-Key`, `X-Device-ID`) or, for a WebSocket, as the `deviceID`
 * query parameter. Kept free of zod: the WebSocket authorizer checks device IDs too, and carries no schema library.
 */
import { show, ValidationError } from './errors.js';

/** `Idempotency-Key` and `X-Device-ID` headers: printable tokens, as clients generate them (UUIDs, ULIDs, names). */
const HEADER_TOKEN = /^[A-Za-z0-9_.:@#-]{1,128}$/;

export const parseOptionalHeader = (name: string, value: string | undefined): string | null => {
  if (value === undefined) return null;
  if (!HEADER_TOKEN.test(value)) {
    throw new ValidationError('INVALID_HEADER', `header ${name} must be 1-128 characters of A-Z a-z 0-9 _ . : @ # -, not ${show(value)}`);
  }
  return value;
};

/**
 * CORS, defined once for API Gateway (lib/http-api.ts) and the local runner: the request headers clients send, and the
 * answer headers a browser may let them read (`Retry-After` of a 429 or a 409 in progress, which the client SDK honours).
 */
export const CORS_HEADERS = {
  allow: ['authorization', 'content-type', 'idempotency-key', 'x-device-id'],
  expose: ['retry-after'],
} as const;
