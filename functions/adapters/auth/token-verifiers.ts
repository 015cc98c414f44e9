/**
 * Token verification for the WebSocket `$connect` authorizer, behind the TokenVerifier port:
 * a Cognito user pool or any OIDC issuer in the cloud (AWS's aws-jwt-verify, which fetches and caches the
 * JWKS), and the local runner's HS256 key in `npm start` (jose). The environment says which.
 */
import { CognitoJwtVerifier, JwtVerifier } from 'aws-jwt-verify';
import { FetchError, JwkValidationError, JwksValidationError, JwtBaseError, NotSupportedError } from 'aws-jwt-verify/error';
import { errors as joseErrors, jwtVerify } from 'jose';
import { ENV } from '#contracts/environment.js';
import { TokenRejectedError, type TokenVerifier } from '#domain/ports/devices.js';
import { defineValue } from '#wiring/define.js';

/** Issuer and audience of the local runner's tokens (local/local-auth.ts signs with them). */
export const LOCAL_TOKEN_ISSUER = 'conversation-deletion-local';
export const LOCAL_TOKEN_AUDIENCE = 'conversation-deletion-local';

/** The local runner's HS256 tokens; never configured in the cloud. */
export class LocalTokenVerifier implements TokenVerifier {
  private readonly key: Uint8Array;

  public constructor(keyBase64: string) {
    this.key = Buffer.from(keyBase64, 'base64');
  }

  public async verify(token: string): Promise<Record<string, unknown>> {
    try {
      const { payload } = await jwtVerify(token, this.key, { issuer: LOCAL_TOKEN_ISSUER, audience: LOCAL_TOKEN_AUDIENCE, algorithms: ['HS256'] });
      return payload as Record<string, unknown>;
    } catch (error) {
      if (error instanceof joseErrors.JOSEError) throw new TokenRejectedError(`${error.code}: ${error.message}`, { cause: error });
      throw error;
    }
  }
}

/** Anything aws-jwt-verify can verify with: a Cognito user pool or an OIDC issuer. */
export class AwsJwtTokenVerifier implements TokenVerifier {
  public constructor(private readonly verifier: { verify: (token: string) => Promise<object> }) {}

  public async verify(token: string): Promise<Record<string, unknown>> {
    try {
      return (await this.verifier.verify(token)) as Record<string, unknown>;
    } catch (error) {
      // The JWKS could not be fetched or is broken: that says nothing about the token, so it is no refusal.
      const cannotTell = error instanceof FetchError || error instanceof JwksValidationError || error instanceof JwkValidationError || error instanceof NotSupportedError;
      if (error instanceof JwtBaseError && !cannotTell) throw new TokenRejectedError(`${error.name}: ${error.message}`, { cause: error });
      throw error;
    }
  }
}

export class TokenVerifierConfigError extends Error {
  public constructor() {
    super(
      `no token verifier configured: set ${ENV.cognitoUserPoolID} and ${ENV.cognitoClientID} (Cognito), or ${ENV.jwtIssuer} and ${ENV.jwtAudience} (OIDC), or ${ENV.localJwtKey} (local runner only)`,
    );
    this.name = 'TokenVerifierConfigError';
  }
}

/** Cognito when its pool and client are set, else an OIDC issuer and audience, else the local key. */
export const createTokenVerifier = (env: NodeJS.ProcessEnv = process.env): TokenVerifier => {
  const userPoolId = env[ENV.cognitoUserPoolID];
  const clientId = env[ENV.cognitoClientID];
  if (userPoolId && clientId) {
    // Access tokens, as the HTTP API's JWT authorizer takes: they carry `username`, the user ID claim the stack sets.
    return new AwsJwtTokenVerifier(CognitoJwtVerifier.create({ userPoolId, clientId, tokenUse: 'access' }));
  }
  const issuer = env[ENV.jwtIssuer];
  const audience = env[ENV.jwtAudience];
  if (issuer && audience) return new AwsJwtTokenVerifier(JwtVerifier.create({ issuer, audience }));
  const localKey = env[ENV.localJwtKey];
  if (localKey) return new LocalTokenVerifier(localKey);
  throw new TokenVerifierConfigError();
};

/** Verifies WebSocket tokens; fetches the issuer's keys over HTTPS, no AWS call. */
export const tokenVerifier = defineValue<TokenVerifier>({
  env: [ENV.cognitoUserPoolID, ENV.cognitoClientID, ENV.jwtIssuer, ENV.jwtAudience, ENV.jwtJwksUri, ENV.localJwtKey],
  build: () => createTokenVerifier(),
});
