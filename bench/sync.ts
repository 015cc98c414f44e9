/**
 * `npm run bench:sync`: how fast a deletion reaches the user's other devices.
 *
 * Starts its own in-memory DynamoDB Local and the whole local stack (the real handlers behind the local HTTP API,
 * WebSocket API and event bus), switches sync on as an admin, and measures with real WebSocket clients:
 *   (1) one receiving device: for each of BENCH_SYNC_DELETIONS (250) deletions sent one after another from
 *       another device, the time from the deletion's HTTP response to the push arriving (target p99 < 50 ms);
 *       also from the request being sent, and the response time itself;
 *   (2) fan-out: BENCH_FANOUT_DEVICES (50) devices of one user, BENCH_FANOUT_ROUNDS (20) deletions, the time
 *       from the response to the first and to the last device receiving the push.
 * Each deletion deletes one conversation the user never had (the push path does not depend on what was deleted).
 * The clients run in the same Node process as the stack, so their time is in the figures, as a device's would be.
 * Knobs (environment): BENCH_SYNC_DELETIONS, BENCH_SYNC_WARMUP (20), BENCH_FANOUT_DEVICES, BENCH_FANOUT_ROUNDS.
 */
import { WebSocket } from 'ws';
import { startDynamoDbLocal } from '#local/dynamodb-local.js';
import { ENV } from '#contracts/environment.js';
import { type LocalStack, startLocalStack } from '#local/stack.js';
import { intEnv, load, machine, median, ms } from './support/stats.js';
import { onStop, progress, stopAll } from './support/lifecycle.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';


const config = {
  deletions: intEnv('BENCH_SYNC_DELETIONS', 250, 1),
  warmup: intEnv('BENCH_SYNC_WARMUP', 20, 0),
  fanoutDevices: intEnv('BENCH_FANOUT_DEVICES', 50, 1),
  fanoutRounds: intEnv('BENCH_FANOUT_ROUNDS', 20, 1),
};
const PUSH_TIMEOUT_MS = 5000;
const TARGET_P99_MS = 50;

// ---------------------------------------------------------------------------------------------------------------
// ---------------------------------------------------------------------------------------------------------------

/** Nearest-rank percentile. */
const percentile = (values: readonly number[], p: number): number => {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
};

/** A device that stamps each push with its arrival time and hands it to whoever waits for that deletion. */
class Receiver {
  private readonly arrivals = new Map<string, number>();
  private readonly waiting = new Map<string, (at: number) => void>();

  private constructor(private readonly socket: WebSocket) {
    socket.on('message', (raw) => {
      const at = performance.now();
      const message = JSON.parse(raw.toString()) as { type: string; data: { conversationIDList: string[] } };
      if (message.type !== 'conversation.deleted') return;
      const tag = message.data.conversationIDList[0]!;
      const waiter = this.waiting.get(tag);
      if (waiter) {
        this.waiting.delete(tag);
        waiter(at);
      } else {
        this.arrivals.set(tag, at);
      }
    });
  }

  public static async connect(stack: LocalStack, userID: string, deviceID: string): Promise<Receiver> {
    const token = await stack.token(userID);
    const socket = new WebSocket(`${stack.websocketUrl}?token=${encodeURIComponent(token)}&deviceID=${encodeURIComponent(deviceID)}`);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
      socket.once('unexpected-response', (_req, res) => reject(new Error(`WebSocket refused: ${res.statusCode}`)));
    });
    return new Receiver(socket);
  }

  /** When the push for the conversation `tag` arrived (it may have arrived before the HTTP response). */
  public arrival(tag: string): Promise<number> {
    const at = this.arrivals.get(tag);
    if (at !== undefined) {
      this.arrivals.delete(tag);
      return Promise.resolve(at);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(tag);
        reject(new Error(`no push for ${tag} within ${PUSH_TIMEOUT_MS} ms`));
      }, PUSH_TIMEOUT_MS);
      this.waiting.set(tag, (arrivedAt) => {
        clearTimeout(timer);
        resolve(arrivedAt);
      });
    });
  }

  public close(): void {
    this.socket.close();
  }
}

