import type { ExtendedError, Socket } from 'socket.io';
import { CONNECT_ERRORS } from '../../../contract/events';
import type { Config } from '../config';
import type { Logger } from '../logger';
import { AuthError, createAuthenticator, type Identity } from './auth';

/**
 * Socket.IO middleware that gives every socket its identity (`socket.data.identity`): a guest
 * name without auth, the token's subject under AUTH_MODE=jwt, where a bad token is refused with unauthorized.
 */
export function authenticateHandshakes(
  auth: Config['auth'],
  logger: Logger,
): (socket: Socket, next: (err?: ExtendedError) => void) => void {
  const authenticate = auth.mode === 'jwt' ? createAuthenticator(auth) : undefined;
  return (socket, next) => {
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
      (err: unknown) => {
        // The reason is logged as a code; the token itself never is.
        logger.info({ reason: err instanceof AuthError ? err.message : 'error', ip: socket.handshake.address }, 'handshake refused');
        next(new Error(CONNECT_ERRORS.unauthorized));
      },
    );
  };
}
