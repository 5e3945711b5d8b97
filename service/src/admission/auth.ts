import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload } from 'jose';
import type { Identity } from '../../../contract/app';
import type { Config } from '../config';
import { AuthError } from './auth-error';
import { parseRoomPatterns, roomMatcher } from './room-patterns';

export { AuthError };

export type { Identity };

/** The token's room rules (AUTH_ROOMS_CLAIM, AUTH_BROADCAST_CLAIM), read from an identity's claims: `platform.auth`. */
export interface RoomRules {
  /** Whether `identity` may join `room`, or learn who is in it: true without a rooms claim. */
  mayJoin(identity: Identity, room: string): boolean;
  /** Whether it may send room-less messages, to everyone: true without a rooms claim, else the broadcast claim. */
  mayBroadcast(identity: Identity): boolean;
}

/**
 * The rules as functions of the claims, which are plain data on `socket.data` (they survive connection state
 * recovery and fetchSockets, where a function would not); each identity's matcher is compiled once, on first use.
 */
export function roomRules(auth: Config['auth']): RoomRules {
  const matchers = new WeakMap<Identity, (room: string) => boolean>();
  const roomsClaim = (identity: Identity) => (auth.mode === 'jwt' ? identity.claims?.[auth.roomsClaim] : undefined);
  return {
    mayJoin(identity, room) {
      if (auth.mode !== 'jwt' || roomsClaim(identity) === undefined) return true;
      let matcher = matchers.get(identity);
      if (!matcher) {
        try {
          matcher = roomMatcher(parseRoomPatterns(roomsClaim(identity), auth.roomsClaim, auth.maxRoomPatterns));
        } catch {
          // The token's claim was checked at the handshake; a claim that no longer parses grants nothing.
          matcher = () => false;
        }
        matchers.set(identity, matcher);
      }
      return matcher(room);
    },
    mayBroadcast(identity) {
      if (auth.mode !== 'jwt' || roomsClaim(identity) === undefined) return true;
      return identity.claims?.[auth.broadcastClaim] === true;
    },
  };
}

/** Verifies a handshake token; rejects with AuthError (whose message is never sent to the client). */
export type Authenticate = (token: unknown) => Promise<Identity>;

type JwtAuth = Extract<Config['auth'], { mode: 'jwt' }>;

/** The longest `sub` accepted: it is shown as `from` on every message and keys per-user state. */
export const MAX_SUB_LENGTH = 256;

export function createAuthenticator(auth: JwtAuth): Authenticate {
  const key = auth.secret ? new TextEncoder().encode(auth.secret) : createRemoteJWKSet(new URL(auth.jwksUrl!));
  const algorithms = auth.secret ? ['HS256'] : ['RS256', 'ES256'];
  return async (token) => {
    if (typeof token !== 'string' || token.length === 0 || token.length > 8_192) throw new AuthError('missing or oversized token');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, key as Parameters<typeof jwtVerify>[1], {
        algorithms,
        issuer: auth.issuer,
        audience: auth.audience,
        // jose checks exp when present; requiring it makes expiry always checked.
        requiredClaims: ['sub', 'exp'],
      }));
    } catch (err) {
      throw new AuthError(err instanceof errors.JOSEError ? err.code : 'invalid token');
    }
    // jose checks that sub is present, not what it is.
    const sub: unknown = payload.sub;
    if (typeof sub !== 'string' || sub.length < 1 || sub.length > MAX_SUB_LENGTH) {
      throw new AuthError(`sub is not a string of 1-${MAX_SUB_LENGTH} characters`);
    }
    // A rooms claim that does not parse refuses the token here, once, rather than every join later.
    const claim = payload[auth.roomsClaim];
    if (claim !== undefined) parseRoomPatterns(claim, auth.roomsClaim, auth.maxRoomPatterns);
    return { user: sub, claims: { ...payload } };
  };
}
