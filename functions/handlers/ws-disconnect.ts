import type { APIGatewayProxyResultV2, APIGatewayProxyWebsocketEventV2 } from 'aws-lambda';
import { disconnectDevice } from '#domain/device-connections.js';
import { websocketHandler } from '#middleware/websocket-handler.js';
import { logger } from '#observability/logger.js';
import { wsDisconnectFunction } from '#wiring/ws-disconnect.js';

const deps = wsDisconnectFunction.build();

/** `$disconnect`: removes the connection from the registry (best effort by API Gateway; TTL covers a lost one). */
export const handler = websocketHandler<APIGatewayProxyWebsocketEventV2, APIGatewayProxyResultV2>(async (event) => {
  const removed = await disconnectDevice(deps, { connectionID: event.requestContext.connectionId });
  logger.info('device disconnected', { connectionID: event.requestContext.connectionId, userID: removed?.userID, deviceID: removed?.deviceID });
  return { statusCode: 200 };
});
