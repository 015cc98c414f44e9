/**
 * The local runner's own behaviour, where it stands in for API Gateway: what it answers before any function runs
 * (unknown routes, wrong methods, bad tokens) and its token endpoint. In the cloud API Gateway answers these with
 * its own bodies, so the service's integration tests assert only the statuses; these bodies are the local runner's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack, uniqueUser } from '../support/stack.js';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack?.stop());

describe('the local API Gateway', () => {
  it('answers an unknown route 404 ROUTE_NOT_FOUND and a wrong method 405 METHOD_NOT_ALLOWED, without running a function', async () => {
    const asAlice = await stack.as(uniqueUser('alice'));
    const before = stack.awsCalls.length;
    expect((await asAlice.get('/v1/nothing-here')).body).toMatchObject({ error: 'ROUTE_NOT_FOUND', message: expect.stringContaining('docs/api.md') });
    const wrongMethod = await asAlice.request('PUT', '/v1/conversations');
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.body).toMatchObject({ error: 'METHOD_NOT_ALLOWED' });
    expect(stack.awsCalls.length).toBe(before);
  });

  it('says why it refuses a token: missing, expired, or not signed by it', async () => {
    expect((await stack.anonymous.get('/v1/conversations')).body).toMatchObject({ code: 40100, error: 'UNAUTHORIZED', message: expect.stringContaining('/local/token') });
    const expired = await stack.auth.issue('alice', false, Math.floor(Date.now() / 1000) - 60);
    const response = await stack.anonymous.request('GET', '/v1/conversations', { headers: { authorization: `Bearer ${expired}` } });
    expect(response.status).toBe(401);
    expect(response.body.message).toContain('expired');
  });

  it('issues local tokens only for valid user IDs', async () => {
    const response = await stack.anonymous.post('/local/token', { userID: 'not valid!' });
    expect(response.status).toBe(400);
    expect(response.body.error).toBe('INVALID_USER_ID');
  });
});
