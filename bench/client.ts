/**
 * `npm run bench:client`: the client SDK's size and how fast a deletion reaches another device through it.
 *
 *   (1) Size: the SDK as an app bundles it (client/dist bundled by esbuild, minified) and gzipped (level 9), beside
 *       the reference SDK's core build (`@tencentcloud/chat` 3.6's index.es.js, as shipped and re-minified by the
 *       same esbuild), measured in the same run. The reference is installed with npm into a temporary folder (not
 *       into this project) unless BENCH_REFERENCE_DIR names a folder that has it. Target: at most 10 KB gzipped.
 *   (2) Latency: a user's two devices, each a `chat` of the built SDK in this process against the local stack
 *       (in-memory DynamoDB Local, sync on): device A deletes one conversation at a time, device B waits for
 *       CONVERSATION_LIST_UPDATED without it. BENCH_CLIENT_DELETIONS (200) measured, BENCH_CLIENT_WARMUP (20) before;
 *       as many again sent by A as a bare fetch of the same request, alternating, to tell the server's time from the SDK's.
 *       Target: p99 under 60 ms from the deletion call on A to the event on B. BENCH_CLIENT_GRACE_SECONDS sets the undo
 *       grace period (default: the product's, 600 s).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build, transform } from 'esbuild';
import { WebSocket } from 'ws';
import { ENV } from '#contracts/environment.js';
import { startDynamoDbLocal } from '#local/dynamodb-local.js';
import { startLocalStack } from '#local/stack.js';
import type * as SdkModule from '../client/src/index.js';
import { onStop, progress, stopAll } from './support/lifecycle.js';
import { intEnv, load, machine, median, ms } from './support/stats.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';

const config = { deletions: intEnv('BENCH_CLIENT_DELETIONS', 200, 1), warmup: intEnv('BENCH_CLIENT_WARMUP', 20, 0) };
const TARGET_GZIP_BYTES = 10 * 1024;
const TARGET_P99_MS = 60;
const EVENT_TIMEOUT_MS = 5000;

const percentile = (values: readonly number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
};
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
const gzip = (code: string | Uint8Array) => gzipSync(code, { level: 9 }).length;

/** The reference's core build: from BENCH_REFERENCE_DIR, or npm-installed into a temporary folder once. */
const referenceBuild = (): { file: string; version: string } => {
  const dir = process.env.BENCH_REFERENCE_DIR || join(tmpdir(), 'conversation-deletion-bench-reference');
  const pkg = join(dir, 'node_modules', '@tencentcloud', 'chat');
  if (!existsSync(join(pkg, 'index.es.js'))) {
    progress(`installing @tencentcloud/chat@3.6 into ${dir} (outside the project)...`);
    mkdirSync(dir, { recursive: true });
    const npm = spawnSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--no-package-lock', '--prefix', dir, '@tencentcloud/chat@3.6'], { encoding: 'utf8' });
    if (npm.status !== 0) throw new Error(`npm install of the reference failed: ${npm.stderr}`);
  }
  return { file: join(pkg, 'index.es.js'), version: (JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')) as { version: string }).version };
};

const sizes = async () => {
  const entry = resolve('client/dist/index.js');
  const bundled = await build({ entryPoints: [entry], bundle: true, minify: true, format: 'esm', platform: 'neutral', write: false, logLevel: 'silent' });
  const ours = bundled.outputFiles[0]!.contents;
  const reference = referenceBuild();
  const shipped = readFileSync(reference.file, 'utf8');
  const reminified = (await transform(shipped, { minify: true, format: 'esm', logLevel: 'silent' })).code;
  return {
    rows: [
      { name: 'this SDK (client/dist bundled, esbuild --minify)', raw: ours.length, gz: gzip(ours) },
      { name: `reference @tencentcloud/chat ${reference.version} index.es.js, as shipped`, raw: Buffer.byteLength(shipped), gz: gzip(shipped) },
      { name: `reference @tencentcloud/chat ${reference.version} index.es.js, esbuild --minify`, raw: Buffer.byteLength(reminified), gz: gzip(reminified) },
    ],
    oursGz: gzip(ours),
  };
};

const latency = async (sdk: typeof SdkModule) => {
  progress('starting DynamoDB Local (in memory) and the local stack...');
  const dynamo = await startDynamoDbLocal();
  onStop(() => dynamo.stop());
  // One user deletes far faster than the per-user limit allows; the bench measures sync, not the limiter.
  process.env[ENV.deletionRateLimit] = '0';
  const stack = await startLocalStack({ port: 0, dynamodbEndpoint: dynamo.endpoint, tableName: 'bench-client', log: (m, e) => progress(`background: ${m} ${String(e ?? '')}`) });
  onStop(() => stack.stop());

  const admin = sdk.create({ baseURL: stack.url, sync: false });
  await admin.login({ userID: 'benchadmin', userSig: await stack.token('benchadmin', true) });
  // The product's undo grace period unless BENCH_CLIENT_GRACE_SECONDS names another (0: undo off, the purge at once).
  const grace = process.env.BENCH_CLIENT_GRACE_SECONDS;
  await admin.setAppSettings({ syncConversationDeletion: true, ...(grace ? { deletionGracePeriodSeconds: intEnv('BENCH_CLIENT_GRACE_SECONDS', 600, 0) } : {}) });
  progress(`settings: ${JSON.stringify((await admin.getAppSettings()).data)}`);

  const userID = 'benchuser';
  const token = await stack.token(userID);
  // Each measured deletion is made twice over: through the SDK, and as a bare fetch of the same request, alternating,
  // so the server's own time and the SDK's share can be told apart in the same run.
  const total = config.warmup + 2 * config.deletions;
  const deviceA = sdk.create({ baseURL: stack.url, deviceID: 'device-a', sync: false });
  await deviceA.login({ userID, userSig: token });
  progress(`seeding ${total} conversations through the SDK...`);
  for (let i = 0; i < total; i++) await deviceA.sendMessage(deviceA.createTextMessage({ to: `peer${i}`, conversationType: sdk.TYPES.CONV_C2C, payload: { text: 'hi' } }));

  const deviceB = sdk.create({ baseURL: stack.url, deviceID: 'device-b', WebSocket: WebSocket as unknown as SdkModule.WebSocketConstructor });
  await deviceB.login({ userID, userSig: token });
  await deviceB.whenSynced();
  const waiting = new Map<string, (at: number) => void>();
  deviceB.on(sdk.EVENT.CONVERSATION_LIST_UPDATED, (event: { data: { conversationID: string }[] }) => {
    const at = performance.now();
    const present = new Set(event.data.map((c) => c.conversationID));
    for (const [id, resolveWait] of waiting) {
      if (present.has(id)) continue;
      waiting.delete(id);
      resolveWait(at);
    }
  });
  const updateWithout = (conversationID: string) =>
    new Promise<number>((resolveWait, reject) => {
      const timer = setTimeout(() => reject(new Error(`no CONVERSATION_LIST_UPDATED without ${conversationID} within ${EVENT_TIMEOUT_MS} ms`)), EVENT_TIMEOUT_MS);
      waiting.set(conversationID, (at) => {
        clearTimeout(timer);
        resolveWait(at);
      });
    });

  /** The same request as the SDK's, sent with fetch alone. */
  const bareDelete = async (conversationID: string) => {
    const response = await fetch(`${stack.url}/v1/conversations/delete`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'x-device-id': 'device-a', 'idempotency-key': crypto.randomUUID() },
      body: JSON.stringify({ conversationIDList: [conversationID], clearHistoryMessage: false }),
    });
    await response.text();
    if (!response.ok) throw new Error(`bare deletion: ${response.status}`);
  };

  const empty = () => ({ fromCall: [] as number[], fromAnswer: [] as number[], answerTimes: [] as number[] });
  const results = { sdk: empty(), bare: empty() };
  progress(`${config.warmup} warm-up and ${2 * config.deletions} measured deletions (SDK and bare fetch alternating)...`);
  for (let i = 0; i < total; i++) {
    const conversationID = `C2Cpeer${i}`;
    const way = i % 2 === 0 ? 'sdk' : 'bare';
    const event = updateWithout(conversationID);
    const calledAt = performance.now();
    if (way === 'sdk') await deviceA.deleteConversation({ conversationIDList: [conversationID], clearHistoryMessage: false });
    else await bareDelete(conversationID);
    const answeredAt = performance.now();
    const at = await event;
    if (i < config.warmup) continue;
    results[way].fromCall.push(at - calledAt);
    results[way].fromAnswer.push(at - answeredAt);
    results[way].answerTimes.push(answeredAt - calledAt);
  }
  await Promise.all([deviceA.destroy(), deviceB.destroy(), admin.destroy()]);
  return results;
};

