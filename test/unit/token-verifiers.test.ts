/**
 * The OIDC mode of the WebSocket authorizer's token verifier against a real issuer: an HTTPS server on 127.0.0.1
 * that serves a discovery document and a JWKS the way Keycloak does (keys at /protocol/openid-connect/certs, not at
 * /.well-known/jwks.json), with a certificate made for this run. The verifier reaches it through aws-jwt-verify's own
 * SimpleFetcher told to trust that certificate; the last tests show that without it (production) neither the test
 * certificate nor plain http is accepted.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SimpleFetcher } from 'aws-jwt-verify/https';
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ENV } from '#contracts/environment.js';
import { createTokenVerifier, OidcDiscoveryError } from '#adapters/auth/token-verifiers.js';
import { TokenRejectedError, type TokenVerifier } from '#domain/ports/devices.js';

const KID = 'test-key';
const AUDIENCES = 'chat-app, chat-admin';

/** A self-signed certificate for 127.0.0.1, valid one day (Node cannot make one itself; openssl is on the machine image). */
const selfSignedCertificate = (): { key: string; cert: string } => {
  const dir = mkdtempSync(join(tmpdir(), 'oidc-issuer-'));
  try {
    const [keyPath, certPath] = [join(dir, 'key.pem'), join(dir, 'cert.pem')];
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
        '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', keyPath, '-out', certPath],
      { stdio: 'ignore' },
    );
    return { key: readFileSync(keyPath, 'utf8'), cert: readFileSync(certPath, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

const listen = async (server: Server): Promise<string> => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return String((server.address() as AddressInfo).port);
};

const close = async (server: Server): Promise<void> => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
};

/** A port nothing listens on: one the system just handed out and took back. */
const closedPort = async (): Promise<string> => {
  const server = createHttpServer();
  const port = await listen(server);
  await close(server);
  return port;
};

// The issuer: its documents, the paths it was asked for, and a discovery endpoint that fails once.
let certificate: { key: string; cert: string };
let server: Server;
let base: string;
let requests: string[] = [];
let flakyFailuresLeft = 0;
let jwks: { keys: JWK[] };
let signingKey: CryptoKey;
let foreignKey: CryptoKey;

const issuerOf = (realm: string) => `${base}/realms/${realm}`;
const ISSUER = () => issuerOf('chat');

const json = (response: ServerResponse, status: number, body: unknown) => {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
};

/** Routes of a Keycloak-like issuer, realm by realm; `base` is the origin the request came to. */
const serve = (request: IncomingMessage, response: ServerResponse) => {
  const path = request.url ?? '';
  requests.push(path);
  const origin = `${'encrypted' in request.socket ? 'https' : 'http'}://${request.headers.host}`;
  const discovery = (realm: string, issuer = `${origin}/realms/${realm}`) => ({ issuer, jwks_uri: `${origin}/realms/${realm}/protocol/openid-connect/certs` });
  if (path === '/realms/chat/.well-known/openid-configuration') return json(response, 200, discovery('chat'));
  if (path === '/realms/impostor/.well-known/openid-configuration') return json(response, 200, discovery('impostor', `${origin}/realms/chat`));
  if (path === '/realms/flaky/.well-known/openid-configuration') {
    if (flakyFailuresLeft-- > 0) return json(response, 503, { error: 'starting' });
    return json(response, 200, discovery('flaky'));
  }
  // no-discovery publishes keys but no discovery document: only JWT_JWKS_URI finds them.
  if (/^\/realms\/(chat|impostor|flaky|no-discovery)\/protocol\/openid-connect\/certs$/.test(path)) return json(response, 200, jwks);
  return json(response, 404, { error: 'not found' });
};

/** A fetcher like production's (aws-jwt-verify's SimpleFetcher, HTTPS only) that also trusts the test certificate. */
const testFetcher = () => new SimpleFetcher({ defaultRequestOptions: { ca: certificate.cert } });

const oidcVerifier = (env: Record<string, string>): TokenVerifier =>
  createTokenVerifier({ [ENV.jwtIssuer]: ISSUER(), [ENV.jwtAudience]: AUDIENCES, ...env }, { fetcher: testFetcher() });

const sign = (claims: JWTPayload, options: { issuer?: string; key?: CryptoKey; expiresAt?: number } = {}) => {
  const jwt = new SignJWT({ sub: 'alice', ...claims })
    .setProtectedHeader({ alg: 'RS256', kid: KID })
    .setIssuer(options.issuer ?? ISSUER())
    .setIssuedAt()
    .setExpirationTime(options.expiresAt ?? Math.floor(Date.now() / 1000) + 300);
  return jwt.sign(options.key ?? signingKey);
};

