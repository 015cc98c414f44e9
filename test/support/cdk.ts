/**
 * One synthesis of the service stack for a test file, with the feature flags `cdk synth` uses (from cdk.json),
 * bundling skipped (the assertions do not need the code) and CloudFormation's schema check off (~12 s; `npm run
 * synth` runs it). Context values are strings, exactly as `cdk deploy -c key=value` passes them.
 */
import { readFileSync } from 'node:fs';
import { App, type CfnResource, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { configFromContext } from '#lib/config.js';
import { ServiceStack } from '#lib/service-stack.js';
import type { SynthesizedPolicies } from './iam.js';

export type Resource = { Type: string; Properties: Record<string, any>; DeletionPolicy?: string; UpdateReplacePolicy?: string };

const CDK_CONTEXT = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')).context as Record<string, unknown>;

export const synthesize = (id: string, context: Record<string, string> = {}) => {
  const app = new App({ context: { ...CDK_CONTEXT, 'aws:cdk:bundling-stacks': [], ...context }, builtinCloudFormationValidation: false });
  const stack = new ServiceStack(app, id, { config: configFromContext(app.node) });
  const template = Template.fromStack(stack);
  const resources = template.toJSON().Resources as Record<string, Resource>;
  return {
    stack,
    template,
    resources,
    /** Every resource of a CloudFormation type, as [logicalId, resource]. */
    ofType: (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type),
    /** The logical ID of a construct's CloudFormation resource. */
    idOf: (construct: { node: { defaultChild?: unknown } }) => Stack.of(stack).getLogicalId(construct.node.defaultChild as CfnResource),
  };
};

export type Synthesized = ReturnType<typeof synthesize>;

/** Each function's IAM statements as synthesized, with the logical IDs their ARNs refer to (see iam.ts). */
export const functionPolicies = (synth: Synthesized): SynthesizedPolicies => {
  const { stack, idOf, ofType } = synth;
  const functions: SynthesizedPolicies['functions'] = {};
  for (const [name, fn] of stack.functions) {
    const roleId = idOf(fn.role);
    functions[name] = ofType('AWS::IAM::Policy')
      .filter(([, p]) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === roleId))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as { Effect: string; Action: string | string[]; Resource: unknown }[])
      .filter((s) => s.Effect === 'Allow')
      .map((s) => ({ actions: [s.Action].flat(), resources: [s.Resource].flat() }));
  }
  return {
    functions,
    logicalIds: {
      table: idOf(stack.data.table),
      idempotencyTable: idOf(stack.data.idempotencyTable),
      bus: idOf(stack.events.bus),
      webSocketApi: idOf(stack.webSocketApi.api),
    },
  };
};
