/**
 * The PostToConnection adapter with the real AWS SDK client against a small HTTP server that answers like the
 * Management API, so the SDK's retry classification (throttling, 5xx retried; 410 and 403 not), 410 and give-up are
 * checked on the wire.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { SDK_RETRY } from '#adapters/retry-policy.js';
import { createManagementApiClient } from '#adapters/websocket/client.js';
import { ApiGatewayConnectionGateway, PostToConnectionError } from '#adapters/websocket/connection-gateway.js';

let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** A Management API whose answers are scripted per request; records what it received. */
const managementApi = async (answers: { status: number; type?: string }[]) => {
  const received: { path: string; body: string }[] = [];
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ path: req.url ?? '', body: Buffer.concat(chunks).toString('utf8') });
      const answer = answers[Math.min(received.length - 1, answers.length - 1)]!;
      res.writeHead(answer.status, { 'content-type': 'application/json', ...(answer.type ? { 'x-amzn-errortype': answer.type } : {}) });
      res.end(answer.status === 200 ? '' : JSON.stringify({ message: answer.type ?? 'error' }));
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', () => resolve()));
  const endpoint = `http://127.0.0.1:${(server!.address() as AddressInfo).port}`;
  return { endpoint, received };
};

/** The production policy's attempts with millisecond waits. */
const fast = (maxAttempts: number = SDK_RETRY.managementApi.maxAttempts) => ({ maxAttempts, backoff: { baseMs: 1, capMs: 5 } });

describe('ApiGatewayConnectionGateway', () => {
  it('posts the message to /@connections/{id}', async () => {
    const api = await managementApi([{ status: 200 }]);
    const gateway = new ApiGatewayConnectionGateway({ client: createManagementApiClient(api.endpoint, fast()) });
    expect(await gateway.post('abc=', '{"type":"x"}')).toBe('sent');
    expect(api.received).toEqual([{ path: '/@connections/abc%3D', body: '{"type":"x"}' }]);
  });

  it('reports a gone connection without retrying', async () => {
    const api = await managementApi([{ status: 410, type: 'GoneException' }]);
    const gateway = new ApiGatewayConnectionGateway({ client: createManagementApiClient(api.endpoint, fast()) });
    expect(await gateway.post('c1', 'm')).toBe('gone');
    expect(api.received).toHaveLength(1);
  });

  it('retries throttling and 5xx, then succeeds', async () => {
    const api = await managementApi([{ status: 429, type: 'LimitExceededException' }, { status: 503, type: 'ServiceUnavailable' }, { status: 200 }]);
    let retries = 0;
    const gateway = new ApiGatewayConnectionGateway({ client: createManagementApiClient(api.endpoint, fast()), onRetry: (n) => (retries += n) });
    expect(await gateway.post('c1', 'm')).toBe('sent');
    expect([api.received.length, retries]).toEqual([3, 2]);
  });

  it('gives up after the client\'s maxAttempts, and at once on a 403', async () => {
    const failing = await managementApi([{ status: 500, type: 'InternalServerErrorException' }]);
    const gateway = new ApiGatewayConnectionGateway({ client: createManagementApiClient(failing.endpoint, fast(3)) });
    await expect(gateway.post('c1', 'm')).rejects.toThrow(PostToConnectionError);
    await expect(gateway.post('c1', 'm')).rejects.toThrow(/after 3 attempt/);
    expect(failing.received).toHaveLength(6);
    await new Promise<void>((resolve) => server!.close(() => resolve()));

    const forbidden = await managementApi([{ status: 403, type: 'ForbiddenException' }]);
    const denied = new ApiGatewayConnectionGateway({ client: createManagementApiClient(forbidden.endpoint, fast()) });
    await expect(denied.post('c1', 'm')).rejects.toThrow(/after 1 attempt/);
    expect(forbidden.received).toHaveLength(1);
  });

  it('retries by the documented policy when the client is the production one', async () => {
    // Prepare: throttled twice, then a 502 (the policy's 4 attempts leave one to succeed).
    const api = await managementApi([{ status: 429, type: 'LimitExceededException' }, { status: 429, type: 'LimitExceededException' }, { status: 502 }, { status: 200 }]);
    const gateway = new ApiGatewayConnectionGateway({ client: createManagementApiClient(api.endpoint) });

    // Act
    const started = Date.now();
    const outcome = await gateway.post('c1', 'm');

    // Assess: sent on the last attempt, within the waits' bound (50 + 100 + 200 ms, full jitter).
    expect(outcome).toBe('sent');
    expect(api.received).toHaveLength(SDK_RETRY.managementApi.maxAttempts);
    expect(Date.now() - started).toBeLessThan(350 + 250);
  });
});
