/**
 * The console as the cloud hosts it (config mode "cloud"), signing in through an OIDC provider's hosted UI with the
 * authorization-code flow and PKCE (oidc-client-ts), in Debian's Chromium. A small server stands in for CloudFront
 * (the built page and its config.json) and for the Cognito hosted UI (discovery, authorize, token); the token
 * endpoint checks the PKCE verifier against the challenge and hands out a token of the real local stack, which the
 * page then uses against that stack's API and WebSocket (cross-origin, through the runner's CORS).
 */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildConsole } from '../../console/build.js';
import { type TestStack, startTestStack, uniqueUser } from '../support/stack.js';
import { launchBrowser } from './browser.js';

const WAIT = { timeout: 10_000 };
const CLIENT_ID = 'console-client';

let stack: TestStack;
let browser: BrowserContext;
let closeBrowser: () => Promise<void>;
let site: Server;
let siteURL: string;
const admin = uniqueUser('ops');
/** What the hosted UI saw: the authorize request's query and whether the token request's verifier matched. */
const seen: { authorize?: URLSearchParams; verifierMatched?: boolean; tokenRequests: number } = { tokenRequests: 0 };

const base64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');
const unsignedJwt = (claims: Record<string, unknown>) => `${base64url(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${base64url(JSON.stringify(claims))}.`;

const startSite = async (): Promise<void> => {
  const files = await buildConsole();
  const codes = new Map<string, string>();
  site = createServer((req, res) => {
    const url = new URL(req.url ?? '/', siteURL);
    const json = (body: unknown) => (res.writeHead(200, { 'content-type': 'application/json' }), res.end(JSON.stringify(body)));
    if (url.pathname === '/console/config.json') {
      return json({ mode: 'cloud', apiUrl: stack.url, websocketUrl: stack.websocketUrl, auth: { authority: `${siteURL}/oidc`, clientId: CLIENT_ID, hostedUi: `${siteURL}/hosted` } });
    }
    if (url.pathname === '/oidc/.well-known/openid-configuration') {
      return json({
        issuer: `${siteURL}/oidc`,
        authorization_endpoint: `${siteURL}/hosted/oauth2/authorize`,
        token_endpoint: `${siteURL}/hosted/oauth2/token`,
        jwks_uri: `${siteURL}/oidc/jwks`,
        response_types_supported: ['code'],
        code_challenge_methods_supported: ['S256'],
      });
    }
    if (url.pathname === '/hosted/oauth2/authorize') {
      seen.authorize = url.searchParams;
      const code = `code-${codes.size}`;
      codes.set(code, url.searchParams.get('code_challenge') ?? '');
      res.writeHead(302, { location: `${url.searchParams.get('redirect_uri')}?code=${code}&state=${encodeURIComponent(url.searchParams.get('state') ?? '')}` });
      return res.end();
    }
    if (url.pathname === '/hosted/oauth2/token' && req.method === 'POST') {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', async () => {
        seen.tokenRequests++;
        const form = new URLSearchParams(body);
        const challenge = codes.get(form.get('code') ?? '');
        seen.verifierMatched = challenge !== undefined && base64url(createHash('sha256').update(form.get('code_verifier') ?? '').digest()) === challenge;
        if (!seen.verifierMatched || form.get('grant_type') !== 'authorization_code' || form.get('client_id') !== CLIENT_ID) {
          res.writeHead(400, { 'content-type': 'application/json' });
          return res.end('{"error":"invalid_grant"}');
        }
        const now = Math.floor(Date.now() / 1000);
        json({
          access_token: await stack.token(admin, true),
          id_token: unsignedJwt({ iss: `${siteURL}/oidc`, aud: CLIENT_ID, sub: 'b1d2', 'cognito:username': admin, iat: now, exp: now + 3600 }),
          token_type: 'Bearer',
          expires_in: 3600,
        });
      });
      return;
    }
    const file = files.get(url.pathname === '/' ? 'index.html' : url.pathname.slice(1));
    if (!file) return (res.writeHead(404), res.end());
    res.writeHead(200, { 'content-type': file.contentType });
    res.end(file.body);
  });
  await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
  siteURL = `http://localhost:${(site.address() as AddressInfo).port}`;
};

beforeAll(async () => {
  [stack, { browser, close: closeBrowser }] = await Promise.all([startTestStack(), launchBrowser()]);
  await startSite();
});

afterAll(async () => {
  await closeBrowser?.();
  await new Promise((resolve) => site?.close(resolve));
  await stack?.stop();
});

describe('the console in the cloud', { timeout: 60_000 }, () => {
  it('signs in through the hosted UI with the code flow and PKCE, then works as that user', async () => {
    const page: Page = await browser.newPage();
    await page.goto(`${siteURL}/`);
    await page.getByRole('button', { name: 'Sign in' }).click();

    // Back from the hosted UI, signed in: the code is gone from the address, the admin's settings are shown.
    await expect.poll(() => page.getByRole('button', { name: `Sign out ${admin}` }).count(), WAIT).toBe(1);
    expect(seen.authorize?.get('response_type')).toBe('code');
    expect(seen.authorize?.get('client_id')).toBe(CLIENT_ID);
    expect(seen.authorize?.get('code_challenge_method')).toBe('S256');
    expect(seen.authorize?.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(seen.authorize?.get('redirect_uri')).toBe(`${siteURL}/`);
    expect(seen.verifierMatched).toBe(true);
    expect(seen.tokenRequests).toBe(1);
    expect(page.url()).toBe(`${siteURL}/`);
    await expect.poll(() => page.getByRole('switch', { name: 'Sync conversation deletion across clients' }).isEnabled(), WAIT).toBe(true);
    expect(await page.getByLabel('Admin user ID').count()).toBe(0);

    // Two devices of the signed-in user, each with its socket to the API's WebSocket.
    for (const n of [1, 2]) {
      const device = page.getByRole('region', { name: `${admin} · device ${n}` });
      await expect.poll(() => device.getByRole('status').first().textContent(), WAIT).toBe('connected');
    }
    await page.close();
  });
});
