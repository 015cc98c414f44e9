/**
 * The wiring every HTTP function shares: Powertools logging, metrics and tracing, then authentication,
 * body parsing, the envelope and error mapping. A handler file only lists its routes, and must list exactly the
 * routes functions/contracts/routes.ts declares for its function (the type says so), so a route cannot be served
 * without being deployed, or deployed without being served.
 */
import middy, { type MiddlewareObj } from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import type { APIGatewayProxyResultV2 } from 'aws-lambda';
import type { HttpFunctionName, HttpRouteKey } from '#contracts/routes.js';
import { logger } from '#observability/logger.js';
import { metrics } from '#observability/metrics.js';
import { tracer } from '#observability/tracer.js';
import { correlationId } from './correlation-id.js';
import { type ErrorMapping, HTTP_ERRORS, RouteNotFoundError } from './http-errors.js';
import { authenticate, envelope, errorResponses, type HttpContext, type HttpEvent, jsonBody, type RouteResult } from './http-middlewares.js';

export type Route = (event: HttpEvent, context: HttpContext) => Promise<RouteResult>;

export type HttpHandlerOptions = {
  /** Mappings for errors only this function meets, tried before the shared ones. */
  errors?: readonly ErrorMapping[];
  /**
   * Middlewares that run once the caller is authenticated, before the body is read (a rate limit,
   * functions/middleware/rate-limit.ts): what they refuse costs no parsing.
   */
  guards?: readonly MiddlewareObj<HttpEvent, unknown, Error, HttpContext>[];
};

/** `httpHandler('messages')({ 'POST /v1/messages': ..., ... })`: the routes the function serves, exactly as declared. */
export const httpHandler =
  <F extends HttpFunctionName>(_functionName: F, options: HttpHandlerOptions = {}) =>
  (routes: Readonly<Record<HttpRouteKey<F>, Route>>) =>
    middy<HttpEvent, APIGatewayProxyResultV2, Error, HttpContext>()
      .use(captureLambdaHandler(tracer))
      .use(injectLambdaContext(logger))
      .use(correlationId())
      .use(logMetrics(metrics))
      .use(errorResponses([...(options.errors ?? []), ...HTTP_ERRORS]))
      .use(authenticate())
      .use([...(options.guards ?? [])])
      .use(jsonBody())
      .use(envelope())
      .handler(async (event, context) => {
        const route = (routes as Record<string, Route>)[event.routeKey];
        if (!route) throw new RouteNotFoundError(`no route ${event.routeKey}: see docs/api.md`);
        return route(event, context) as never;
      });

/** Path parameters arrive percent-encoded from API Gateway (and the local runner); valid IDs never contain '%'. */
export const pathParameter = (event: HttpEvent, name: string): string => {
  const raw = event.pathParameters?.[name] ?? '';
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
};

/** Query string as a plain record (API Gateway joins repeated keys with commas). */
export const queryOf = (event: HttpEvent): Record<string, string> => ({ ...(event.queryStringParameters ?? {}) }) as Record<string, string>;

export const headerOf = (event: HttpEvent, name: string): string | undefined => {
  const lower = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) if (key.toLowerCase() === lower) return value;
  return undefined;
};
