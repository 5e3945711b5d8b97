import type { ServerOptions } from 'socket.io';
import type { Config } from './config';

/** The Socket.IO server options every adapter mode shares. */
export function socketServerOptions(config: Config): Partial<ServerOptions> {
  return {
    pingInterval: config.pingIntervalMs,
    pingTimeout: config.pingTimeoutMs,
    maxHttpBufferSize: config.maxHttpBufferBytes,
    // Socket.IO's own deadline for the first CONNECT, a second behind the pre-auth budget's (which also
    // counts and logs it, and starts again after a socket leaves): only a backstop.
    connectTimeout: config.limits.preAuth.timeoutMs + 1_000,
    // The bundle cannot resolve socket.io-client at run time; http/static.ts serves the client file.
    serveClient: false,
    // Compressing every frame costs CPU per delivery for small chat messages.
    perMessageDeflate: false,
    cors: config.corsOrigins.length > 0 ? { origin: config.corsOrigins, credentials: true } : undefined,
  };
}
