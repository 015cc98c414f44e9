/** What every HTTP function shares in its declaration. */
import { ENV } from '#contracts/environment.js';

/** API Gateway gives up on an integration after 30 s; HTTP functions end before that. */
export const HTTP_TIMEOUT_SECONDS = 29;

/** The authenticate middleware reads which JWT claim is the user ID. */
export const HTTP_ENV = [ENV.userIDClaim] as const;
