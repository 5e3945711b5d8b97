/** Socket.IO packet types (socket.io-protocol v5). */
export const PACKET = { connect: 0, disconnect: 1, event: 2, ack: 3, connectError: 4, binaryEvent: 5, binaryAck: 6 } as const;

export interface PacketHeader {
  readonly type: number;
  readonly nsp: string;
  /** The ack id, when the packet carries one. */
  readonly id?: number;
}

/**
 * The start of a Socket.IO packet as socket.io-parser encodes it: `<type>[<attachments>-][<nsp>,][<id>]<json>`.
 * Read before the parser decodes the JSON, so that the guard can refuse a packet without paying for it.
 * Undefined when the first character is not a packet type (the parser then refuses it itself).
 */
export function packetHeader(text: string): PacketHeader | undefined {
  const type = text.charCodeAt(0) - 48;
  if (!(type >= PACKET.connect && type <= PACKET.binaryAck)) return undefined;
  let i = 1;
  if (type === PACKET.binaryEvent || type === PACKET.binaryAck) {
    const dash = text.indexOf('-', i);
    if (dash < 0) return { type, nsp: '/' };
    i = dash + 1;
  }
  let nsp = '/';
  if (text.charCodeAt(i) === 47 /* / */) {
    const comma = text.indexOf(',', i);
    nsp = text.slice(i, comma < 0 ? text.length : comma);
    i = comma < 0 ? text.length : comma + 1;
  }
  let j = i;
  while (j < text.length && j - i < 16 && text.charCodeAt(j) >= 48 && text.charCodeAt(j) <= 57) j++;
  return j > i ? { type, nsp, id: Number(text.slice(i, j)) } : { type, nsp };
}
