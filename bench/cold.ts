/**
 * `npm run bench:cold`: does each function bundle only what it calls?
 *
 * For every function, in one run:
 *   1. builds its handler (functions/handlers/<name>.ts) with the deploy's own esbuild options (lib/bundling.ts,
 *      which ServiceFunction hands to NodejsFunction) into a temporary folder, and records the size of the
 *      minified .mjs (not the source map) and, from esbuild's metafile, the bytes each package contributes;
 *   2. builds a reference with the same options from a generated entry that imports and instantiates only the AWS
 *      clients and middlewares the function calls: the clients of the resources in its declaration
 *      (`FUNCTIONS[name].access`, functions/wiring), each wrapped by the tracer as functions/adapters do, the JWT
 *      verifier when its environment names an issuer, and the Powertools/middy middlewares of its kind
 *      (functions/middleware/*-handler.ts), with a trivial `handler`;
 *   3. times the cold initialisation of each bundle: a fresh `node` process with the function's environment
 *      (dummy values) imports the bundle and reports how long `await import()` took; BENCH_COLD_RUNS (10) runs each,
 *      function and reference alternating, after one untimed import that checks the bundle loads on this Node.
 *      The child refuses every socket connection: initialisation must not touch the network.
 * Prints a markdown table (stdout), then per function the packages that make it heavier than its reference and
 * the project files that import them. Target: within 1.25x of the reference on size and on initialisation.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type Metafile, version as esbuildVersion } from 'esbuild';
import { ENV, type EnvName } from '#contracts/environment.js';
import { FUNCTION_NAMES, type FunctionName, handlerEntry } from '#contracts/functions.js';
import { HTTP_FUNCTIONS, WEBSOCKET_FUNCTIONS } from '#contracts/routes.js';
import { METRICS_NAMESPACE, SERVICE_NAME } from '#observability/names.js';
import { type AwsResource, FUNCTIONS } from '#wiring/index.js';
import { BUNDLING, esbuildOptions, PROJECT_ROOT } from '#lib/bundling.js';
import { onStop, progress, stopAll } from './support/lifecycle.js';
import { alternate, host, intEnv, load, median, ms, ratio } from './support/stats.js';


const RUNS = intEnv('BENCH_COLD_RUNS', 10, 1);
const TARGET = 1.25;
/** Packages below this many extra bytes are left out of the findings. */
const FINDING_MIN_BYTES = 512;

// ---------------------------------------------------------------------------------------------------------------
// The reference: only the AWS clients and middlewares a function calls
// ---------------------------------------------------------------------------------------------------------------

type Kind = 'http' | 'websocket' | 'event';

const kindOf = (name: FunctionName): Kind =>
  (HTTP_FUNCTIONS as readonly string[]).includes(name) ? 'http' : (WEBSOCKET_FUNCTIONS as readonly string[]).includes(name) ? 'websocket' : 'event';

type Middleware = 'tracer' | 'logger' | 'metrics' | 'eventBridgeParser';

/** The packaged middlewares of each kind, in their order (the project's own HTTP middlewares are project code). */
const MIDDLEWARES: Record<Kind, readonly Middleware[]> = {
  // functions/middleware/http-handler.ts: then errorResponses, authenticate, jsonBody, envelope (project code).
  http: ['tracer', 'logger', 'metrics'],
  // functions/middleware/websocket-handler.ts: no metrics, no body.
  websocket: ['tracer', 'logger'],
  // functions/middleware/event-handler.ts: the parser with the EventBridge envelope validates the detail (zod).
  event: ['tracer', 'logger', 'metrics', 'eventBridgeParser'],
};

/** A piece of the reference entry: its imports, the statements that instantiate it, and what the handler keeps. */
type Part = { imports: string[]; setup: string[]; keep?: string; middleware?: string };

const CORRELATION = "{ correlationIdPath: 'requestContext.requestId' }";

