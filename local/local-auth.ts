/**
 * Local stand-in for the API's JWT authorizer: HS256 tokens signed with a local key, carrying the same claims
 * (`sub`, `cognito:groups`) the cloud authorizer hands to the handlers. Never used in the cloud.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { SignJWT, errors } from 'jose';
import { LOCAL_TOKEN_AUDIENCE, LOCAL_TOKEN_ISSUER, LocalTokenVerifier } from '#adapters/auth/token-verifiers.js';
import { ADMIN_GROUP, GROUPS_CLAIM } from '#contracts/auth.js';
import { TokenRejectedError } from '#domain/ports/devices.js';

const TOKEN_LIFETIME = '24h';

export class LocalAuth {
  /** The same verifier the WebSocket authorizer uses locally: one check of issuer, audience and signature. */
  private readonly verifier: LocalTokenVerifier;

  private constructor(private readonly key: Uint8Array) {
    this.verifier = new LocalTokenVerifier(this.keyBase64());
  }

  /** A key kept in `keyFile` (so tokens survive restarts), or a fresh one for an in-memory run. */
  public static create(keyFile?: string): LocalAuth {
    if (!keyFile) return new LocalAuth(randomBytes(32));
    if (!existsSync(keyFile)) {
      mkdirSync(dirname(keyFile), { recursive: true });
      writeFileSync(keyFile, randomBytes(32).toString('base64'), { mode: 0o600 });
    }
    return new LocalAuth(Buffer.from(readFileSync(keyFile, 'utf8'), 'base64'));
  }

  /** The signing key, base64: the stack hands it to the WebSocket authorizer as LOCAL_JWT_KEY. */
  public keyBase64(): string {
    return Buffer.from(this.key).toString('base64');
  }

  public issue(userID: string, admin: boolean, lifetime: string | number = TOKEN_LIFETIME): Promise<string> {
    return new SignJWT({ [GROUPS_CLAIM]: admin ? [ADMIN_GROUP] : [] })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(userID)
      .setIssuer(LOCAL_TOKEN_ISSUER)
      .setAudience(LOCAL_TOKEN_AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(lifetime)
      .sign(this.key);
  }

  /** The verified claims, or a sentence saying why the token is refused. */
  public async verify(token: string): Promise<{ claims: Record<string, unknown> } | { refused: string }> {
    try {
      return { claims: await this.verifier.verify(token) };
    } catch (error) {
      if (!(error instanceof TokenRejectedError)) throw error;
      if (error.cause instanceof errors.JWTExpired) return { refused: 'the token has expired: get a new one from POST /local/token' };
      return { refused: 'the token is not valid here (bad signature, issuer or format): get one from POST /local/token' };
    }
  }
}
