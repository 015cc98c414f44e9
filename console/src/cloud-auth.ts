/**
 * Cloud sign-in: the Cognito user pool's hosted UI, the authorization-code flow with PKCE, through oidc-client-ts
 * (it makes the verifier and challenge, checks state, and exchanges the code). Tokens stay in sessionStorage, so a
 * closed tab signs out. The API takes the access token; the user ID is its `username` (the pool's usernames are
 * the chat user IDs, docs/deploy.md).
 */
import { UserManager, WebStorageStateStore } from 'oidc-client-ts';

export type CloudAuthConfig = { authority: string; clientId: string; hostedUi: string };
export type SignedIn = { userID: string; token: string };

export const cloudAuth = (auth: CloudAuthConfig) => {
  const home = `${location.origin}/`;
  const manager = new UserManager({
    authority: auth.authority,
    client_id: auth.clientId,
    redirect_uri: home,
    post_logout_redirect_uri: home,
    response_type: 'code',
    scope: 'openid profile',
    userStore: new WebStorageStateStore({ store: sessionStorage }),
    // Cognito's discovery document names no end-session endpoint: its hosted UI's logout is this one.
    metadataSeed: { end_session_endpoint: `${auth.hostedUi}/logout` },
  });

  return {
    /** The signed-in user, after completing a redirect back from the hosted UI if this is one. */
    current: async (): Promise<SignedIn | undefined> => {
      const query = new URLSearchParams(location.search);
      if (query.has('code') && query.has('state')) {
        await manager.signinRedirectCallback();
        history.replaceState(null, '', home);
      }
      const user = await manager.getUser();
      if (!user || user.expired) return undefined;
      const userID = user.profile['cognito:username'] ?? user.profile.preferred_username ?? user.profile.sub;
      return { userID: String(userID), token: user.access_token };
    },
    signIn: () => manager.signinRedirect(),
    // Cognito's logout takes client_id and logout_uri rather than the standard id_token_hint.
    signOut: async () => {
      await manager.removeUser();
      location.assign(`${auth.hostedUi}/logout?client_id=${encodeURIComponent(auth.clientId)}&logout_uri=${encodeURIComponent(home)}`);
    },
  };
};
