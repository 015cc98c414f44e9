import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { LOCAL_TOKEN_AUDIENCE, LOCAL_TOKEN_ISSUER, LocalTokenVerifier, TokenVerifierConfigError, AwsJwtTokenVerifier, createTokenVerifier } from '#adapters/auth/token-verifiers.js';
import { CONNECTION_TTL_SECONDS, ConnectionRefusedError, authorizeDevice, connectDevice } from '#domain/device-connections.js';
import type { ConnectionRegistry, DeviceConnection } from '#domain/ports/devices.js';

const key = Buffer.alloc(32, 7);
const verifier = new LocalTokenVerifier(key.toString('base64'));

const token = (claims: Record<string, unknown> = {}, options: { key?: Uint8Array; sub?: string; expires?: string; issuer?: string } = {}) => {
  let jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuer(options.issuer ?? LOCAL_TOKEN_ISSUER).setAudience(LOCAL_TOKEN_AUDIENCE).setIssuedAt();
  if (options.sub !== '') jwt = jwt.setSubject(options.sub ?? 'alice');
  return jwt.setExpirationTime(options.expires ?? '1h').sign(options.key ?? key);
};

const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => 'allowed',
    (e: unknown) => (e instanceof ConnectionRefusedError ? 'refused' : `threw ${String(e)}`),
  );

describe('authorizeDevice', () => {
  it('allows a valid token with a valid device ID', async () => {
    expect(await authorizeDevice({ verifier }, { token: await token(), deviceID: 'phone-1' })).toEqual({ userID: 'alice', deviceID: 'phone-1' });
  });

  it('refuses missing, forged, expired or foreign tokens and bad device IDs', async () => {
    const cases = [
      { token: undefined, deviceID: 'phone' },
      { token: 'not.a.jwt', deviceID: 'phone' },
      { token: await token({}, { key: Buffer.alloc(32, 8) }), deviceID: 'phone' },
      { token: await token({}, { expires: '-1m' }), deviceID: 'phone' },
      { token: await token({}, { issuer: 'someone-else' }), deviceID: 'phone' },
      { token: await token({}, { sub: '' }), deviceID: 'phone' },
      { token: await token(), deviceID: undefined },
      { token: await token(), deviceID: 'has space' },
      { token: await token(), deviceID: 'x'.repeat(129) },
    ];
    for (const input of cases) expect(await refusal(authorizeDevice({ verifier }, input)), JSON.stringify(input)).toBe('refused');
  });

  it('fails, rather than refuses, when the verifier cannot tell', async () => {
    const broken = { verify: () => Promise.reject(new Error('JWKS unreachable')) };
    expect(await refusal(authorizeDevice({ verifier: broken }, { token: 'x', deviceID: 'phone' }))).toBe('threw Error: JWKS unreachable');
  });
});

describe('createTokenVerifier', () => {
  it('picks Cognito, then OIDC, then the local key, and refuses to run unconfigured', () => {
    expect(createTokenVerifier({ COGNITO_USER_POOL_ID: 'us-east-1_abcdefghi', COGNITO_CLIENT_ID: 'client' })).toBeInstanceOf(AwsJwtTokenVerifier);
    expect(createTokenVerifier({ JWT_ISSUER: 'https://issuer.example.com', JWT_AUDIENCE: 'api' })).toBeInstanceOf(AwsJwtTokenVerifier);
    expect(createTokenVerifier({ LOCAL_JWT_KEY: key.toString('base64') })).toBeInstanceOf(LocalTokenVerifier);
    expect(() => createTokenVerifier({})).toThrow(TokenVerifierConfigError);
  });
});

describe('connectDevice', () => {
  it('registers the connection with a TTL, and refuses a route without the authorizer context', async () => {
    // Prepare
    const registered: DeviceConnection[] = [];
    const registry = { register: async (c: DeviceConnection) => void registered.push(c) } as unknown as ConnectionRegistry;
    const clock = { now: () => new Date('2025-01-01T00:00:00Z') };

    // Act
    await connectDevice({ connections: registry, clock }, { connectionID: 'conn1', device: { userID: 'alice', deviceID: 'phone' } });

    // Assess
    expect(registered).toEqual([
      { userID: 'alice', deviceID: 'phone', connectionID: 'conn1', connectedAt: '2025-01-01T00:00:00.000Z', expiresAt: Date.parse('2025-01-01T00:00:00Z') / 1000 + CONNECTION_TTL_SECONDS },
    ]);
    await expect(connectDevice({ connections: registry, clock }, { connectionID: 'conn2', device: undefined })).rejects.toThrow('authorizer context');
  });
});