const middlewarePart = (middleware: Middleware, kind: Kind): Part => {
  switch (middleware) {
    case 'tracer':
      return { imports: ["import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';"], setup: [], middleware: 'captureLambdaHandler(tracer)' };
    case 'logger':
      return {
        imports: ["import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';"],
        setup: [],
        middleware: kind === 'event' ? 'injectLambdaContext(logger)' : `injectLambdaContext(logger, ${CORRELATION})`,
      };
    case 'metrics':
      return {
        imports: ["import { Metrics } from '@aws-lambda-powertools/metrics';", "import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';"],
        setup: [`const metrics = new Metrics({ namespace: ${JSON.stringify(METRICS_NAMESPACE)}, serviceName: ${JSON.stringify(SERVICE_NAME)}, logger });`],
        middleware: 'logMetrics(metrics)',
      };
    case 'eventBridgeParser':
      return {
        imports: [
          "import { EventBridgeEnvelope } from '@aws-lambda-powertools/parser/envelopes/eventbridge';",
          "import { parser } from '@aws-lambda-powertools/parser/middleware';",
          "import * as z from 'zod';",
        ],
        setup: [],
        middleware: 'parser({ schema: z.object({ id: z.string() }), envelope: EventBridgeEnvelope })',
      };
  }
};

const region = 'process.env.AWS_REGION';

/** The AWS clients of the resources a function is granted, built as functions/adapters/*\/client.ts build them. */
const clientParts = (resources: ReadonlySet<AwsResource>): Part[] => {
  const parts: Part[] = [];
  if (resources.has('table') || resources.has('conversationIndex') || resources.has('idempotencyTable')) {
    parts.push({
      imports: ["import { DynamoDBClient } from '@aws-sdk/client-dynamodb';", "import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';"],
      setup: [
        `const dynamodb = tracer.captureAWSv3Client(new DynamoDBClient({ region: ${region} }));`,
        'const documents = DynamoDBDocumentClient.from(dynamodb, { marshallOptions: { removeUndefinedValues: true } });',
      ],
      keep: 'documents',
    });
  }
  if (resources.has('idempotencyTable')) {
    parts.push({
      imports: [
        "import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';",
        "import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';",
      ],
      setup: [
        `const persistenceStore = new DynamoDBPersistenceLayer({ tableName: process.env.${ENV.idempotencyTableName}, awsSdkV3Client: dynamodb });`,
        "const once = makeIdempotent(async (call) => call, { persistenceStore, config: new IdempotencyConfig({ eventKeyJmesPath: 'key' }) });",
      ],
      keep: 'once',
    });
  }
  if (resources.has('eventBus')) {
    parts.push({
      imports: ["import { EventBridgeClient } from '@aws-sdk/client-eventbridge';"],
      setup: [`const events = tracer.captureAWSv3Client(new EventBridgeClient({ region: ${region} }));`],
      keep: 'events',
    });
  }
  if (resources.has('webSocketConnections')) {
    parts.push({
      imports: ["import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';"],
      setup: [
        `const gateway = tracer.captureAWSv3Client(new ApiGatewayManagementApiClient({ endpoint: process.env.${ENV.websocketManagementEndpoint}, region: ${region}, maxAttempts: 1 }));`,
      ],
      keep: 'gateway',
    });
  }
  return parts;
};

/** The cloud's token verifiers (aws-jwt-verify), when the function reads an issuer; never jose (local tokens only). */
const verifierPart = (environment: readonly EnvName[]): Part[] =>
  environment.includes(ENV.cognitoUserPoolID) || environment.includes(ENV.jwtIssuer)
    ? [
        {
          imports: ["import { CognitoJwtVerifier, JwtVerifier } from 'aws-jwt-verify';"],
          setup: [
            `const verifier = process.env.${ENV.cognitoUserPoolID}`,
            `  ? CognitoJwtVerifier.create({ userPoolId: process.env.${ENV.cognitoUserPoolID}, clientId: process.env.${ENV.cognitoClientID}, tokenUse: 'access' })`,
            `  : JwtVerifier.create({ issuer: process.env.${ENV.jwtIssuer}, audience: process.env.${ENV.jwtAudience} });`,
          ],
          keep: 'verifier',
        },
      ]
    : [];

