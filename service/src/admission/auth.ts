import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload } from 'jose';
import type { Config } from '../config';
import { ROOM_PATTERN } from '../../../contract/events';

export interface Identity {
  /** Shown as `from`; the token's `sub` under JWT auth. */
  readonly user: string;
  /** Rooms this identity may join; undefined means any room. */
  readonly mayJoin?: (room: string) => boolean;
}

export class AuthError extends Error {
  override name = 'AuthError';
}

/** Verifies a handshake token; rejects with AuthError (whose message is never sent to the client). */
export type Authenticate = (token: unknown) => Promise<Identity>;

type JwtAuth = Extract<Config['auth'], { mode: 'jwt' }>;

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
    const claim = payload[auth.roomsClaim];
    if (claim === undefined) return { user: payload.sub! };
    if (!Array.isArray(claim) || !claim.every((p) => typeof p === 'string'))
      throw new AuthError(`${auth.roomsClaim} claim is not a list of strings`);
    return { user: payload.sub!, mayJoin: roomMatcher(claim) };
  };
}

/** `*` in a pattern matches any run of room-name characters; everything else is literal. */
export function roomMatcher(patterns: string[]): (room: string) => boolean {
  const charClass = ROOM_PATTERN.source.slice(1, ROOM_PATTERN.source.indexOf(']') + 1);
  const regexes = patterns.map(
    (p) =>
      new RegExp(
        `^${p
          .split('*')
          .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
          .join(`${charClass}*`)}$`,
      ),
  );
  return (room) => regexes.some((r) => r.test(room));
}
