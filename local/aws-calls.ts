/**
 * Which function sends which AWS call. The local runner runs every invocation inside `invocationScope`, so an SDK
 * middleware on the functions' shared clients knows the function behind each command. Tests use it to prove that
 * every call a function makes is covered by its IAM policy (DynamoDB Local enforces no IAM), and to force
 * interleavings by holding one function's call until another has finished.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { FunctionName } from '#contracts/functions.js';

/** One AWS API call as a function sent it. */
export type AwsCall = {
  functionName: FunctionName;
  /** The client's service, as the SDK names it: `DynamoDBClient`, `EventBridgeClient`, `ApiGatewayManagementApiClient`. */
  clientName: string;
  /** The wire command, e.g. `BatchWriteItemCommand` (lib-dynamodb's `BatchWriteCommand` is sent as this). */
  commandName: string;
  input: Record<string, unknown>;
};

/** Called before each call is sent; a returned promise holds the call until it settles. */
export type AwsCallInterceptor = (call: AwsCall) => void | Promise<void>;

export const invocationScope = new AsyncLocalStorage<{ functionName: FunctionName }>();

/** Any AWS SDK v3 client (each has its own middleware stack type; only `add` is used). */
type MiddlewareClient = { middlewareStack: { add: (...args: never[]) => void } };

const MIDDLEWARE_NAME = 'localAwsCallInterceptor';

/** The header by which the local runner's emulated AWS endpoints know a call comes from its own functions. */
export const LOCAL_AWS_KEY_HEADER = 'x-local-aws-key';

/** Adds a middleware to any SDK client (each client types its stack for its own commands; this one is generic). */
const addMiddleware = (client: MiddlewareClient, middleware: unknown, options: { step: 'initialize' | 'build'; name: string }): void => {
  const add = client.middlewareStack.add as (middleware: unknown, options: { step: string; name: string; override: boolean }) => void;
  add.call(client.middlewareStack, middleware, { ...options, override: true });
};

/** Signs every request of a client with the runner's key (before SigV4, so the key is a signed header too). */
export const sendLocalAwsKey = (client: MiddlewareClient, key: string): void =>
  addMiddleware(
    client,
    (next: (args: { request: { headers?: Record<string, string> } }) => Promise<unknown>) => async (args: { request: { headers?: Record<string, string> } }) => {
      if (args.request.headers) args.request.headers[LOCAL_AWS_KEY_HEADER] = key;
      return next(args);
    },
    { step: 'build', name: 'localAwsKey' },
  );

/** Adds the interceptor to a client once; calls made outside any invocation (setup code) are not reported. */
export const interceptAwsCalls = (client: MiddlewareClient, intercept: AwsCallInterceptor): void =>
  addMiddleware(
    client,
    (next: (args: { input: Record<string, unknown> }) => Promise<unknown>, context: { clientName?: string; commandName?: string }) =>
      async (args: { input: Record<string, unknown> }) => {
        const scope = invocationScope.getStore();
        if (scope) {
          await intercept({ functionName: scope.functionName, clientName: context.clientName ?? '?', commandName: context.commandName ?? '?', input: args.input });
        }
        return next(args);
      },
    { step: 'initialize', name: MIDDLEWARE_NAME },
  );
