import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { authorizeDevice, ConnectionRefusedError } from '#domain/device-connections.js';
import { websocketHandler } from '#middleware/websocket-handler.js';
import { logger } from '#observability/logger.js';
import { wsAuthorizerFunction } from '#wiring/ws-authorizer.js';

const deps = wsAuthorizerFunction.build();

const policy = (principalId: string, effect: 'Allow' | 'Deny', resource: string) => ({
  principalId,
  policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: resource }] },
});

/**
 * Lambda REQUEST authorizer of the WebSocket `$connect` route: `?token=<JWT>&deviceID=<id>`.
 * Allows with the context {userID, deviceID} that `$connect` registers; denies a bad token or device ID
 * (API Gateway then answers 403). A verifier that cannot tell (JWKS unreachable) throws: a 500, not a refusal.
 */
export const handler = websocketHandler<APIGatewayRequestAuthorizerEvent, APIGatewayAuthorizerResult>(async (event) => {
  const query = event.queryStringParameters ?? {};
  try {
    const device = await authorizeDevice(deps, { token: query.token, deviceID: query.deviceID });
    return { ...policy(device.userID, 'Allow', event.methodArn), context: device };
  } catch (error) {
    if (!(error instanceof ConnectionRefusedError)) throw error;
    logger.info('connection refused', { reason: error.reason });
    return policy('refused', 'Deny', event.methodArn);
  }
});
