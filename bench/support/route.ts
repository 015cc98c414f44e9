/**
 * Sends the functions' DynamoDB calls through another endpoint (the fault proxy) for part of a benchmark run.
 * The functions share one DynamoDB client per process, built from the environment on first use, so a second local
 * stack pointed elsewhere would still use the first endpoint. A last middleware before the wire rewrites each
 * attempt's host and port instead; everything else about the calls (signing, retries, the handlers) is unchanged.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

type WireRequest = { hostname?: string; port?: number };
type Next = (args: { request: unknown }) => Promise<unknown>;

export type Route = {
  /** From now on, send every call to `endpoint`; `undefined`: back to the client's own endpoint. */
  via: (endpoint: string | undefined) => void;
};

export const routeCalls = (client: DynamoDBClient): Route => {
  let target: URL | undefined;
  const add = client.middlewareStack.add as (middleware: unknown, options: { step: string; priority: string; name: string; override: boolean }) => void;
  add.call(
    client.middlewareStack,
    (next: Next) => async (args: { request: unknown }) => {
      const request = args.request as WireRequest;
      if (target && typeof request === 'object' && request !== null && 'hostname' in request) {
        request.hostname = target.hostname;
        request.port = Number(target.port);
      }
      return next(args);
    },
    // Last of finalizeRequest: after the retry middleware, so every attempt goes the same way.
    { step: 'finalizeRequest', priority: 'low', name: 'benchRoute', override: true },
  );
  return { via: (endpoint) => (target = endpoint ? new URL(endpoint) : undefined) };
};
