/**
 * Starts one DynamoDB Local for the whole test run and stops it afterwards, whatever happened; synthesizes the
 * stack once so that integration tests can check every AWS call against the functions' real IAM policies.
 */
import type { TestProject } from 'vitest/node';
import { startDynamoDbLocal } from '#local/dynamodb-local.js';
import { functionPolicies, synthesize } from './cdk.js';
import type { SynthesizedPolicies } from './iam.js';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamodbEndpoint: string;
    functionPolicies: SynthesizedPolicies;
  }
}

export default async function setup(project: TestProject) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const dynamo = await startDynamoDbLocal();
  project.provide('dynamodbEndpoint', dynamo.endpoint);
  try {
    project.provide('functionPolicies', functionPolicies(synthesize('Policies')));
  } catch (error) {
    await dynamo.stop();
    throw error;
  }
  return async () => {
    await dynamo.stop();
  };
}
