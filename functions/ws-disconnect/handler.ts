import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import type { APIGatewayProxyResultV2, APIGatewayProxyWebsocketEventV2, Context } from 'aws-lambda';
import { createConnectionDependencies } from '#adapters/sync-dependencies.js';
import { disconnectDevice } from '#domain/device-connections.js';
import { logger, tracer } from '#observability/powertools.js';

const deps = createConnectionDependencies();

/** `$disconnect`: removes the connection from the registry (best effort by API Gateway; TTL covers a lost one). */
export const handler = middy<APIGatewayProxyWebsocketEventV2, APIGatewayProxyResultV2, Error, Context>()
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger, { correlationIdPath: 'requestContext.requestId' }))
  .handler(async (event) => {
    const removed = await disconnectDevice(deps, { connectionID: event.requestContext.connectionId });
    logger.info('device disconnected', { connectionID: event.requestContext.connectionId, userID: removed?.userID, deviceID: removed?.deviceID });
    return { statusCode: 200 };
  });
