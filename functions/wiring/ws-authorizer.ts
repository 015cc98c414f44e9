import { tokenVerifier } from '#adapters/auth/token-verifiers.js';
import { ENV } from '#contracts/environment.js';
import { defineFunction } from './define.js';

export const wsAuthorizerFunction = defineFunction({
  name: 'ws-authorizer',
  description: 'WebSocket $connect authorizer: verifies the JWT in ?token=',
  memorySize: 256,
  timeoutSeconds: 10,
  // The claim that names the user, as for HTTP requests.
  env: [ENV.userIDClaim],
  adapters: { verifier: tokenVerifier },
});
