import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * Whether a request may see the node's internals (/healthz details). Either it comes straight
 * from this machine, without passing a proxy (ECS Exec, a sidecar, `curl` on the host: every
 * proxy in front of the node adds X-Forwarded-For, and a client cannot remove what a proxy
 * adds), or it carries `Authorization: Bearer <HEALTH_DETAILS_TOKEN>`.
 */
export function trustedRequest(detailsToken: string | undefined): (req: IncomingMessage) => boolean {
  const expected = detailsToken === undefined ? undefined : digest(`Bearer ${detailsToken}`);
  return (req) => {
    if (isLoopback(req.socket.remoteAddress) && req.headers['x-forwarded-for'] === undefined && req.headers.forwarded === undefined) {
      return true;
    }
    const given = req.headers.authorization;
    // Digests have one length, so the comparison takes the same time whatever was sent.
    return expected !== undefined && given !== undefined && timingSafeEqual(digest(given), expected);
  };
}

function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return address === '::1' || (isIP(v4) === 4 && v4.startsWith('127.'));
}