const api = async (stack: LocalStack, token: string, method: string, path: string, body: unknown, headers: Record<string, string> = {}) => {
  const response = await fetch(`${stack.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return text;
};

/** One deletion from the device "origin"; returns when the request was sent and when its response was read. */
const deleteOnce = async (stack: LocalStack, token: string, tag: string) => {
  const sentAt = performance.now();
  await api(stack, token, 'POST', '/v1/conversations/delete', { conversationIDList: [tag], clearHistoryMessage: false }, { 'X-Device-ID': 'origin' });
  return { sentAt, answeredAt: performance.now() };
};

type Row = { name: string; values: number[] };

const main = async () => {
  progress('starting DynamoDB Local (in memory) and the local stack...');
  const dynamo = await startDynamoDbLocal();
  onStop(() => dynamo.stop());
  // One user deletes far faster than the per-user limit allows; the bench measures the push, not the limiter.
  process.env[ENV.deletionRateLimit] = '0';
  const stack = await startLocalStack({ port: 0, dynamodbEndpoint: dynamo.endpoint, tableName: 'bench-sync', log: (m, e) => progress(`background: ${m} ${String(e ?? '')}`) });
  onStop(() => stack.stop());

  await api(stack, await stack.token('benchadmin', true), 'PUT', '/v1/admin/settings', { syncConversationDeletion: true });

  // (1) One receiving device.
  const single = await stack.token('benchuser1');
  const receiver = await Receiver.connect(stack, 'benchuser1', 'receiver');
  const afterResponse: number[] = [];
  const afterRequest: number[] = [];
  const responseTimes: number[] = [];
  let beforeResponse = 0;
  progress(`one device: ${config.warmup} warm-up and ${config.deletions} measured deletions...`);
  for (let i = 0; i < config.warmup + config.deletions; i++) {
    const tag = `C2Cpeer${i}`;
    const arrival = receiver.arrival(tag);
    const { sentAt, answeredAt } = await deleteOnce(stack, single, tag);
    const arrivedAt = await arrival;
    if (i < config.warmup) continue;
    afterResponse.push(arrivedAt - answeredAt);
    afterRequest.push(arrivedAt - sentAt);
    responseTimes.push(answeredAt - sentAt);
    if (arrivedAt < answeredAt) beforeResponse++;
  }
  receiver.close();

  // (2) Fan-out to many devices of one user.
  progress(`fan-out: connecting ${config.fanoutDevices} devices...`);
  const fanoutUser = 'benchuser2';
  const fanout = await stack.token(fanoutUser);
  const devices: Receiver[] = [];
  for (let d = 0; d < config.fanoutDevices; d++) devices.push(await Receiver.connect(stack, fanoutUser, `device${d}`));
  const firstAfterResponse: number[] = [];
  const lastAfterResponse: number[] = [];
  const lastAfterRequest: number[] = [];
  progress(`fan-out: ${config.fanoutRounds} deletions to ${config.fanoutDevices} devices (+1 warm-up)...`);
  for (let r = 0; r <= config.fanoutRounds; r++) {
    const tag = `C2Cfan${r}`;
    const arrivals = Promise.all(devices.map((d) => d.arrival(tag)));
    const { sentAt, answeredAt } = await deleteOnce(stack, fanout, tag);
    const at = await arrivals;
    if (r === 0) continue;
    firstAfterResponse.push(Math.min(...at) - answeredAt);
    lastAfterResponse.push(Math.max(...at) - answeredAt);
    lastAfterRequest.push(Math.max(...at) - sentAt);
  }
  for (const d of devices) d.close();

  const rows: Row[] = [
    { name: '1 device: push after the HTTP response', values: afterResponse },
    { name: '1 device: push after the request was sent', values: afterRequest },
    { name: '1 device: HTTP response time of the deletion', values: responseTimes },
    { name: `${config.fanoutDevices} devices: first push after the response`, values: firstAfterResponse },
    { name: `${config.fanoutDevices} devices: last push after the response`, values: lastAfterResponse },
    { name: `${config.fanoutDevices} devices: last push after the request was sent`, values: lastAfterRequest },
  ];
  const width = Math.max(...rows.map((r) => r.name.length));
  const lines = [
    '',
    'Multi-device push of deletions (local stack, in-memory DynamoDB Local), milliseconds',
    '',
    `| ${'measurement'.padEnd(width)} |     n | median |    p99 |    max |`,
    `|${'-'.repeat(width + 2)}|------:|-------:|-------:|-------:|`,
    ...rows.map(
      (r) =>
        `| ${r.name.padEnd(width)} | ${String(r.values.length).padStart(5)} | ${ms(median(r.values)).padStart(6)} | ${ms(percentile(r.values, 99)).padStart(6)} | ${ms(Math.max(...r.values)).padStart(6)} |`,
    ),
    '',
    `Target, one device: p99 after the response < ${TARGET_P99_MS} ms: ${percentile(afterResponse, 99) < TARGET_P99_MS ? 'met' : 'NOT met'} (p99 ${ms(percentile(afterResponse, 99))} ms).`,
    `${beforeResponse} of ${afterResponse.length} pushes arrived before the deletion's own HTTP response (negative figures): the event is published just before the function answers.`,
    `Machine: ${machine()}`,
    `Load average (1/5/15 min) at the end: ${load()}`,
  ];
  console.log(lines.join('\n'));
};

try {
  await main();
} catch (error) {
  progress(`benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
} finally {
  await stopAll();
}
