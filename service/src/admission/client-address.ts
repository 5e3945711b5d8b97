import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

type Request = Pick<IncomingMessage, 'headers'> & { readonly socket: { readonly remoteAddress?: string } };

/**
 * The client's IP address. With `trustedHops` proxies in front of the node, each appending the
 * address it saw to X-Forwarded-For (the ALB in its default `append` mode; HAProxy's `option
 * forwardfor`), it is the entry the outermost trusted proxy wrote: the `trustedHops`-th from the
 * right. Entries left of it were written by the client and prove nothing. Without the header, or
 * with an entry that is not an address, it is the peer's own address.
 */
export function clientAddress(req: Request, trustedHops: number): string {
  const peer = unmapped(req.socket.remoteAddress ?? '');
  const entry = trustedEntry(req.headers['x-forwarded-for'], trustedHops);
  if (entry === undefined) return peer;
  const address = withoutPort(entry);
  return isIP(address) ? unmapped(address) : peer;
}

/**
 * The entry of a header each proxy appends to (X-Forwarded-For, X-Forwarded-Proto) that the outermost of `trustedHops`
 * trusted proxies wrote: the `trustedHops`-th from the right. Undefined without trusted proxies or without the header.
 */
export function trustedEntry(header: string | string[] | undefined, trustedHops: number): string | undefined {
  if (trustedHops === 0 || header === undefined) return undefined;
  const entries = (Array.isArray(header) ? header.join(',') : header).split(',');
  return entries[Math.max(0, entries.length - trustedHops)].trim();
}

/** `1.2.3.4:5678` and `[2001:db8::1]:5678` (an ALB with preserveXffClientPort) without the port. */
function withoutPort(entry: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(entry);
  if (bracketed) return bracketed[1];
  const v4 = /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(entry);
  return v4 ? v4[1] : entry;
}

/** `::ffff:1.2.3.4` as `1.2.3.4`, so that one client has one spelling. */
const unmapped = (address: string) => (address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address);
