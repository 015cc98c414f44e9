/**
 * The web console in the cloud: the page's files (console/, built at synth) in a private S3 bucket, served by
 * CloudFront over HTTPS only through origin access control, with security headers; the HTTP API behind the same
 * distribution under /v1/* (same origin: no CORS to configure, the bearer token forwarded, nothing cached); and a
 * hosted-UI domain of the Cognito user pool with an app client of the console's own for the authorization-code flow
 * with PKCE. The page reads its URLs and sign-in settings from /console/config.json, written at deploy.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CfnOutput, DefaultStackSynthesizer, Duration, Fn, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import {
  AllowedMethods,
  CachePolicy,
  Distribution,
  HeadersFrameOption,
  HeadersReferrerPolicy,
  HttpVersion,
  OriginRequestPolicy,
  PriceClass,
  ResponseHeadersPolicy,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { HttpOrigin, S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { type CfnUserPoolClient, OAuthScope, type UserPool, type UserPoolClient, UserPoolClientIdentityProvider, type UserPoolDomain } from 'aws-cdk-lib/aws-cognito';
import { BlockPublicAccess, Bucket, BucketEncryption, type CfnBucket, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { BucketDeployment, CacheControl, Source } from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { writeConsole } from '../console/build.js';

export interface ConsoleHostingProps {
  /** The HTTP API's endpoint, `https://{api-id}.execute-api.{region}.amazonaws.com` (HttpApi.apiEndpoint). */
  readonly httpApiEndpoint: string;
  /** The WebSocket stage's URL, `wss://…/{stage}`. */
  readonly webSocketUrl: string;
  /** The pool users sign in to through its hosted UI. */
  readonly userPool: UserPool;
  /** The pool's OIDC issuer URL (Auth.issuer): the page's sign-in authority. */
  readonly issuer: string;
  /**
   * The hosted UI's domain prefix, `https://{prefix}.auth.{region}.amazoncognito.com`: unique in the region across
   * all accounts. @default "console-", the account ID and a hash of the stack's name and this construct's path
   */
  readonly domainPrefix?: string;
  /** What a stack deletion does to the page's bucket (it holds only the built page). @default RemovalPolicy.DESTROY */
  readonly removalPolicy?: RemovalPolicy;
}

export class ConsoleHosting extends Construct {
  public readonly bucket: Bucket;
  public readonly distribution: Distribution;
  /** `https://{distribution}.cloudfront.net` */
  public readonly url: string;
  /** The console's own app client (code flow with PKCE, no secret) and the hosted UI's domain. */
  public readonly client: UserPoolClient;
  public readonly domain: UserPoolDomain;

