/** The execution environment's EventBridge client, built on first use. */
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { ENV } from '#contracts/environment.js';
import { tracer } from '#observability/tracer.js';
import { SDK_RETRY, sdkRetryOptions } from '../retry-policy.js';

let shared: EventBridgeClient | undefined;

export const eventBridgeClient = (): EventBridgeClient => {
  const endpoint = process.env[ENV.eventbridgeEndpoint];
  return (shared ??= tracer.captureAWSv3Client(
    new EventBridgeClient({
      ...(endpoint ? { endpoint } : {}),
      region: process.env[ENV.awsRegion] ?? 'us-east-1',
      // PutEvents failed as a whole; its failed entries are the publisher's to re-send.
      ...sdkRetryOptions(SDK_RETRY.eventbridge),
    }),
  ));
};