/** What verify threw (it must throw). */
const failureOf = async (verifier: TokenVerifier, token: string): Promise<unknown> => {
  try {
    await verifier.verify(token);
  } catch (error) {
    return error;
  }
  throw new Error('the token was accepted');
};

beforeAll(async () => {
  certificate = selfSignedCertificate();
  const pair = await generateKeyPair('RS256');
  signingKey = pair.privateKey;
  foreignKey = (await generateKeyPair('RS256')).privateKey;
  jwks = { keys: [{ ...(await exportJWK(pair.publicKey)), kid: KID, alg: 'RS256', use: 'sig' }] };
  server = createHttpsServer({ key: certificate.key, cert: certificate.cert }, serve);
  base = `https://127.0.0.1:${await listen(server)}`;
});

afterAll(async () => {
  await close(server);
});

beforeEach(() => {
  requests = [];
  flakyFailuresLeft = 0;
});

describe('OIDC mode: where the keys are', () => {
  it('follows the discovery document to a JWKS at a non-default path, and reads both once', async () => {
    // Prepare
    const verifier = oidcVerifier({});
    // Act
    const first = await verifier.verify(await sign({ aud: 'chat-app' }));
    const second = await verifier.verify(await sign({ aud: 'chat-app', sub: 'bob' }));
    // Assess
    expect([first.sub, second.sub]).toEqual(['alice', 'bob']);
    expect(requests).toEqual(['/realms/chat/.well-known/openid-configuration', '/realms/chat/protocol/openid-connect/certs']);
  });

  it('uses JWT_JWKS_URI instead of discovery', async () => {
    const issuer = issuerOf('no-discovery');
    const verifier = oidcVerifier({ [ENV.jwtIssuer]: issuer, [ENV.jwtJwksUri]: `${issuer}/protocol/openid-connect/certs` });

    await expect(verifier.verify(await sign({ aud: 'chat-app' }, { issuer }))).resolves.toMatchObject({ sub: 'alice' });
    expect(requests).toEqual(['/realms/no-discovery/protocol/openid-connect/certs']);
  });

  it('answers an unreachable discovery endpoint with an error that is no refusal (the authorizer answers 500)', async () => {
    const issuer = `https://127.0.0.1:${await closedPort()}/realms/chat`;
    const verifier = oidcVerifier({ [ENV.jwtIssuer]: issuer });

    const error = await failureOf(verifier, await sign({ aud: 'chat-app' }, { issuer }));
    expect(error).toBeInstanceOf(OidcDiscoveryError);
    expect(error).not.toBeInstanceOf(TokenRejectedError);
  });

  it('does not keep a failed discovery: the next token tries again', async () => {
    flakyFailuresLeft = 1;
    const issuer = issuerOf('flaky');
    const verifier = oidcVerifier({ [ENV.jwtIssuer]: issuer });
    const token = await sign({ aud: 'chat-app' }, { issuer });

    expect(await failureOf(verifier, token)).toBeInstanceOf(OidcDiscoveryError);
    await expect(verifier.verify(token)).resolves.toMatchObject({ sub: 'alice' });
    expect(requests.filter((path) => path.endsWith('/openid-configuration'))).toHaveLength(2);
  });

  it('refuses to use a discovery document that names another issuer', async () => {
    const issuer = issuerOf('impostor');
    const verifier = oidcVerifier({ [ENV.jwtIssuer]: issuer });

    const error = await failureOf(verifier, await sign({ aud: 'chat-app' }, { issuer }));
    expect(error).toBeInstanceOf(OidcDiscoveryError);
    expect(requests).not.toContain('/realms/impostor/protocol/openid-connect/certs');
  });
});

