/**
 * CDK app entry (`cdk.json` runs it with tsx): one stack, configured from context, checked by cdk-nag's
 * AwsSolutions pack on every synth. docs/deploy.md lists the context options.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { configFromContext } from '#lib/config.js';
import { ServiceStack } from '#lib/service-stack.js';

const app = new App();
new ServiceStack(app, 'ConversationDeletionService', {
  description: 'Conversation deletion service: HTTP and WebSocket APIs, DynamoDB, EventBridge (issue 5)',
  config: configFromContext(app.node),
});
// Every finding must be fixed or acknowledged with a reason next to the resource (Validations.of(x).acknowledge).
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
