/**
 * PutEvents' partial failures: scripted at the client (EventBridge's control plane cannot run here), and on the wire
 * with the service's real EventBridge client against a small HTTP server, so both retry layers are checked together.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EventBridgeClient, PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { afterEach, describe, expect, it } from 'vitest';
import { ENV } from '#contracts/environment.js';
import { eventBridgeClient } from '#adapters/eventbridge/client.js';
import { EventBridgePublisher, EventPublishError } from '#adapters/eventbridge/event-publisher.js';
import { SDK_RETRY } from '#adapters/retry-policy.js';

const scripted = (failFirst: number, failAlways = false) => {
  const sent: PutEventsRequestEntry[][] = [];
  const client = {
    send: async (command: { input: { Entries: PutEventsRequestEntry[] } }) => {
      const entries = command.input.Entries;
      sent.push(entries);
      const failing = failAlways ? entries.length : sent.length === 1 ? failFirst : 0;
      return {
        FailedEntryCount: failing,
        Entries: entries.map((_, i) => (i < failing ? { ErrorCode: 'InternalFailure', ErrorMessage: 'try again' } : { EventId: `e${i}` })),
      };
    },
  } as unknown as EventBridgeClient;
  return { client, sent };
};

const fast = { baseMs: 1, capMs: 2 };

describe('EventBridgePublisher', () => {
  it('re-sends only the entries EventBridge reports as failed', async () => {
    const { client, sent } = scripted(2);
    const publisher = new EventBridgePublisher({ eventBusName: 'bus', client });
    await publisher.publish([1, 2, 3].map((n) => ({ detailType: 'T', detail: { n } })));
    expect(sent).toHaveLength(2);
    expect(sent[1]!.map((e) => JSON.parse(e.Detail!).n)).toEqual([1, 2]);
    expect(sent[0]![0]).toMatchObject({ EventBusName: 'bus', Source: 'conversation-deletion-service', DetailType: 'T' });
  });

  it('throws after the last attempt instead of dropping events silently', async () => {
    const { client, sent } = scripted(0, true);
    const publisher = new EventBridgePublisher({ eventBusName: 'bus', client, maxAttempts: 3 });
    await expect(publisher.publish([{ detailType: 'T', detail: {} }])).rejects.toThrow(/1 event\(s\) not accepted by EventBridge after 3 attempts \(InternalFailure\)/);
    expect(sent).toHaveLength(3);
  });

  it('re-sends every entry when the count of failures comes without the entries that failed', async () => {
    const sent: number[] = [];
    const client = {
      send: async (command: { input: { Entries: PutEventsRequestEntry[] } }) => {
        sent.push(command.input.Entries.length);
        return sent.length === 1 ? { FailedEntryCount: 1 } : { FailedEntryCount: 0, Entries: [] };
      },
    } as unknown as EventBridgeClient;
    await new EventBridgePublisher({ eventBusName: 'bus', client, backoff: fast }).publish([{ detailType: 'T', detail: {} }, { detailType: 'T', detail: {} }]);
    expect(sent).toEqual([2, 2]);
  });

  it('does not re-send a call that failed as a whole (the SDK client retries those) and wraps its error', async () => {
    const denied = Object.assign(new Error('not allowed'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } });
    let calls = 0;
    const client = {
      send: async () => {
        calls++;
        throw denied;
      },
    } as unknown as EventBridgeClient;
    const failure = await new EventBridgePublisher({ eventBusName: 'bus', client, backoff: fast }).publish([{ detailType: 'T', detail: {} }]).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(EventPublishError);
    expect((failure as EventPublishError).cause).toBe(denied);
    expect(calls).toBe(1);
  });
});

describe('EventBridgePublisher on the wire', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
  });

  it('lets the SDK retry a 503 and re-sends only the failed entry itself', async () => {
    // Prepare: an EventBridge that fails the first call whole, then rejects one entry, then accepts.
    const received: { target: string; entries: { Detail: string }[] }[] = [];
    const answers = [
      { status: 503, body: { __type: 'ServiceUnavailable', message: 'busy' } },
      { status: 200, body: { FailedEntryCount: 1, Entries: [{ ErrorCode: 'ThrottlingException', ErrorMessage: 'slow' }, { EventId: 'e2' }] } },
      { status: 200, body: { FailedEntryCount: 0, Entries: [{ EventId: 'e1' }] } },
    ];
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ target: String(req.headers['x-amz-target']), entries: JSON.parse(Buffer.concat(chunks).toString('utf8')).Entries });
        const answer = answers[Math.min(received.length - 1, answers.length - 1)]!;
        res.writeHead(answer.status, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify(answer.body));
      });
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', () => resolve()));
    // The execution environment's client, exactly as a function builds it.
    process.env[ENV.eventbridgeEndpoint] = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    let retried = 0;
    const publisher = new EventBridgePublisher({ eventBusName: 'bus', client: eventBridgeClient(), backoff: fast, onRetry: (n) => (retried += n) });

    // Act
    await publisher.publish([1, 2].map((n) => ({ detailType: 'T', detail: { n } })));

    // Assess: the 503 was the SDK's retry (same two entries); the partial round re-sent entry 1 alone.
    expect(SDK_RETRY.eventbridge.maxAttempts).toBeGreaterThan(1);
    expect(received.map((r) => r.target)).toEqual(Array(3).fill('AWSEvents.PutEvents'));
    expect(received.map((r) => r.entries.map((e) => JSON.parse(e.Detail).n))).toEqual([[1, 2], [1, 2], [1]]);
    expect(retried).toBe(1);
  });
});
