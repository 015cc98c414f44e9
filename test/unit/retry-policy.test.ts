/**
 * The retry policy on the wire: the service's real DynamoDB client (createDocumentClient) against a small HTTP server
 * that answers like DynamoDB, so the SDK's own retries (attempts, classification, waits) and the batch loop's stop
 * rule are measured as they run, and docs/reliability.md is held to the numbers in retry-policy.ts.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { batchWrite, type WriteRequest } from '#adapters/dynamodb/batch-writer.js';
import { createDocumentClient } from '#adapters/dynamodb/client.js';
import { PARTIAL_RETRY, SDK_RETRY, worstCaseBackoffMs } from '#adapters/retry-policy.js';

type Answer = { status: number; type?: string; body?: unknown; headers?: Record<string, string> };
type Received = { at: number; target: string; attempt: string; body: { RequestItems?: Record<string, WriteRequest[]> } };

let server: Server | undefined;
let client: DynamoDBDocumentClient | undefined;
afterEach(async () => {
  client?.destroy();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  [server, client] = [undefined, undefined];
});

/** A DynamoDB whose answer to each request is `script(request, n)`; records what it received and when. */
const dynamodb = async (script: (request: Received, n: number) => Answer) => {
  const received: Received[] = [];
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const request = {
        at: Date.now(),
        target: String(req.headers['x-amz-target']).replace('DynamoDB_20120810.', ''),
        attempt: String(req.headers['amz-sdk-request']),
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
      };
      received.push(request);
      const answer = script(request, received.length);
      res.writeHead(answer.status, { 'content-type': 'application/x-amz-json-1.0', ...answer.headers });
      res.end(JSON.stringify(answer.type ? { __type: `com.amazonaws.dynamodb.v20120810#${answer.type}`, message: answer.type } : (answer.body ?? {})));
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', () => resolve()));
  client = createDocumentClient({ endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, region: 'us-east-1' });
  return { client, received };
};

const throttled: Answer = { status: 400, type: 'ProvisionedThroughputExceededException' };
/** Slack for scheduling and local round trips on a busy 2-core machine. */
const SLACK_MS = 150;

describe("the DynamoDB client's own retries", () => {
  const policy = SDK_RETRY.dynamodb;

  it('retries a throttled call the documented number of times, within the documented waits', async () => {
    // Prepare: throttled for ever, with a retry-after hint of 3 s that must not stretch the waits.
    const { client, received } = await dynamodb(() => ({ ...throttled, headers: { 'x-amz-retry-after': '3000' } }));

    // Act
    const started = Date.now();
    const failure = (await client.send(new GetCommand({ TableName: 'tbl', Key: { pk: 'a', sk: 'b' } })).catch((e: unknown) => e)) as Error & { $metadata: { attempts: number } };

    // Assess
    expect(failure.name).toBe('ProvisionedThroughputExceededException');
    expect(failure.$metadata.attempts).toBe(policy.maxAttempts);
    expect(received.map((r) => r.attempt)).toEqual(Array.from({ length: policy.maxAttempts }, (_, i) => `attempt=${i + 1}; max=${policy.maxAttempts}`));
    expect(Date.now() - started).toBeLessThan(worstCaseBackoffMs(policy) + SLACK_MS);
  });

  it('retries 5xx by the SDK classification and not a 400 that retrying cannot fix', async () => {
    const flaky = await dynamodb((_, n) => (n < 3 ? { status: 500, type: 'InternalServerError' } : { status: 200, body: { Item: { pk: { S: 'a' }, sk: { S: 'b' } } } }));
    expect((await flaky.client.send(new GetCommand({ TableName: 'tbl', Key: { pk: 'a', sk: 'b' } }))).Item).toEqual({ pk: 'a', sk: 'b' });
    expect(flaky.received).toHaveLength(3);
    flaky.client.destroy();
    await new Promise<void>((resolve) => server!.close(() => resolve()));

    const invalid = await dynamodb(() => ({ status: 400, type: 'ValidationException' }));
    await expect(invalid.client.send(new GetCommand({ TableName: 'tbl', Key: { pk: 'a', sk: 'b' } }))).rejects.toThrow('ValidationException');
    expect(invalid.received).toHaveLength(1);
  });
});

describe('batchWrite on the wire: both layers within the budget', () => {
  const put = (i: number): WriteRequest => ({ PutRequest: { Item: { pk: 'p', sk: String(i) } } });
  const itemsOf = (r: Received) => (r.body.RequestItems?.tbl ?? []).map((w) => (w.PutRequest!.Item.sk as unknown as { S: string }).S);

  it('re-sends only the unprocessed items until written', async () => {
    const { client, received } = await dynamodb((request, n) => ({
      status: 200,
      body: { UnprocessedItems: n === 1 ? { tbl: request.body.RequestItems!.tbl!.slice(1) } : {} },
    }));
    const result = await batchWrite(client, [put(1), put(2), put(3)], { tableName: 'tbl', deadline: Date.now() + 5000 });
    expect(result).toEqual({ failed: [], retries: 1 });
    expect(received.map(itemsOf)).toEqual([['1', '2', '3'], ['2', '3']]);
  });

  it('ends within the deadline plus one call\'s worst case when DynamoDB throttles every call whole', async () => {
    // Prepare: every BatchWriteItem throttled; a 400 ms budget.
    const { client, received } = await dynamodb(() => throttled);
    const budgetMs = 400;
    const started = Date.now();

    // Act
    const result = await batchWrite(client, [put(1), put(2)], { tableName: 'tbl', deadline: started + budgetMs });

    // Assess: nothing dropped; each loop round was one SDK call of maxAttempts attempts; no round began after the
    // deadline, and the whole ended within the budget plus one call's retries (docs/reliability.md, "Retries").
    const elapsed = Date.now() - started;
    expect(result.failed.map((f) => f.request)).toEqual([put(1), put(2)]);
    expect(result.failed[0]!.reason).toBe('ProvisionedThroughputExceededException; gave up at the deadline');
    expect(received.length % SDK_RETRY.dynamodb.maxAttempts).toBe(0);
    const rounds = received.filter((r) => r.attempt.startsWith('attempt=1;'));
    expect(rounds.length).toBe(result.retries + 1);
    expect(rounds.length).toBeGreaterThan(1);
    expect(rounds.every((r) => r.at < started + budgetMs)).toBe(true);
    expect(elapsed).toBeLessThan(budgetMs + worstCaseBackoffMs(SDK_RETRY.dynamodb) + SLACK_MS);
  });
});

describe('docs/reliability.md', () => {
  const doc = readFileSync(new URL('../../docs/reliability.md', import.meta.url), 'utf8');
  const section = doc.slice(doc.indexOf('## Retries'));

  it('states every layer\'s attempts and the worst case of one DynamoDB call as the code has them', () => {
    expect(section).toContain('## Retries');
    for (const [name, policy] of Object.entries({ ...SDK_RETRY, ...PARTIAL_RETRY })) {
      const row = section.split('\n').find((line) => line.startsWith('|') && line.includes(`\`${name}\``));
      expect(row, name).toBeDefined();
      expect(row).toContain(`| ${policy.maxAttempts} |`);
      expect(row).toContain(`${policy.backoff.baseMs} ms`);
    }
    expect(section).toContain(`${worstCaseBackoffMs(SDK_RETRY.dynamodb)} ms`);
  });
});