/** What the reference of a function is made of, in words (for the output). */
const referenceContents = (name: FunctionName): string => {
  const declaration = FUNCTIONS[name];
  const resources = Object.keys(declaration.access);
  return [
    `${kindOf(name)} middlewares (${MIDDLEWARES[kindOf(name)].join(', ')})`,
    ...(resources.length > 0 ? [`clients for ${resources.join(', ')}`] : []),
    ...(verifierPart(declaration.environment).length > 0 ? ['aws-jwt-verify'] : []),
  ].join('; ');
};

/** The reference entry's source (plain ESM JavaScript, bundled from stdin with the project as resolve directory). */
const referenceSource = (name: FunctionName): string => {
  const declaration = FUNCTIONS[name];
  const kind = kindOf(name);
  const base: Part = {
    imports: [
      "import middy from '@middy/core';",
      "import { Logger } from '@aws-lambda-powertools/logger';",
      "import { Tracer } from '@aws-lambda-powertools/tracer';",
    ],
    setup: [`const logger = new Logger({ serviceName: ${JSON.stringify(SERVICE_NAME)} });`, `const tracer = new Tracer({ serviceName: ${JSON.stringify(SERVICE_NAME)} });`],
  };
  const parts = [
    base,
    ...MIDDLEWARES[kind].map((m) => middlewarePart(m, kind)),
    ...clientParts(new Set(Object.keys(declaration.access) as AwsResource[])),
    ...verifierPart(declaration.environment),
  ];
  const kept = parts.flatMap((p) => (p.keep ? [p.keep] : []));
  return [
    `// Reference for ${name}: ${referenceContents(name)}.`,
    ...parts.flatMap((p) => p.imports),
    '',
    ...parts.flatMap((p) => p.setup),
    `const used = [${kept.join(', ')}];`,
    '',
    'export const handler = middy()',
    ...parts.flatMap((p) => (p.middleware ? [`  .use(${p.middleware})`] : [])),
    '  .handler(async () => ({ statusCode: 200, body: String(used.length) }));',
    '',
  ].join('\n');
};

// ---------------------------------------------------------------------------------------------------------------
// Building and reading the metafile
// ---------------------------------------------------------------------------------------------------------------

type Built = {
  file: string;
  bytes: number;
  /** Bytes in the output per package ('(project)' for the project's files, '(entry)' for a generated entry). */
  packages: Map<string, number>;
  /** Bytes in the output per input file. */
  inputBytes: Map<string, number>;
  inputs: Metafile['inputs'];
  entry: string;
};

const PROJECT = '(project)';
const ENTRY = '(entry)';

/** `node_modules/@aws-sdk/core/dist-es/x.js` -> `@aws-sdk/core` (the innermost node_modules wins). */
const packageOf = (input: string): string => {
  const at = input.lastIndexOf('node_modules/');
  if (at < 0) return input.startsWith('<stdin>') || input.startsWith('reference/') ? ENTRY : PROJECT;
  const [scope, name] = input.slice(at + 'node_modules/'.length).split('/');
  return scope?.startsWith('@') ? `${scope}/${name}` : scope!;
};

