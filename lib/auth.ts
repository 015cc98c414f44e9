/**
 * Who may call: by default a Cognito user pool, app client and admin group created here; or an existing
 * OIDC provider given by issuer and audience. Either way the result is one JWT issuer + audience that the
 * HTTP API's JWT authorizer checks, and the environment the WebSocket authorizer verifies tokens with.
 */
import { Duration, Fn, Lazy, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { AccountRecovery, Mfa, UserPool, type UserPoolClient, UserPoolGroup } from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import { ADMIN_GROUP } from '#contracts/auth.js';
import { ENV } from '#contracts/environment.js';
import type { AuthConfig } from './config.js';

export interface AuthProps {
  readonly config: AuthConfig;
  /** What a stack deletion does to the user pool (it holds the users). @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

export class Auth extends Construct {
  /** Verifies the bearer token of every HTTP route. */
  public readonly httpAuthorizer: HttpJwtAuthorizer;
  /** The JWT claim every function reads the user ID from. */
  public readonly userIdClaim: string;
  /** Who signs the tokens: the OIDC issuer URL (the Cognito pool's, or the one given). */
  public readonly issuer: string;
  /** Environment of the WebSocket authorizer: how to verify a token (Cognito pool + client, or issuer + audiences + JWKS URL). */
  public readonly verifierEnvironment: Record<string, string>;
  /** Only in Cognito mode. */
  public readonly userPool?: UserPool;
  public readonly userPoolClient?: UserPoolClient;
  /** Cognito mode: the app clients whose access tokens both APIs take (the apps' client first). */
  private readonly clientIds: string[] = [];

  public constructor(scope: Construct, id: string, props: AuthProps) {
    super(scope, id);
    const { config } = props;

    if (config.kind === 'oidc') {
      this.issuer = config.issuer;
      this.httpAuthorizer = new HttpJwtAuthorizer('JwtAuthorizer', config.issuer, { jwtAudience: config.audience });
      this.userIdClaim = config.userIdClaim;
      this.verifierEnvironment = {
        [ENV.jwtIssuer]: config.issuer,
        [ENV.jwtAudience]: config.audience.join(','),
        // Without it the authorizer reads the JWKS URL from the issuer's discovery document on its first token.
        ...(config.jwksUri ? { [ENV.jwtJwksUri]: config.jwksUri } : {}),
      };
      return;
    }

    const userPool = new UserPool(this, 'UserPool', {
      // Accounts are created by an administrator (docs/deploy.md): no open sign-up on a chat backend by default.
      selfSignUpEnabled: false,
      // The username is the chat userID (1-32 of A-Z a-z 0-9 _ -): it must not be an e-mail or phone alias.
      signInAliases: { username: true },
      signInCaseSensitive: true,
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      mfa: Mfa.OPTIONAL,
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: AccountRecovery.EMAIL_ONLY,
      deletionProtection: (props.removalPolicy ?? RemovalPolicy.RETAIN) === RemovalPolicy.RETAIN,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    Validations.of(userPool).acknowledge({
      id: 'AwsSolutions-COG2',
      reason:
        'MFA is OPTIONAL with TOTP so that operators can require it per user; REQUIRED would block the scripted first-admin and ' +
        'machine clients. Users enable TOTP with associate-software-token / set-user-mfa-preference.',
    });
    const planReason =
      'Threat protection (advanced security, ENFORCED) needs the Cognito Plus feature plan, billed per monthly active user; ' +
      'self sign-up is off and the API is throttled, so the stack stays on the default plan and leaves the upgrade to the operator.';
    Validations.of(userPool).acknowledge({ id: 'AwsSolutions-COG3', reason: planReason });
    Validations.of(userPool).acknowledge({ id: 'AwsSolutions-COG8', reason: planReason });

    const client = userPool.addClient('AppClient', {
      // A public client (mobile and browser apps cannot keep a secret).
      generateSecret: false,
      authFlows: {
        // Apps sign in with SRP (the password never leaves the device); operators with IAM credentials can use
        // ADMIN_USER_PASSWORD_AUTH from the CLI (docs/deploy.md). USER_PASSWORD_AUTH stays off.
        userSrp: true,
        adminUserPassword: true,
      },
      // No hosted UI or OAuth redirect flows: tokens come from the Cognito API.
      disableOAuth: true,
      preventUserExistenceErrors: true,
      accessTokenValidity: Duration.hours(1),
      idTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.days(30),
      enableTokenRevocation: true,
    });

    new UserPoolGroup(this, 'AdminGroup', {
      userPool,
      groupName: ADMIN_GROUP,
      description: 'Administrators of the conversation deletion service (admin routes)',
    });

    this.userPool = userPool;
    this.userPoolClient = client;
    this.issuer = `https://cognito-idp.${Stack.of(this).region}.${Stack.of(this).urlSuffix}/${userPool.userPoolId}`;
    // API Gateway checks `aud`, or `client_id` for Cognito access tokens (which carry no `aud`).
    // Both read the client list when the template is made, so a client allowed later (the console's) is in it.
    this.clientIds.push(client.userPoolClientId);
    this.httpAuthorizer = new HttpJwtAuthorizer('JwtAuthorizer', this.issuer, { jwtAudience: Lazy.list({ produce: () => this.clientIds }) });
    // A Cognito `sub` is a 36-character UUID, longer than a userID may be; access tokens carry `username`.
    this.userIdClaim = 'username';
    this.verifierEnvironment = {
      [ENV.cognitoUserPoolID]: userPool.userPoolId,
      [ENV.cognitoClientID]: Lazy.string({ produce: () => Fn.join(',', this.clientIds) }),
    };
  }

  /** Cognito mode: accept the access tokens of another app client of the pool (the console's) on both APIs. */
  public allowClient(client: UserPoolClient): void {
    if (!this.userPool) throw new Error('allowClient: only the stack\'s own Cognito user pool has app clients to allow');
    this.clientIds.push(client.userPoolClientId);
  }
}