  public constructor(scope: Construct, id: string, props: ConsoleHostingProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.DESTROY;

    this.bucket = new Bucket(this, 'Site', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      removalPolicy,
      autoDeleteObjects: removalPolicy === RemovalPolicy.DESTROY,
    });
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'The bucket holds only the built console page, written by the deployment; reads go through CloudFront, whose requests are the audit trail that matters.',
    });

    const apiDomain = Fn.select(2, Fn.split('/', props.httpApiEndpoint));
    const webSocketOrigin = Fn.join('', ['wss://', Fn.select(2, Fn.split('/', props.webSocketUrl))]);
    // The page reads the issuer's discovery document and keys (oidc-client-ts) and trades the code at the hosted UI.
    const issuerOrigin = Fn.join('', ['https://', Fn.select(2, Fn.split('/', props.issuer))]);
    // The account makes it unique across accounts, the hash across stacks of one account (resolved at deploy).
    const domainPrefix = props.domainPrefix ?? `console-${stack.account}-${createHash('sha256').update(`${stack.stackName}/${this.node.path}`).digest('hex').slice(0, 8)}`;
    const hostedUi = `https://${domainPrefix}.auth.${stack.region}.amazoncognito.com`;

    const headers = new ResponseHeadersPolicy(this, 'SecurityHeaders', {
      comment: 'Conversation deletion console: the page may load only its own files and talk only to its APIs and sign-in',
      securityHeadersBehavior: {
        contentSecurityPolicy: {
          contentSecurityPolicy: Fn.join('', [
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self' ",
            hostedUi,
            "; connect-src 'self' ",
            webSocketOrigin,
            ' ',
            issuerOrigin,
            ' ',
            hostedUi,
          ]),
          override: true,
        },
        strictTransportSecurity: { accessControlMaxAge: Duration.days(365), includeSubdomains: true, preload: false, override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: HeadersReferrerPolicy.NO_REFERRER, override: true },
      },
    });

    this.distribution = new Distribution(this, 'Cdn', {
      comment: 'Conversation deletion console',
      defaultRootObject: 'index.html',
      httpVersion: HttpVersion.HTTP2_AND_3,
      priceClass: PriceClass.PRICE_CLASS_100,
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        responseHeadersPolicy: headers,
        cachePolicy: CachePolicy.CACHING_OPTIMIZED,
      },
      additionalBehaviors: {
        // The API on the page's own origin: nothing cached, every header but Host forwarded (the bearer token too).
        '/v1/*': {
          origin: new HttpOrigin(apiDomain),
          viewerProtocolPolicy: ViewerProtocolPolicy.HTTPS_ONLY,
          allowedMethods: AllowedMethods.ALLOW_ALL,
          cachePolicy: CachePolicy.CACHING_DISABLED,
          originRequestPolicy: OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
        },
      },
    });
    const reasons: Record<string, string> = {
      'AwsSolutions-CFR1': 'The console is for the operator\'s administrators wherever they are; sign-in and the API\'s authorizer decide who gets in.',
      'AwsSolutions-CFR2': 'A WAF web ACL is billed per month and per request; the API behind /v1/* has its own stage throttle and per-user rate limit. Attach one with webAclId where policy requires it.',
      'AwsSolutions-CFR3': 'Standard access logs need a log bucket with ACLs enabled; the API\'s own access logs record every call made through /v1/*.',
      'AwsSolutions-CFR4':
        "The default *.cloudfront.net certificate's security policy is CloudFront's own and cannot be set; give the distribution a custom domain and certificate to set minimumProtocolVersion TLSv1.2_2021.",
    };
    for (const [nagId, reason] of Object.entries(reasons)) Validations.of(this.distribution).acknowledge({ id: nagId, reason });
    this.url = `https://${this.distribution.distributionDomainName}`;

    this.domain = props.userPool.addDomain('ConsoleDomain', { cognitoDomain: { domainPrefix } });
    this.client = props.userPool.addClient('ConsoleClient', {
      // A browser cannot keep a secret: a public client, the code flow with PKCE (oidc-client-ts sends the challenge).
      generateSecret: false,
      authFlows: {},
      oAuth: {
        flows: { authorizationCodeGrant: true },
        scopes: [OAuthScope.OPENID, OAuthScope.PROFILE],
        callbackUrls: [`${this.url}/`],
        logoutUrls: [`${this.url}/`],
      },
      supportedIdentityProviders: [UserPoolClientIdentityProvider.COGNITO],
      preventUserExistenceErrors: true,
      accessTokenValidity: Duration.hours(1),
      idTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.hours(12),
      enableTokenRevocation: true,
    });
    // With no flow named, Cognito would also allow SRP and custom sign-in on this client (its default): the
    // console signs in only through the hosted UI and refreshes its tokens.
    (this.client.node.defaultChild as CfnUserPoolClient).explicitAuthFlows = ['ALLOW_REFRESH_TOKEN_AUTH'];

    // The page's files, built from console/src now (synth), and its configuration with this deployment's values.
    const site = writeConsole(mkdtempSync(join(tmpdir(), 'console-site-')));
    const deployment = new BucketDeployment(this, 'Deploy', {
      destinationBucket: this.bucket,
      sources: [
        Source.asset(site),
        Source.jsonData('console/config.json', {
          mode: 'cloud',
          // Same origin: the API is behind this distribution's /v1/*.
          apiUrl: this.url,
          websocketUrl: props.webSocketUrl,
          auth: { authority: props.issuer, clientId: this.client.userPoolClientId, hostedUi },
        }),
      ],
      distribution: this.distribution,
      distributionPaths: ['/index.html', '/console/*'],
      // Browsers revalidate every file (the page is small), and files of an earlier build stay: a page opened before
      // a deployment still finds the chunk it imports on demand (chunk names change with their content).
      cacheControl: [CacheControl.noCache()],
      prune: false,
      memoryLimit: 256,
    });

    // CDK's own deployment function (one per stack and memory size, at the stack's root): copies the page from the
    // asset bucket into the site bucket once per deployment, then invalidates the distribution.
    const handler = stack.node.children.find((c) => c.node.id.startsWith('Custom::CDKBucketDeployment'));
    const managedPolicy = "CDK's BucketDeployment function runs with AWSLambdaBasicExecutionRole (its own logs only); CDK gives it no other way.";
    const wildcards =
      "CDK's BucketDeployment grants s3:GetObject*/List*/GetBucket* on the CDK asset bucket's objects, s3:*Object*/List*/Abort* on this site bucket's " +
      'objects, and CloudFront invalidation on * (those actions take no resource ARN): the least it copies and invalidates with.';
    const siteBucket = stack.getLogicalId(this.bucket.node.defaultChild as CfnBucket);
    const assetBucket = `cdk-${DefaultStackSynthesizer.DEFAULT_QUALIFIER}-assets-<AWS::AccountId>-<AWS::Region>`;
    const deploymentFindings: [string, string][] = [
      ['AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]', managedPolicy],
      ...['s3:GetBucket*', 's3:GetObject*', 's3:List*', 's3:Abort*', 's3:DeleteObject*'].map((a): [string, string] => [`AwsSolutions-IAM5[Action::${a}]`, wildcards]),
      ...[`arn:<AWS::Partition>:s3:::${assetBucket}/*`, `<${siteBucket}.Arn>/*`, '*'].map((r): [string, string] => [`AwsSolutions-IAM5[Resource::${r}]`, wildcards]),
      ['AwsSolutions-L1', "CDK's BucketDeployment function's runtime is chosen by aws-cdk-lib (upgrading aws-cdk-lib moves it); it runs only during deployments."],
    ];
    for (const target of [handler, deployment.handlerRole].filter((c): c is Construct => c !== undefined)) {
      for (const [nagId, reason] of deploymentFindings) Validations.of(target).acknowledge({ id: nagId, reason });
    }

    new CfnOutput(this, 'ConsoleUrl', { value: this.url, description: 'The web console (sign in with a user pool user; admins are in the admins group)' });
  }
}