const bundle = async (outdir: string, label: string, source: { entry: string } | { stdin: string }): Promise<Built> => {
  // index.mjs in a folder of its own, as NodejsFunction names it: the same bytes as the deployed asset.
  const file = join(outdir, label, 'index.mjs');
  const options = esbuildOptions('entry' in source ? source.entry : `reference/${label}.mjs`, file);
  if ('stdin' in source) {
    // A generated entry comes on stdin, resolved from the project root (its node_modules): no file in the repository.
    delete options.entryPoints;
    options.stdin = { contents: source.stdin, resolveDir: PROJECT_ROOT, sourcefile: `reference/${label}.mjs`, loader: 'js' };
  }
  const result = await build({ ...options, metafile: true, logLevel: 'warning' });
  const output = Object.entries(result.metafile.outputs).find(([path]) => path.endsWith('.mjs'));
  if (!output) throw new Error(`${label}: esbuild wrote no .mjs`);
  const packages = new Map<string, number>();
  const inputBytes = new Map<string, number>();
  for (const [input, { bytesInOutput }] of Object.entries(output[1].inputs)) {
    inputBytes.set(input, bytesInOutput);
    packages.set(packageOf(input), (packages.get(packageOf(input)) ?? 0) + bytesInOutput);
  }
  return {
    file,
    bytes: (await stat(file)).size,
    packages,
    inputBytes,
    inputs: result.metafile.inputs,
    entry: output[1].entryPoint ?? ('stdin' in source ? `reference/${label}.mjs` : source.entry),
  };
};

/** Shortest import chain from the entry to some file of `pkg`, with each package's files collapsed to its name. */
const chainTo = (built: Built, pkg: string): string[] => {
  const previous = new Map<string, string | null>([[built.entry, null]]);
  const queue = [built.entry];
  let found: string | undefined;
  while (queue.length > 0 && !found) {
    const file = queue.shift()!;
    for (const { path } of built.inputs[file]?.imports ?? []) {
      if (previous.has(path) || !built.inputs[path]) continue;
      previous.set(path, file);
      if (packageOf(path) === pkg) {
        found = path;
        break;
      }
      queue.push(path);
    }
  }
  const chain: string[] = [];
  for (let file = found ?? null; file !== null; file = previous.get(file) ?? null) {
    const name = packageOf(file) === PROJECT || packageOf(file) === ENTRY ? file : packageOf(file);
    if (chain[0] !== name) chain.unshift(name);
  }
  return chain;
};

/** The files outside `pkg` that import it directly (project files by path, packages by name). */
const importersOf = (built: Built, pkg: string, only?: string): string[] => {
  const importers = new Set<string>();
  for (const [file, { imports }] of Object.entries(built.inputs)) {
    if (packageOf(file) === pkg || (only && packageOf(file) !== only)) continue;
    if (imports.some((i) => packageOf(i.path) === pkg && built.inputs[i.path])) importers.add(packageOf(file) === PROJECT ? file : packageOf(file));
  }
  return [...importers].sort();
};

/** The files of `pkg` that weigh more in the function than in the reference (path inside the package, bytes). */
const filesBeyond = (fn: Built, reference: Built, pkg: string): [string, number][] =>
  [...fn.inputBytes]
    .filter(([file]) => packageOf(file) === pkg)
    .map(([file, bytes]): [string, number] => [file.slice(file.lastIndexOf('node_modules/') + 'node_modules/'.length + pkg.length + 1), bytes - (reference.inputBytes.get(file) ?? 0)])
    .filter(([, bytes]) => bytes > 0)
    .sort((a, b) => b[1] - a[1]);

type Extra = { pkg: string; bytes: number; inReference: boolean; importers: string[]; chain: string[] };

/** Every package that weighs more in the function than in its reference, heaviest first. */
const extras = (fn: Built, reference: Built): Extra[] =>
  [...fn.packages]
    .filter(([pkg]) => pkg !== ENTRY)
    .map(([pkg, bytes]) => ({ pkg, bytes: bytes - (reference.packages.get(pkg) ?? 0), inReference: reference.packages.has(pkg) }))
    .filter((e) => e.bytes >= FINDING_MIN_BYTES)
    .sort((a, b) => b.bytes - a.bytes)
    .map((e) => ({
      ...e,
      importers: e.pkg === PROJECT ? [] : importersOf(fn, e.pkg, e.inReference ? PROJECT : undefined),
      chain: e.pkg === PROJECT || e.inReference ? [] : chainTo(fn, e.pkg),
    }));