describe('OIDC mode: which tokens', () => {
  it('accepts a token for the second of two audiences', async () => {
    await expect(oidcVerifier({}).verify(await sign({ aud: 'chat-admin' }))).resolves.toMatchObject({ aud: 'chat-admin' });
  });

  it('accepts a token with several audiences when one of them is listed', async () => {
    await expect(oidcVerifier({}).verify(await sign({ aud: ['account', 'chat-app'] }))).resolves.toMatchObject({ sub: 'alice' });
  });

  it('accepts a Cognito access token: client_id and no aud', async () => {
    const token = await sign({ client_id: 'chat-app', token_use: 'access', username: 'alice' });
    await expect(oidcVerifier({}).verify(token)).resolves.toMatchObject({ client_id: 'chat-app', username: 'alice' });
  });

  it.each<[string, () => Promise<string>]>([
    ['a wrong audience', () => sign({ aud: 'someone-else' })],
    ['a client_id that is not listed, and no aud', () => sign({ client_id: 'someone-else', token_use: 'access' })],
    // As API Gateway's JWT authorizer does: client_id counts only when there is no aud.
    ['a wrong aud beside a listed client_id', () => sign({ aud: 'someone-else', client_id: 'chat-app' })],
    ['neither aud nor client_id', () => sign({})],
    ['a wrong issuer', () => sign({ aud: 'chat-app' }, { issuer: issuerOf('other') })],
    ['an expiry in the past', () => sign({ aud: 'chat-app' }, { expiresAt: Math.floor(Date.now() / 1000) - 60 })],
    ['a signature by another key', () => sign({ aud: 'chat-app' }, { key: foreignKey })],
  ])('refuses a token with %s', async (_, token) => {
    expect(await failureOf(oidcVerifier({}), await token())).toBeInstanceOf(TokenRejectedError);
  });
});

describe('Cognito mode: the apps\' client and the console\'s', () => {
  const POOL = 'eu-west-1_TestPool1';
  const COGNITO_ISSUER = `https://cognito-idp.eu-west-1.amazonaws.com/${POOL}`;
  // Stands in for Cognito's JWKS endpoint (the only URL the verifier fetches) and records what it was asked for.
  const fetched: string[] = [];
  const cognitoKeys = { fetch: async (uri: string) => (fetched.push(uri), new TextEncoder().encode(JSON.stringify(jwks)).buffer) };
  const cognitoVerifier = () => createTokenVerifier({ [ENV.cognitoUserPoolID]: POOL, [ENV.cognitoClientID]: 'apps-client,console-client' }, { fetcher: cognitoKeys });
  const accessToken = (clientID: string, extra: JWTPayload = {}) => sign({ client_id: clientID, token_use: 'access', username: 'alice', ...extra }, { issuer: COGNITO_ISSUER });

  it('accepts access tokens of either client of COGNITO_CLIENT_ID, with keys from the pool\'s JWKS', async () => {
    const verifier = cognitoVerifier();
    await expect(verifier.verify(await accessToken('apps-client'))).resolves.toMatchObject({ username: 'alice', client_id: 'apps-client' });
    await expect(verifier.verify(await accessToken('console-client'))).resolves.toMatchObject({ username: 'alice', client_id: 'console-client' });
    expect(new Set(fetched)).toEqual(new Set([`${COGNITO_ISSUER}/.well-known/jwks.json`]));
  });

  it.each<[string, () => Promise<string>]>([
    ['a client of the pool that is not listed', () => accessToken('another-client')],
    ['an ID token of a listed client', () => sign({ aud: 'console-client', token_use: 'id', 'cognito:username': 'alice' }, { issuer: COGNITO_ISSUER })],
    ['another pool as issuer', () => sign({ client_id: 'console-client', token_use: 'access' }, { issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Other' })],
  ])('refuses %s', async (_, token) => {
    expect(await failureOf(cognitoVerifier(), await token())).toBeInstanceOf(TokenRejectedError);
  });
});

describe('OIDC mode in production (no test fetcher)', () => {
  it('does not trust a certificate outside the system CAs', async () => {
    const verifier = createTokenVerifier({ [ENV.jwtIssuer]: ISSUER(), [ENV.jwtAudience]: AUDIENCES });

    const error = await failureOf(verifier, await sign({ aud: 'chat-app' }));
    expect(error).not.toBeInstanceOf(TokenRejectedError);
    expect(requests).toEqual([]);
  });

  it('does not fetch over plain http, even from an issuer that serves it', async () => {
    const plain = createHttpServer(serve);
    const issuer = `http://127.0.0.1:${await listen(plain)}/realms/chat`;
    try {
      const verifier = createTokenVerifier({ [ENV.jwtIssuer]: issuer, [ENV.jwtAudience]: AUDIENCES });

      const error = await failureOf(verifier, await sign({ aud: 'chat-app' }, { issuer }));
      expect(error).not.toBeInstanceOf(TokenRejectedError);
      expect(requests).toEqual([]);
    } finally {
      await close(plain);
    }
  });
});
