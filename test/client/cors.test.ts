/**
 * The local runner answers CORS preflights, as the cloud stack's `corsAllowedOrigins` makes API Gateway do, so a web
 * app served from another local port (a Vite dev server on :5173) can use the client SDK.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type TestStack, startTestStack } from '../support/stack.js';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => stack?.stop());
afterEach(() => {
  delete process.env.CORS_ALLOWED_ORIGINS;
});

const preflight = (origin: string, method = 'POST') =>
  fetch(`${stack.url}/v1/conversations/delete`, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': 'authorization, content-type, idempotency-key, x-device-id' },
  });

describe('CORS on the local runner', () => {
  it('answers a preflight from any http://localhost port by default, with the methods and headers the SDK sends', async () => {
    const answer = await preflight('http://localhost:5173');
    expect(answer.status).toBe(204);
    expect(answer.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    expect(answer.headers.get('access-control-allow-methods')?.split(', ').sort()).toEqual(['DELETE', 'GET', 'POST', 'PUT']);
    expect(answer.headers.get('access-control-allow-headers')).toBe('authorization, content-type, idempotency-key, x-device-id');
    expect((await preflight('http://127.0.0.1:8080')).headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:8080');
  });

  it('names the origin on real answers too, success or error, and exposes Retry-After', async () => {
    const token = await stack.token('corsuser');
    const ok = await fetch(`${stack.url}/v1/conversations`, { headers: { origin: 'http://localhost:5173', authorization: `Bearer ${token}` } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    expect(ok.headers.get('access-control-expose-headers')).toBe('retry-after');
    const refused = await fetch(`${stack.url}/v1/conversations`, { headers: { origin: 'http://localhost:5173' } });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
  });

  it('gives other origins no CORS headers, so the browser refuses them', async () => {
    for (const origin of ['https://evil.example', 'http://localhost.evil.example', 'http://localhost:5173.evil.example']) {
      const answer = await preflight(origin);
      expect(answer.status).toBe(204);
      expect(answer.headers.get('access-control-allow-origin')).toBeNull();
    }
  });

  it('takes its allowed origins from CORS_ALLOWED_ORIGINS', async () => {
    process.env.CORS_ALLOWED_ORIGINS = 'https://app.example.com, http://*.dev.example:*';
    expect((await preflight('https://app.example.com')).headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect((await preflight('http://web.dev.example:4000')).headers.get('access-control-allow-origin')).toBe('http://web.dev.example:4000');
    expect((await preflight('http://localhost:5173')).headers.get('access-control-allow-origin')).toBeNull();
  });

  it('leaves requests without an Origin as they were', async () => {
    const answer = await fetch(`${stack.url}/v1/conversations`, { method: 'OPTIONS' });
    expect(answer.status).toBe(405);
    expect(answer.headers.get('access-control-allow-origin')).toBeNull();
  });
});