/** The project files in the bundle, heaviest first. */
const projectFiles = (built: Built): [string, number][] =>
  [...built.inputBytes].filter(([file, bytes]) => packageOf(file) === PROJECT && bytes > 0).sort((a, b) => b[1] - a[1]);

// ---------------------------------------------------------------------------------------------------------------
// Cold initialisation in a fresh process
// ---------------------------------------------------------------------------------------------------------------

/**
 * A plausible value of every variable a function may read, as the stack would set it (undefined: never set in
 * the cloud). A Record over every name, so a new variable cannot be forgotten here.
 */
const DUMMY_ENV: Record<EnvName, string | undefined> = {
  [ENV.tableName]: 't',
  [ENV.idempotencyTableName]: 'i',
  [ENV.eventBusName]: 'b',
  [ENV.userIDClaim]: 'username',
  [ENV.awsRegion]: 'us-east-1',
  [ENV.websocketManagementEndpoint]: 'https://example.execute-api.us-east-1.amazonaws.com/v1',
  [ENV.cognitoUserPoolID]: 'us-east-1_EXAMPLE01',
  [ENV.cognitoClientID]: 'example0client0id',
  [ENV.jwtIssuer]: 'https://issuer.example.com',
  [ENV.jwtAudience]: 'example-audience',
  [ENV.jwtJwksUri]: 'https://issuer.example.com/.well-known/jwks.json',
  [ENV.purgeHandoffSeconds]: undefined,
  [ENV.purgeLeaseSeconds]: undefined,
  [ENV.purgeStragglerSeconds]: undefined,
  [ENV.localJwtKey]: randomBytes(32).toString('base64'),
  [ENV.settingsCacheSeconds]: '60',
  [ENV.deletionRateLimit]: '20',
  [ENV.deletionRateWindowSeconds]: '10',
  [ENV.dynamodbEndpoint]: undefined,
  [ENV.eventbridgeEndpoint]: undefined,
};

/** The child's environment: only what Lambda and the stack would give this function (nothing from this shell). */
const childEnv = (name: FunctionName): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH ?? '',
  TZ: ':UTC',
  AWS_REGION: 'us-east-1',
  AWS_DEFAULT_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'AKIAEXAMPLEEXAMPLE00',
  AWS_SECRET_ACCESS_KEY: 'example/secret/access/key/example/000000',
  AWS_SESSION_TOKEN: 'example-session-token',
  AWS_LAMBDA_FUNCTION_NAME: `${SERVICE_NAME}-${name}`,
  AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(FUNCTIONS[name].memorySize),
  AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  // What ServiceFunction sets on every function (lib/service-function.ts).
  POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
  POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
  POWERTOOLS_LOG_LEVEL: 'INFO',
  NODE_OPTIONS: '--enable-source-maps',
  ...Object.fromEntries(FUNCTIONS[name].environment.flatMap((env) => (DUMMY_ENV[env] !== undefined ? [[env, DUMMY_ENV[env]]] : []))),
});

/**
 * Runs in the child: refuses every socket connection (and counts the attempts), times the import, waits a moment
 * for anything the import scheduled, and prints the result as JSON.
 */
const CHILD = `
import net from 'node:net';
const connects = [];
net.Socket.prototype.connect = function (...args) {
  connects.push(String(args[0]?.host ?? args[0]?.path ?? args[0]));
  throw new Error('bench:cold: no network during initialisation');
};
const cpu = process.cpuUsage();
const start = performance.now();
const module = await import(process.argv[1]);
const ms = performance.now() - start;
const used = process.cpuUsage(cpu);
await new Promise((resolve) => setTimeout(resolve, 20));
process.stdout.write(JSON.stringify({ ms, cpuMs: (used.user + used.system) / 1000, handler: typeof module.handler, connects }));
`;

