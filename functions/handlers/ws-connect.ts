import type { APIGatewayEventWebsocketRequestContextV2, APIGatewayProxyResultV2, APIGatewayProxyWebsocketEventV2WithRequestContext } from 'aws-lambda';
import { type AuthorizedDevice, connectDevice } from '#domain/device-connections.js';
import { websocketHandler } from '#middleware/websocket-handler.js';
import { logger } from '#observability/logger.js';
import { wsConnectFunction } from '#wiring/ws-connect.js';

const deps = wsConnectFunction.build();

/** `$connect` event: the authorizer's context (see ws-authorizer) arrives in requestContext.authorizer. */
export type ConnectEvent = APIGatewayProxyWebsocketEventV2WithRequestContext<
  APIGatewayEventWebsocketRequestContextV2 & { authorizer?: Partial<AuthorizedDevice> & { principalId?: string } }
>;

/** `$connect`: registers the device's connection; any error refuses the connection. */
export const handler = websocketHandler<ConnectEvent, APIGatewayProxyResultV2>(async (event) => {
  const connection = await connectDevice(deps, { connectionID: event.requestContext.connectionId, device: event.requestContext.authorizer });
  logger.info('device connected', { userID: connection.userID, deviceID: connection.deviceID, connectionID: connection.connectionID });
  return { statusCode: 200 };
});
