import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload } from 'jose';
import type { Config } from '../config';
import { AuthError } from './auth-error';
import { parseRoomPatterns, roomMatcher } from './room-patterns';

export { AuthError };

export interface Identity {
  /** Shown as `from`; the token's `sub` under JWT auth. */
  readonly user: string;
  /** Rooms this identity may join, and ask about (members, presence); undefined means any room. */
  readonly mayJoin?: (room: string) => boolean;
  /** Whether it may send room-less messages, to every socket in the cluster. */
  readonly mayBroadcast: boolean;
}

/** Whether `identity` may join `room`, or learn who is in it: one rule for room:join, room:members and any presence query. */
export function mayAccessRoom(identity: Identity, room: string): boolean {
  return identity.mayJoin === undefined || identity.mayJoin(room);
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
    const claim = payload[auth.roomsClaim];
    if (claim === undefined) return { user: sub, mayBroadcast: true };
    const mayJoin = roomMatcher(parseRoomPatterns(claim, auth.roomsClaim, auth.maxRoomPatterns));
    // A rooms claim limits where the user may speak; speaking to everyone takes a claim of its own.
    return { user: sub, mayJoin, mayBroadcast: payload[auth.broadcastClaim] === true };
  };
}