/** One import: wall-clock ms, and the process's CPU ms meanwhile (all threads: less sensitive to a busy machine). */
type Sample = { ms: number; cpuMs: number; handler: string; connects: string[] };

const importOnce = (file: string, env: NodeJS.ProcessEnv): Promise<Sample> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '--eval', CHILD, pathToFileURL(file).href], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`import of ${file} failed (exit ${code}):\n${stderr.trim()}`));
      try {
        resolve(JSON.parse(stdout) as Sample);
      } catch {
        reject(new Error(`import of ${file} printed no result:\n${stdout}\n${stderr}`));
      }
    });
  });

// ---------------------------------------------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------------------------------------------

type Row = {
  name: FunctionName;
  fn: Built;
  reference: Built;
  fnMs: Sample[];
  referenceMs: Sample[];
  failure?: string;
};

const kb = (bytes: number): string => (bytes / 1024).toFixed(1);
const mark = (value: number): string => (value > TARGET ? `**${ratio(value)}**` : ratio(value));

/** The figures of a row: ratios over the reference, and which of them miss the target. */
const figures = (row: Row) => {
  const initMs = median(row.fnMs.map((s) => s.ms));
  const referenceInitMs = median(row.referenceMs.map((s) => s.ms));
  const cpuMs = median(row.fnMs.map((s) => s.cpuMs));
  const referenceCpuMs = median(row.referenceMs.map((s) => s.cpuMs));
  const sizeRatio = row.fn.bytes / row.reference.bytes;
  const initRatio = initMs / referenceInitMs;
  const over = [
    ...(sizeRatio > TARGET ? [`size ${ratio(sizeRatio)}`] : []),
    ...(initRatio > TARGET ? [`init ${ratio(initRatio)}`] : []),
    ...(row.failure ? ['fails to load'] : []),
  ];
  return { initMs, referenceInitMs, cpuMs, referenceCpuMs, sizeRatio, initRatio, over };
};

const report = (rows: readonly Row[]): void => {
  const out = (line = '') => process.stdout.write(`${line}\n`);
  out(`Machine: ${host()}; esbuild ${esbuildVersion}. Load average at the end: ${load()}.`);
  out(`Bundles: lib/bundling.ts (${BUNDLING.format}, target ${BUNDLING.target}, minify, keepNames, no externals); KB = 1,024 bytes of the .mjs, without the source map.`);
  out(`Initialisation: \`await import()\` of the bundle in a fresh node ${process.version} process, median of ${RUNS}; bold = over the ${TARGET}x target.`);
  out();
  out('| function | bundle KB | reference KB | ratio | init ms (median) | reference init ms | ratio | top extra packages (KB) |');
  out('|---|---:|---:|---:|---:|---:|---:|---|');
  for (const row of rows) {
    const f = figures(row);
    const top = [
      ...extras(row.fn, row.reference)
        .filter((e) => !e.inReference && e.pkg !== PROJECT)
        .slice(0, 3)
        .map((e) => `${e.pkg} ${kb(e.bytes)}`),
      `project code ${kb(row.fn.packages.get(PROJECT) ?? 0)}`,
    ].join(', ');
    const init = row.failure ? 'fails | - | -' : `${ms(f.initMs)} | ${ms(f.referenceInitMs)} | ${mark(f.initRatio)}`;
    out(`| ${row.name} | ${kb(row.fn.bytes)} | ${kb(row.reference.bytes)} | ${mark(f.sizeRatio)} | ${init} | ${top} |`);
  }
  out();
  out('Top extra packages: in the function\'s bundle and not in the reference\'s; project code: the functions/ files (none in a reference).');
  const over = rows.filter((r) => figures(r).over.length > 0);
  out(over.length === 0 ? `Every function is within ${TARGET}x of its reference.` : `Over the target: ${over.map((r) => `${r.name} (${figures(r).over.join(', ')})`).join('; ')}.`);

  out();
  out('## What each function carries beyond its reference');
  for (const row of rows) {
    const f = figures(row);
    out();
    out(`### ${row.name} (${f.over.length > 0 ? `over the target: ${f.over.join(', ')}` : 'within the target'})`);
    out(`Reference: ${referenceContents(row.name)}.`);
    if (row.failure) out(`Import failed: ${row.failure}`);
    else out(`CPU time of the import (median): ${ms(f.cpuMs)} ms, reference ${ms(f.referenceCpuMs)} ms (${ratio(f.cpuMs / f.referenceCpuMs)}).`);
    for (const e of extras(row.fn, row.reference)) {
      if (e.pkg === PROJECT) {
        const files = projectFiles(row.fn).slice(0, 5).map(([file, bytes]) => `${file} ${kb(bytes)}`);
        out(`- project code: ${kb(e.bytes)} KB (heaviest: ${files.join(', ')})`);
      } else if (e.inReference) {
        const files = filesBeyond(row.fn, row.reference, e.pkg).slice(0, 4).map(([file, bytes]) => `${file} ${kb(bytes)}`);
        const by = e.importers.length > 0 ? `; the project imports it in ${e.importers.join(', ')}` : '';
        out(`- ${e.pkg}: +${kb(e.bytes)} KB over the reference's ${kb(row.reference.packages.get(e.pkg) ?? 0)} KB (${files.join(', ')})${by}`);
      } else {
        out(`- ${e.pkg}: ${kb(e.bytes)} KB, not in the reference; imported by ${e.importers.join(', ') || '?'}; via ${e.chain.join(' -> ')}`);
      }
    }
  }
};

