import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import type { APIGatewayEventWebsocketRequestContextV2, APIGatewayProxyResultV2, APIGatewayProxyWebsocketEventV2WithRequestContext, Context } from 'aws-lambda';
import { createConnectionDependencies } from '#adapters/sync-dependencies.js';
import { type AuthorizedDevice, connectDevice } from '#domain/device-connections.js';
import { logger, tracer } from '#observability/powertools.js';

const deps = createConnectionDependencies();

/** `$connect` event: the authorizer's context (see ws-authorizer) arrives in requestContext.authorizer. */
export type ConnectEvent = APIGatewayProxyWebsocketEventV2WithRequestContext<
  APIGatewayEventWebsocketRequestContextV2 & { authorizer?: Partial<AuthorizedDevice> & { principalId?: string } }
>;

/** `$connect`: registers the device's connection; any error refuses the connection. */
export const handler = middy<ConnectEvent, APIGatewayProxyResultV2, Error, Context>()
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger, { correlationIdPath: 'requestContext.requestId' }))
  .handler(async (event) => {
    const connection = await connectDevice(deps, { connectionID: event.requestContext.connectionId, device: event.requestContext.authorizer });
    logger.info('device connected', { userID: connection.userID, deviceID: connection.deviceID, connectionID: connection.connectionID });
    return { statusCode: 200 };
  });