const main = async () => {
  const entry = resolve('client/dist/index.js');
  if (!existsSync(entry)) throw new Error('client/dist is missing: run npm run build:client (npm run bench:client does)');
  const sdk = (await import(pathToFileURL(entry).href)) as typeof SdkModule;
  const size = await sizes();
  const { sdk: viaSdk, bare } = await latency(sdk);
  const { fromCall } = viaSdk;

  const rows = [
    { name: 'A: deleteConversation call -> CONVERSATION_LIST_UPDATED on B', values: viaSdk.fromCall },
    { name: "A: deleteConversation's answer -> CONVERSATION_LIST_UPDATED on B", values: viaSdk.fromAnswer },
    { name: 'A: deleteConversation, call to answer', values: viaSdk.answerTimes },
    { name: 'A: bare fetch of the same request -> CONVERSATION_LIST_UPDATED on B', values: bare.fromCall },
    { name: 'A: bare fetch, request to answer', values: bare.answerTimes },
  ];
  const sizeWidth = Math.max(...size.rows.map((r) => r.name.length));
  const width = Math.max(...rows.map((r) => r.name.length));
  const p99 = percentile(fromCall, 99);
  console.log(
    [
      '',
      'Client SDK size (minified; gzip level 9)',
      '',
      `| ${'build'.padEnd(sizeWidth)} |  minified |   gzipped |`,
      `|${'-'.repeat(sizeWidth + 2)}|----------:|----------:|`,
      ...size.rows.map((r) => `| ${r.name.padEnd(sizeWidth)} | ${kb(r.raw).padStart(9)} | ${kb(r.gz).padStart(9)} |`),
      '',
      `Target: at most ${kb(TARGET_GZIP_BYTES)} gzipped: ${size.oursGz <= TARGET_GZIP_BYTES ? 'met' : 'NOT met'} (${kb(size.oursGz)}).`,
      '',
      `Deletion on device A -> CONVERSATION_LIST_UPDATED on device B's SDK (local stack, in-memory DynamoDB Local), ms, n = ${config.deletions} per row after ${config.warmup} warm-up`,
      '',
      `| ${'measurement'.padEnd(width)} | median |    p99 |    max |`,
      `|${'-'.repeat(width + 2)}|-------:|-------:|-------:|`,
      ...rows.map((r) => `| ${r.name.padEnd(width)} | ${ms(median(r.values)).padStart(6)} | ${ms(percentile(r.values, 99)).padStart(6)} | ${ms(Math.max(...r.values)).padStart(6)} |`),
      '',
      `Target: p99 from the call < ${TARGET_P99_MS} ms: ${p99 < TARGET_P99_MS ? 'met' : 'NOT met'} (p99 ${ms(p99)} ms).`,
      `Machine: ${machine()}`,
      `Load average (1/5/15 min) at the end: ${load()}`,
    ].join('\n'),
  );
};

try {
  await main();
} finally {
  await stopAll();
}
