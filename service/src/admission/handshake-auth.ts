import type { Socket } from 'socket.io';
import { CONNECT_ERRORS } from '../../../contract/events';
import type { Config } from '../config';
import { AuthError, createAuthenticator, type Identity } from './auth';
import { type Middleware, Refusal } from './connect-refusal';

/**
 * Socket.IO middleware that gives every socket its identity (`socket.data.identity`): a guest
 * name without auth, the token's subject under AUTH_MODE=jwt, where a bad token is refused with unauthorized.
 */
export function authenticateHandshakes(auth: Config['auth']): Middleware {
  const authenticate = auth.mode === 'jwt' ? createAuthenticator(auth) : undefined;
  return (socket: Socket, next) => {
    if (!authenticate) {
      socket.data.identity = { user: `guest-${socket.id.slice(0, 6)}` } satisfies Identity;
      return next();
    }
    const token: unknown = (socket.handshake.auth as Record<string, unknown> | undefined)?.token;
    authenticate(token).then(
      (identity) => {
        socket.data.identity = identity;
        next();
      },
      // The reason goes to the log as a code; the token itself never does.
      (err: unknown) => next(new Refusal(CONNECT_ERRORS.unauthorized, err instanceof AuthError ? err.message : 'error')),
    );
  };
}
