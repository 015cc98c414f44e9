/**
 * Who is calling: the user is the JWT's `sub`; an admin is a member of the admin group.
 * In the cloud the API's JWT authorizer verifies the token; locally the local runner does; both hand the
 * claims to the handler in `requestContext.authorizer.jwt.claims`.
 */

import { ENV } from './environment.js';
import { isUserID } from './ids.js';

/** Cognito group (claim `cognito:groups`) whose members are admins; the local token sets the same claim. */
export const ADMIN_GROUP = 'admins';
export const GROUPS_CLAIM = 'cognito:groups';

export type Principal = { userID: string; isAdmin: boolean };

/**
 * API Gateway HTTP APIs flatten array claims into a string such as `[admins other]`;
 * local tokens carry a real array. Both mean the same.
 */
const groupsOf = (claim: unknown): string[] => {
  if (Array.isArray(claim)) return claim.map(String);
  if (typeof claim === 'string') return claim.replace(/^\[|\]$/g, '').split(/[\s,]+/).filter(Boolean);
  return [];
};

/**
 * The claim that holds the user ID: `sub` by default. A Cognito `sub` is a 36-character UUID, longer than a
 * chat userID may be, so the stack sets `username` (which Cognito access tokens carry) for its user pool.
 */
export const userIDClaim = (): string => process.env[ENV.userIDClaim] || 'sub';

export const principalFromClaims = (claims: Record<string, unknown> | undefined): Principal | undefined => {
  const sub = claims?.[userIDClaim()];
  // The user ID becomes part of keys and of C2C<userID>: one that breaks the pattern is refused, never stored.
  if (!isUserID(sub)) return undefined;
  return { userID: sub, isAdmin: groupsOf(claims?.[GROUPS_CLAIM]).includes(ADMIN_GROUP) };
};