const main = async (): Promise<void> => {
  const started = performance.now();
  const outdir = await mkdtemp(join(tmpdir(), 'bench-cold-'));
  onStop(() => rm(outdir, { recursive: true, force: true }));

  progress(`Building ${FUNCTION_NAMES.length} functions and their references (esbuild ${esbuildVersion}, ${BUNDLING.format}, ${BUNDLING.target}, minified)...`);
  const rows: Row[] = await Promise.all(
    FUNCTION_NAMES.map(async (name) => ({
      name,
      fn: await bundle(outdir, name, { entry: handlerEntry(name) }),
      reference: await bundle(outdir, `${name}.reference`, { stdin: referenceSource(name) }),
      fnMs: [],
      referenceMs: [],
    })),
  );

  // One untimed import of each bundle: checks it loads on this Node (the bundles target node24) without network.
  progress(`Checking every bundle loads on Node ${process.version}...`);
  for (const row of rows) {
    for (const built of [row.fn, row.reference]) {
      try {
        const sample = await importOnce(built.file, childEnv(row.name));
        if (sample.handler !== 'function') throw new Error(`${built.file} exports no handler function`);
        if (sample.connects.length > 0) throw new Error(`${built.file} opened connections at import: ${sample.connects.join(', ')}`);
      } catch (error) {
        row.failure = (error as Error).message;
        progress(`  ${row.name}: ${row.failure}`);
      }
    }
  }

  progress(`Timing cold initialisation: ${RUNS} runs of each bundle in a fresh node process, function and reference alternating...`);
  const live = rows.filter((r) => !r.failure);
  for (let run = 0; run < RUNS; run++) {
    for (const row of live) {
      const env = childEnv(row.name);
      await alternate(
        run,
        async () => row.fnMs.push(await importOnce(row.fn.file, env)),
        async () => row.referenceMs.push(await importOnce(row.reference.file, env)),
      );
    }
    progress(`  run ${run + 1}/${RUNS} (load ${load()})`);
  }

  report(rows);
  progress(`Done in ${((performance.now() - started) / 1000).toFixed(0)} s.`);
};

try {
  await main();
} finally {
  await stopAll();
}
