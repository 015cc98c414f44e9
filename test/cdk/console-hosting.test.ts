/**
 * The console's cloud hosting (lib/console-hosting.ts) on the service stack: a private bucket read only by CloudFront
 * through origin access control, HTTPS only, security headers, the API on the same origin under /v1/*, a Cognito
 * client for the code flow with PKCE and its hosted-UI domain, the page's config, and no unacknowledged cdk-nag
 * finding. One synthesis, bundling skipped.
 */
import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { CfnUserPoolClient } from 'aws-cdk-lib/aws-cognito';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ConsoleHosting } from '#lib/console-hosting.js';
import { configFromContext } from '#lib/config.js';
import { ServiceStack } from '#lib/service-stack.js';

const CDK_CONTEXT = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')).context as Record<string, unknown>;

let stack: ServiceStack;
let hosting: ConsoleHosting;
let template: Template;

beforeAll(() => {
  const app = new App({ context: { ...CDK_CONTEXT, 'aws:cdk:bundling-stacks': [], consoleDomainPrefix: 'chat-console-test' }, builtinCloudFormationValidation: false });
  stack = new ServiceStack(app, 'ConsoleHosting', { config: configFromContext(app.node) });
  hosting = stack.console!;
  template = Template.fromStack(stack);
});

describe('console hosting', () => {
  it('keeps the bucket private: public access blocked, TLS enforced, readable only by this distribution', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
    });
    template.resourceCountIs('AWS::CloudFront::OriginAccessControl', 1);
    template.hasResourceProperties('AWS::CloudFront::OriginAccessControl', { OriginAccessControlConfig: { OriginAccessControlOriginType: 's3', SigningBehavior: 'always', SigningProtocol: 'sigv4' } });
    const policy = JSON.stringify(template.findResources('AWS::S3::BucketPolicy'));
    expect(policy).toContain('"aws:SecureTransport":"false"');
    expect(policy).toContain('cloudfront.amazonaws.com');
    expect(policy).toContain('AWS:SourceArn');
  });

  it('serves HTTPS only, with security headers, and the API under /v1/* uncached on the same origin', () => {
    template.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        DefaultRootObject: 'index.html',
        DefaultCacheBehavior: Match.objectLike({ ViewerProtocolPolicy: 'redirect-to-https' }),
        CacheBehaviors: [Match.objectLike({ PathPattern: '/v1/*', ViewerProtocolPolicy: 'https-only', AllowedMethods: Match.arrayWith(['PUT', 'POST', 'DELETE']) })],
      }),
    });
    const headers = Object.values(template.findResources('AWS::CloudFront::ResponseHeadersPolicy'))[0]!.Properties.ResponseHeadersPolicyConfig.SecurityHeadersConfig;
    expect(headers.StrictTransportSecurity).toMatchObject({ AccessControlMaxAgeSec: 31536000, IncludeSubdomains: true, Override: true });
    expect(headers.ContentTypeOptions).toEqual({ Override: true });
    expect(headers.FrameOptions).toEqual({ FrameOption: 'DENY', Override: true });
    expect(headers.ReferrerPolicy).toEqual({ ReferrerPolicy: 'no-referrer', Override: true });
    const csp = JSON.stringify(headers.ContentSecurityPolicy.ContentSecurityPolicy);
    expect(csp).toContain("default-src 'self'; script-src 'self'");
    expect(csp).toContain("connect-src 'self' ");
    expect(csp).toContain('https://chat-console-test.auth.');
    // The issuer's origin (discovery document and keys), taken from the one issuer URL the authorizers check.
    expect(csp).toContain('https://cognito-idp.');
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
  });

  it('signs in through the hosted UI with the code flow and PKCE: a public client of its own, callback to the console', () => {
    template.hasResourceProperties('AWS::Cognito::UserPoolDomain', { Domain: 'chat-console-test' });
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      GenerateSecret: false,
      AllowedOAuthFlows: ['code'],
      AllowedOAuthFlowsUserPoolClient: true,
      AllowedOAuthScopes: Match.arrayWith(['openid']),
      SupportedIdentityProviders: ['COGNITO'],
      CallbackURLs: [Match.objectLike({ 'Fn::Join': Match.anyValue() })],
    });
    // Only the hosted UI signs in with this client (no SRP or custom auth, which Cognito allows when none is named).
    expect(template.toJSON().Resources[stack.getLogicalId(hosting.client.node.defaultChild as CfnUserPoolClient)].Properties.ExplicitAuthFlows).toEqual(['ALLOW_REFRESH_TOKEN_AUTH']);
    // The implicit flow (tokens in the URL) is never allowed.
    for (const client of Object.values(template.findResources('AWS::Cognito::UserPoolClient'))) expect(client.Properties.AllowedOAuthFlows ?? []).not.toContain('implicit');
    expect(hosting.client).toBeDefined();
    expect(stack.resolve(hosting.client.userPoolClientId)).toEqual({ Ref: stack.getLogicalId(hosting.client.node.defaultChild as CfnUserPoolClient) });
  });

  it('deploys the page built from console/src and its config with this deployment\'s URLs', () => {
    template.resourceCountIs('Custom::CDKBucketDeployment', 1);
    const deployment = JSON.stringify(Object.values(template.findResources('Custom::CDKBucketDeployment'))[0]);
    expect(deployment).toContain('DistributionPaths');
    // Revalidated by browsers, and an earlier build's chunks kept for pages opened before the deployment.
    expect(JSON.parse(deployment).Properties).toMatchObject({ Prune: false, SystemMetadata: { 'cache-control': 'no-cache' } });
    // config.json's values are filled in at deploy: this distribution's domain, the WebSocket API, the console's client.
    const markers = JSON.stringify(JSON.parse(deployment).Properties.SourceMarkers);
    expect(markers).toContain(stack.resolve(hosting.distribution.distributionDomainName)['Fn::GetAtt'][0]);
    expect(markers).toContain(stack.resolve(hosting.client.userPoolClientId).Ref);
    expect(markers).toContain(stack.resolve(stack.webSocketApi.api.apiId).Ref);
  });

  it('has no cdk-nag finding that is not fixed or acknowledged with a reason', () => {
    const { success, violations } = new AwsSolutionsChecks().validateScope(stack);
    expect(violations.map((v) => JSON.stringify(v).slice(0, 300))).toEqual([]);
    expect(success).toBe(true);
  });
});
