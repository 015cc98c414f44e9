/**
 * Token verification for the WebSocket `$connect` authorizer, behind the TokenVerifier port:
 * a Cognito user pool or any OIDC issuer in the cloud (AWS's aws-jwt-verify, which fetches and caches the
 * JWKS), and the local runner's HS256 key in `npm start` (jose). The environment says which.
 */
import { CognitoJwtVerifier, JwtVerifier } from 'aws-jwt-verify';
import {
  FetchError,
  JwkValidationError,
  JwksValidationError,
  JwtBaseError,
  JwtInvalidAudienceError,
  NotSupportedError,
} from 'aws-jwt-verify/error';
import { type Fetcher, SimpleFetcher } from 'aws-jwt-verify/https';
import { SimpleJwksCache } from 'aws-jwt-verify/jwk';
import type { JwtPayload } from 'aws-jwt-verify/jwt-model';
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

/** What AwsJwtTokenVerifier wraps: one of aws-jwt-verify's verifiers, or OidcJwtVerifier below. */
type JwtVerify = { verify: (token: string) => Promise<object> };

/** Anything aws-jwt-verify can verify with: a Cognito user pool or an OIDC issuer. */
export class AwsJwtTokenVerifier implements TokenVerifier {
  public constructor(private readonly verifier: JwtVerify) {}

  public async verify(token: string): Promise<Record<string, unknown>> {
    try {
      return (await this.verifier.verify(token)) as Record<string, unknown>;
    } catch (error) {
      // The JWKS could not be fetched or is broken: that says nothing about the token, so it is no refusal.
      // (A failed OIDC discovery is an OidcDiscoveryError, no JwtBaseError, and is rethrown as it is.)
      const cannotTell = error instanceof FetchError || error instanceof JwksValidationError || error instanceof JwkValidationError || error instanceof NotSupportedError;
      if (error instanceof JwtBaseError && !cannotTell) throw new TokenRejectedError(`${error.name}: ${error.message}`, { cause: error });
      throw error;
    }
  }
}

/** The issuer's discovery document could not be read or does not fit the issuer: the authorizer answers 500, not 403. */
export class OidcDiscoveryError extends Error {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'OidcDiscoveryError';
  }
}

/** Where an issuer publishes its metadata (OpenID Connect Discovery 1.0, section 4: no doubled slash). */
export const discoveryUrl = (issuer: string): string => `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;

const readJson = async (fetcher: Fetcher, url: string): Promise<unknown> => JSON.parse(new TextDecoder().decode(await fetcher.fetch(url)));

/** The `jwks_uri` of the issuer's discovery document, after checking the document is the issuer's own. */
export const discoverJwksUri = async (issuer: string, fetcher: Fetcher): Promise<string> => {
  const url = discoveryUrl(issuer);
  let document: unknown;
  try {
    document = await readJson(fetcher, url);
  } catch (error) {
    throw new OidcDiscoveryError(`cannot read the discovery document ${url}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  const metadata = typeof document === 'object' && document !== null ? (document as Record<string, unknown>) : {};
  // Discovery section 4.3: a document naming another issuer must not be used (it may be someone else's keys).
  if (metadata.issuer !== issuer) throw new OidcDiscoveryError(`${url} names the issuer ${JSON.stringify(metadata.issuer)}, not ${issuer}`);
  if (typeof metadata.jwks_uri !== 'string' || metadata.jwks_uri === '') throw new OidcDiscoveryError(`${url} has no jwks_uri`);
  return metadata.jwks_uri;
};

/**
 * Accepts a token whose `aud` names one of the audiences or, when it has no `aud` (a Cognito access token),
 * whose `client_id` does: the rule API Gateway's JWT authorizer applies on the HTTP routes.
 */
export const checkAudience =
  (audiences: readonly string[]) =>
  ({ payload }: { payload: JwtPayload }): void => {
    const claim = payload.aud !== undefined ? 'aud' : 'client_id';
    const value = payload[claim];
    if ([value].flat().some((v) => typeof v === 'string' && audiences.includes(v))) return;
    throw new JwtInvalidAudienceError(`${claim} ${JSON.stringify(value)} is none of the audiences`, value, audiences);
  };

export interface OidcVerifierOptions {
  readonly issuer: string;
  /** A token must name one of them (`aud`, or `client_id` when it has no `aud`). */
  readonly audiences: readonly string[];
  /** The issuer's JWKS URL. @default the `jwks_uri` of the issuer's discovery document */
  readonly jwksUri?: string;
  /** Fetches the discovery document and the JWKS. @default aws-jwt-verify's SimpleFetcher (HTTPS only, the system's CAs) */
  readonly fetcher?: Fetcher;
}

/**
 * An OIDC issuer's tokens. aws-jwt-verify alone would look for the keys at `<issuer>/.well-known/jwks.json`,
 * which Keycloak and Entra ID do not serve; this finds the real JWKS URL on the first verify (so a cold start
 * makes no request before a token arrives) and keeps it for the life of the execution environment.
 */
export class OidcJwtVerifier implements JwtVerify {
  private readonly fetcher: Fetcher;
  private verifier?: Promise<JwtVerify>;

  public constructor(private readonly options: OidcVerifierOptions) {
    this.fetcher = options.fetcher ?? new SimpleFetcher();
  }

  public async verify(token: string): Promise<object> {
    return (await this.jwtVerifier()).verify(token);
  }

  /** Shared by concurrent first calls; forgotten when it fails, so the next token tries discovery again. */
  private jwtVerifier(): Promise<JwtVerify> {
    this.verifier ??= this.createJwtVerifier().catch((error: unknown) => {
      this.verifier = undefined;
      throw error;
    });
    return this.verifier;
  }

  private async createJwtVerifier(): Promise<JwtVerify> {
    const { issuer, audiences } = this.options;
    const jwksUri = this.options.jwksUri ?? (await discoverJwksUri(issuer, this.fetcher));
    return JwtVerifier.create(
      // `audience: null` hands the audience check to checkAudience, which also knows Cognito's `client_id`.
      { issuer, jwksUri, audience: null, customJwtCheck: checkAudience(audiences) },
      { jwksCache: new SimpleJwksCache({ fetcher: this.fetcher }) },
    );
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

/** `JWT_AUDIENCE` and `COGNITO_CLIENT_ID` are comma-separated lists (the stack joins them with commas). */
const audienceList = (value: string | undefined): string[] => (value ?? '').split(',').map((a) => a.trim()).filter(Boolean);

/**
 * Cognito when its pool and client are set, else an OIDC issuer and audiences, else the local key.
 * `fetcher` reaches the issuer's keys (and OIDC discovery); only tests give another one (one that trusts their own
 * certificate, or serves their keys in place of Cognito's).
 */
export const createTokenVerifier = (env: NodeJS.ProcessEnv = process.env, options: { fetcher?: Fetcher } = {}): TokenVerifier => {
  const userPoolId = env[ENV.cognitoUserPoolID];
  // Comma-separated: the apps' client and the console's (lib/auth.ts), as the HTTP API's authorizer takes them.
  const clientIds = audienceList(env[ENV.cognitoClientID]);
  if (userPoolId && clientIds.length > 0) {
    // Access tokens, as the HTTP API's JWT authorizer takes: they carry `username`, the user ID claim the stack sets.
    const verifier = options.fetcher
      ? CognitoJwtVerifier.create({ userPoolId, clientId: clientIds, tokenUse: 'access' }, { jwksCache: new SimpleJwksCache({ fetcher: options.fetcher }) })
      : CognitoJwtVerifier.create({ userPoolId, clientId: clientIds, tokenUse: 'access' });
    return new AwsJwtTokenVerifier(verifier);
  }
  const issuer = env[ENV.jwtIssuer];
  const audiences = audienceList(env[ENV.jwtAudience]);
  if (issuer && audiences.length > 0) {
    const jwksUri = env[ENV.jwtJwksUri] || undefined;
    return new AwsJwtTokenVerifier(new OidcJwtVerifier({ issuer, audiences, ...(jwksUri ? { jwksUri } : {}), ...(options.fetcher ? { fetcher: options.fetcher } : {}) }));
  }
  const localKey = env[ENV.localJwtKey];
  if (localKey) return new LocalTokenVerifier(localKey);
  throw new TokenVerifierConfigError();
};

/** Verifies WebSocket tokens; fetches the issuer's keys (and discovery document) over HTTPS, no AWS call. */
export const tokenVerifier = defineValue<TokenVerifier>({
  env: [ENV.cognitoUserPoolID, ENV.cognitoClientID, ENV.jwtIssuer, ENV.jwtAudience, ENV.jwtJwksUri, ENV.localJwtKey],
  build: () => createTokenVerifier(),
});
